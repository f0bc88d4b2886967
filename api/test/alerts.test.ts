import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { connect, credsAuthenticator, nkeys, type NatsConnection } from 'nats';
import pino from 'pino';
import { withTenant } from '@vigie/db';
import { alertStateQuery } from '@vigie/workflows';
import { alertWorkflowId } from '@vigie/workflows/client';
import { formatCreds } from '../../agent/src/state';
import { createAlertEvaluator, temporalAlertSignal } from '../../ingest/src/alerts/evaluate';
import { sweepOffline } from '../../ingest/src/alerts/offline-sweep';
import { startHeartbeatConsumer, type HeartbeatConsumer } from '../../ingest/src/telemetry/heartbeats';
import { startMetricsConsumer, type MetricsConsumer } from '../../ingest/src/telemetry/metrics';
import { startTestWorker } from '../../worker/test/support/worker';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, type Session, type TestApi } from './support/harness';
import { until } from './support/until';

/**
 * RMM alerting end to end on the real stack: an enrolled machine publishes samples through JetStream with its
 * own credentials, exactly as the agent does; ingest (in-process, its own durables) stores them and evaluates
 * the tenant's rules; the rmm and tickets workers run the alert and ticket workflows against Postgres.
 */
let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let metrics: MetricsConsumer;
let heartbeats: HeartbeatConsumer;
let worker: { stop(): Promise<void> };
const agents: NatsConnection[] = [];
const log = pino({ level: process.env.TEST_INGEST_LOG ?? 'silent' });
// One second of grace after a clear keeps the test short (production: 60 s).
const signal = () => temporalAlertSignal(api.deps.temporal, 1);

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  worker = await startTestWorker(['rmm', 'tickets']);
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  const evaluator = createAlertEvaluator({ db: api.deps.db, signal: signal(), log, rulesTtlMs: 200 });
  const suffix = randomUUID().slice(0, 8);
  metrics = await startMetricsConsumer({ nc, db: api.deps.db, log, consumer: `ingest-metrics-alerts-${suffix}`, tenantId: admin.user.tenantId, afterStore: (stored) => evaluator.evaluateMetrics(stored) });
  heartbeats = await startHeartbeatConsumer({ nc, db: api.deps.db, log, consumer: `ingest-hb-alerts-${suffix}` });
}, 60_000);

afterAll(async () => {
  for (const agent of agents) await agent.drain().catch(() => {});
  await metrics?.stop();
  await heartbeats?.stop();
  await nc?.drain();
  await worker?.stop();
  await api?.close();
});

interface Agent {
  machineId: string;
  tenantId: string;
  hostname: string;
  seq: number;
  publish(kind: 'metrics' | 'hb', body: object): Promise<void>;
}

/** A client with a default contract and a machine enrolled for it, connected to NATS with its own credentials. */
async function enrolledMachine(hostname: string): Promise<Agent & { clientId: string; contractId: string }> {
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Client ${hostname}`, siren: nextSiren() } });
  expect(client.status).toBe(201);
  const contract = await api.call('POST', '/api/v1/contracts', { token: admin.token, body: { clientId: client.body.id, type: 'time_material', name: 'Régie', hourlyRateCents: 9000, isDefault: true } });
  expect(contract.status).toBe(201);
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const user = nkeys.createUser();
  const enrolled = await api.call('POST', '/api/v1/agents/enroll', { body: { token: token.body.token, hostname, os: { name: 'Debian GNU/Linux', version: '12' }, agentVersion: '0.1.0', nkeyPublic: user.getPublicKey() } });
  expect(enrolled.status).toBe(201);
  const creds = formatCreds(enrolled.body.userJwt, new TextDecoder().decode(user.getSeed()));
  const conn = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(new TextEncoder().encode(creds)), inboxPrefix: enrolled.body.subjects.inboxPrefix });
  agents.push(conn);
  const js = conn.jetstream();
  const agent: Agent & { clientId: string; contractId: string } = {
    machineId: enrolled.body.machineId,
    tenantId: enrolled.body.tenantId,
    clientId: client.body.id,
    contractId: contract.body.id,
    hostname,
    seq: 0,
    async publish(kind, body) {
      const seq = ++agent.seq;
      await js.publish(`${enrolled.body.subjects.telemetry}.${kind}`, new TextEncoder().encode(JSON.stringify({ seq, ...body })), { msgID: `${agent.machineId}:${seq}` });
    },
  };
  return agent;
}

const GB = 1024 ** 3;

function sample(cpuPercent: number, collectedAt: Date) {
  return {
    collectedAt: collectedAt.toISOString(),
    cpuPercent,
    load: { one: 1.5, five: 1.2, fifteen: 1 },
    memory: { totalBytes: 8 * GB, usedBytes: 3 * GB, availableBytes: 5 * GB },
    swap: { totalBytes: 0, usedBytes: 0 },
    disks: [{ mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100 * GB, usedBytes: 40 * GB, freeBytes: 60 * GB, usedPercent: 40 }],
    network: [],
    uptimeSeconds: 3600,
  };
}

const rowsOf = (tenantId: string, table: string, where: Record<string, unknown>) => withTenant(api.deps.db, tenantId, (tx) => tx(table).where(where)) as Promise<any[]>;
const storedSamples = async (a: Agent) => (await rowsOf(a.tenantId, 'machine_metrics', { machine_id: a.machineId })).length;
const ticketsOf = (a: Agent) => rowsOf(a.tenantId, 'tickets', { machine_id: a.machineId });
const alertsOf = (a: Agent) => rowsOf(a.tenantId, 'alerts', { machine_id: a.machineId });

describe('a CPU rule', () => {
  it('fires once the breach held for its duration: exactly one pre-filled ticket, then it resolves', async () => {
    const srv = await enrolledMachine('srv-cpu-01');
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'CPU saturé', kind: 'metric_threshold', condition: { metric: 'cpu', threshold: 90, durationSeconds: 60 }, scope: { kind: 'client', id: srv.clientId }, severity: 'critical', autoResolveTicket: true },
    });
    expect(rule.status).toBe(201);
    const t0 = Date.now() - 5 * 60_000;
    const at = (s: number) => new Date(t0 + s * 1000);

    // 30 s of breach is not yet 60 s: nothing opens.
    await srv.publish('metrics', sample(95, at(0)));
    await srv.publish('metrics', sample(96, at(30)));
    await until('two samples stored', async () => (await storedSamples(srv)) === 2);
    await new Promise((r) => setTimeout(r, 500));
    expect(await alertsOf(srv)).toHaveLength(0);

    await srv.publish('metrics', sample(97.5, at(60)));
    const [ticket] = await until('the alert ticket', async () => {
      const rows = await ticketsOf(srv);
      return rows.length > 0 && rows;
    });
    expect(ticket).toMatchObject({
      client_id: srv.clientId,
      machine_id: srv.machineId,
      contract_id: srv.contractId,
      priority: 'critical',
      source: 'alert',
      status: 'open',
      subject: '[Alerte] CPU > 90 % sur srv-cpu-01',
    });
    expect(ticket.description).toContain('CPU 97,5 %');
    expect(ticket.description).toContain('CPU > 90 % pendant 1 min');

    // More breaching samples: the same alert, no second ticket.
    for (const s of [90, 120, 150]) await srv.publish('metrics', sample(99, at(s)));
    await until('six samples stored', async () => (await storedSamples(srv)) === 6);
    await new Promise((r) => setTimeout(r, 1000));
    expect(await ticketsOf(srv)).toHaveLength(1);
    const [alert] = await alertsOf(srv);
    expect(alert).toMatchObject({ status: 'open', ticket_id: ticket.id, rule_id: rule.body.id });

    const listed = await api.call('GET', `/api/v1/alerts?status=open&machineId=${srv.machineId}`, { token: admin.token });
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: alert.id, ruleName: 'CPU saturé', kind: 'metric_threshold', severity: 'critical', hostname: 'srv-cpu-01', clientId: srv.clientId, status: 'open', ticketId: ticket.id, ticketNumber: ticket.number }),
    ]);

    // Back to normal: the alert resolves, and the ticket with it (autoResolveTicket).
    await srv.publish('metrics', sample(12, at(180)));
    const resolved = await until('the alert resolved', async () => {
      const [a] = await alertsOf(srv);
      return a?.status === 'resolved' && a;
    });
    expect(resolved.last_value).toMatchObject({ value: 12, detail: 'CPU 12 %' });
    const after = await until('the ticket resolved', async () => {
      const [t] = await ticketsOf(srv);
      return t?.status === 'resolved' && t;
    });
    expect(after.resolution_note).toContain('CPU 12 %');
    expect(await ticketsOf(srv)).toHaveLength(1);
    const one = await api.call('GET', `/api/v1/alerts/${alert.id}`, { token: admin.token });
    expect(one.body).toMatchObject({ status: 'resolved', occurrences: 1, lastValue: { value: 12, unit: '%' } });
    expect(one.body.resolvedAt).not.toBeNull();
  });
});

describe('a long alert', () => {
  it('continues as new with its memory when its history grows, and still resolves with one ticket', async () => {
    const srv = await enrolledMachine('srv-long-01');
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'Charge', kind: 'metric_threshold', condition: { metric: 'load1', threshold: 8 }, scope: { kind: 'machine', id: srv.machineId }, autoResolveTicket: true },
    });
    const ids = { tenantId: srv.tenantId, machineId: srv.machineId, ruleId: rule.body.id };
    const reading = (value: number) => ({ value, unit: '', subject: null, detail: `Charge (1 min) ${value}` });
    const send = signal();
    await send(ids, { state: 'breached', at: new Date().toISOString(), reading: reading(12) });
    const handle = api.deps.temporal.workflow.getHandle(alertWorkflowId(ids));
    const firstRun = (await handle.describe()).runId;
    // The test stack suggests continueAsNew at 50 events: twenty repeats (an activity each) go past it.
    for (let i = 0; i < 20; i++) await send(ids, { state: 'breached', at: new Date().toISOString(), reading: reading(13 + i) });
    await until('21 occurrences', async () => (await handle.query(alertStateQuery)).occurrences === 21);
    expect((await handle.describe()).runId).not.toBe(firstRun);
    expect(await handle.query(alertStateQuery)).toMatchObject({ phase: 'open', occurrences: 21, lastReading: reading(32) });
    await until('the count in Postgres', async () => (await alertsOf(srv))[0]?.occurrences === 21);

    await send(ids, { state: 'clear', at: new Date().toISOString(), reading: reading(1) });
    await until('the alert resolved', async () => (await alertsOf(srv))[0]?.status === 'resolved');
    const tickets = await until('the ticket resolved', async () => {
      const rows = await ticketsOf(srv);
      return rows[0]?.status === 'resolved' && rows;
    });
    expect(tickets).toHaveLength(1);
  });
});

describe('offline detection', () => {
  it('a machine silent past the threshold gets an alert and a ticket; a heartbeat clears it', async () => {
    const pc = await enrolledMachine('pc-offline-01');
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'Hors ligne', kind: 'offline', scope: { kind: 'machine', id: pc.machineId }, severity: 'critical', autoResolveTicket: true },
    });
    expect(rule.status).toBe(201);
    await withTenant(api.deps.db, pc.tenantId, (tx) => tx('machines').where({ id: pc.machineId }).update({ last_seen_at: new Date(Date.now() - 10 * 60_000) }));

    const first = await sweepOffline(api.deps.db, signal(), log);
    expect(first.breach).toBeGreaterThanOrEqual(1);
    const [ticket] = await until('the offline ticket', async () => {
      const rows = await ticketsOf(pc);
      return rows.length > 0 && rows;
    });
    expect(ticket).toMatchObject({ client_id: pc.clientId, contract_id: pc.contractId, priority: 'critical', subject: '[Alerte] Hors ligne sur pc-offline-01', status: 'open' });
    expect(ticket.description).toContain('Hors ligne (aucun signal depuis 150 s)');
    expect(ticket.description).toMatch(/Dernier signal il y a \d+ s/);

    // A second pass changes nothing: the alert is open and was just told.
    await until('the alert row', async () => (await alertsOf(pc)).length === 1);
    const again = await sweepOffline(api.deps.db, signal(), log);
    const mine = (await withTenant(api.deps.db, pc.tenantId, (tx) => tx('alerts').where({ rule_id: rule.body.id }))).length;
    expect(mine).toBe(1);
    expect(again.breach + again.repeat).toBe(0);

    await pc.publish('hb', { sentAt: new Date().toISOString() });
    await until('the heartbeat stored', async () => {
      const m = await withTenant(api.deps.db, pc.tenantId, (tx) => tx('machines').where({ id: pc.machineId }).first('last_seen_at'));
      return Date.now() - (m.last_seen_at as Date).getTime() < 60_000;
    });
    const cleared = await sweepOffline(api.deps.db, signal(), log);
    expect(cleared.clear).toBeGreaterThanOrEqual(1);
    await until('the offline alert resolved', async () => (await alertsOf(pc))[0]?.status === 'resolved');
    const [after] = await until('the ticket resolved', async () => {
      const rows = await ticketsOf(pc);
      return rows[0]?.status === 'resolved' && rows;
    });
    expect(after.resolution_note).toContain('De nouveau en ligne');
  });
});

describe('the API', () => {
  it('manages rules: validation, roles, filters and keyset pages', async () => {
    const srv = await enrolledMachine('srv-api-01');
    const bad = await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'Disque', kind: 'disk_free', condition: { mountPoint: '/' } } });
    expect(bad.status).toBe(400);
    const unknownScope = await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'x', kind: 'offline', scope: { kind: 'client', id: randomUUID() } } });
    expect(unknownScope.status).toBe(400);
    expect(unknownScope.body.errors).toEqual([expect.objectContaining({ path: 'scope.id' })]);

    const tech = await sessionAs(api, admin, 'technician');
    const refused = await api.call('POST', '/api/v1/alert-rules', { token: tech.token, body: { name: 'x', kind: 'offline' } });
    expect(refused.status).toBe(403);

    const names = ['Antivirus', 'Disque plein', 'Service nginx'];
    const created = [
      await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'Disque plein', kind: 'disk_free', condition: { minFreePercent: 10 }, scope: { kind: 'tag', tag: 'Serveur' } } }),
      await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'Antivirus', kind: 'antivirus', severity: 'info' } }),
      await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'Service nginx', kind: 'service_stopped', condition: { services: ['nginx'] }, enabled: false } }),
    ];
    expect(created.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(created[0]!.body).toMatchObject({ scope: { kind: 'tag', tag: 'serveur' }, condition: { mountPoint: null, minFreePercent: 10, durationSeconds: 0 }, severity: 'warning', enabled: true });

    // Pages of two, by name, walk every rule of the tenant once (the other tests' rules too).
    const seen: { id: string; name: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.call('GET', `/api/v1/alert-rules?limit=2&sort=name${cursor ? `&cursor=${cursor}` : ''}`, { token: tech.token });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(seen.map((r) => r.id)).size).toBe(seen.length);
    expect(seen.map((r) => r.name).filter((n) => names.includes(n))).toEqual(names);
    const total = await withTenant(api.deps.db, srv.tenantId, (tx) => tx('alert_rules').count({ n: '*' }));
    expect(seen).toHaveLength(Number(total[0]!.n));
    const infos = await api.call('GET', '/api/v1/alert-rules?severity=info&kind=antivirus', { token: tech.token });
    expect(infos.body.items.map((r: { name: string }) => r.name)).toEqual(['Antivirus']);
    const disabled = await api.call('GET', '/api/v1/alert-rules?enabled=false', { token: tech.token });
    expect(disabled.body.items.map((r: { name: string }) => r.name)).toEqual(['Service nginx']);

    // The condition follows the rule's kind; the kind does not change.
    const id = created[0]!.body.id;
    expect((await api.call('PATCH', `/api/v1/alert-rules/${id}`, { token: admin.token, body: { condition: { metric: 'cpu', threshold: 90 } } })).status).toBe(400);
    expect((await api.call('PATCH', `/api/v1/alert-rules/${id}`, { token: admin.token, body: { kind: 'offline' } })).status).toBe(400);
    const patched = await api.call('PATCH', `/api/v1/alert-rules/${id}`, { token: admin.token, body: { condition: { mountPoint: '/var', minFreeBytes: 5 * GB }, severity: 'critical' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ kind: 'disk_free', severity: 'critical', condition: { mountPoint: '/var', minFreeBytes: 5 * GB } });
    expect((await api.call('GET', `/api/v1/alert-rules/${id}`, { token: tech.token })).body.severity).toBe('critical');

    const tags = await api.call('PUT', `/api/v1/machines/${srv.machineId}/tags`, { token: admin.token, body: { tags: ['Serveur', 'paris', 'serveur'] } });
    expect(tags).toMatchObject({ status: 200, body: { tags: ['paris', 'serveur'] } });

    expect((await api.call('DELETE', `/api/v1/alert-rules/${id}`, { token: tech.token })).status).toBe(403);
    expect((await api.call('DELETE', `/api/v1/alert-rules/${id}`, { token: admin.token })).status).toBe(204);
    expect((await api.call('GET', `/api/v1/alert-rules/${id}`, { token: admin.token })).status).toBe(404);
    expect((await api.call('GET', `/api/v1/alerts/${randomUUID()}`, { token: admin.token })).status).toBe(404);
  });

  it('resolves the open alerts of a rule that is disabled', async () => {
    const srv = await enrolledMachine('srv-disabled-01');
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'Mémoire', kind: 'metric_threshold', condition: { metric: 'memory', threshold: 80 }, scope: { kind: 'machine', id: srv.machineId }, autoResolveTicket: true },
    });
    const ids = { tenantId: srv.tenantId, machineId: srv.machineId, ruleId: rule.body.id };
    await signal()(ids, { state: 'breached', at: new Date().toISOString(), reading: { value: 91, unit: '%', subject: null, detail: 'Mémoire 91 %' } });
    await until('the ticket', async () => (await ticketsOf(srv)).length === 1);
    const patched = await api.call('PATCH', `/api/v1/alert-rules/${rule.body.id}`, { token: admin.token, body: { enabled: false } });
    expect(patched.body.enabled).toBe(false);
    await until('the alert resolved', async () => (await alertsOf(srv))[0]?.status === 'resolved');
    const [ticket] = await until('the ticket resolved', async () => {
      const rows = await ticketsOf(srv);
      return rows[0]?.status === 'resolved' && rows;
    });
    expect(ticket.resolution_note).toContain('règle désactivée');
  });

  it('keeps the offline threshold per tenant, 150 s by default', async () => {
    expect((await api.call('GET', '/api/v1/alert-settings', { token: admin.token })).body).toEqual({ offlineAfterSeconds: 150 });
    const other = await api.signup();
    expect((await api.call('PATCH', '/api/v1/alert-settings', { token: other.token, body: { offlineAfterSeconds: 10 } })).status).toBe(400);
    expect((await api.call('PATCH', '/api/v1/alert-settings', { token: other.token, body: { offlineAfterSeconds: 300 } })).body).toEqual({ offlineAfterSeconds: 300 });
    expect((await api.call('GET', '/api/v1/alert-settings', { token: other.token })).body).toEqual({ offlineAfterSeconds: 300 });
    expect((await api.call('GET', '/api/v1/alert-settings', { token: admin.token })).body).toEqual({ offlineAfterSeconds: 150 });
  });
});
