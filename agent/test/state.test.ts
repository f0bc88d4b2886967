import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { machineStateRepo, withTenant } from '@vigie/db';
import { sessionAs, startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { until } from '../../api/test/support/until';
import { createAlertEvaluator, temporalAlertSignal, type AlertEvaluator } from '../../ingest/src/alerts/evaluate';
import { handleEvents, handleInventory, startEventsConsumer, startInventoryConsumer, type StateConsumer } from '../../ingest/src/telemetry/state';
import { startTestWorker } from '../../worker/test/support/worker';
import { enroll } from '../src/enroll';
import { runAgent, type RunningAgent } from '../src/run';
import type { JournalBatch } from '../src/collect/events';
import type { EventSource, StateSnapshot } from '../src/telemetry/machine-state';

/**
 * Machine state end to end: the agent (in-process, with fake collectors since this machine has no systemd or
 * journald) queues its snapshots and events in the outbox, JetStream carries them, the ingest consumers (their
 * own durables) store them and evaluate the rules, the rmm and tickets workers run the alert and ticket
 * workflows, and the API shows the state to the tenant and nobody else.
 */
let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let inventory: StateConsumer;
let events: StateConsumer;
let evaluator: AlertEvaluator;
let worker: { stop(): Promise<void> };
const agents: RunningAgent[] = [];
const dirs: string[] = [];
const log = pino({ level: process.env.TEST_INGEST_LOG ?? 'silent' });

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  worker = await startTestWorker(['rmm', 'tickets']);
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  // One second of grace after a clear keeps the test short (production: 60 s).
  evaluator = createAlertEvaluator({ db: api.deps.db, signal: temporalAlertSignal(api.deps.temporal, 1), log, rulesTtlMs: 200 });
  const suffix = randomUUID().slice(0, 8);
  inventory = await startInventoryConsumer({ nc, db: api.deps.db, log, consumer: `ingest-inventory-test-${suffix}`, tenantId: admin.user.tenantId, afterStore: (s) => evaluator.evaluateState(s.tenantId, s.machineId, s.payload) });
  events = await startEventsConsumer({ nc, db: api.deps.db, log, consumer: `ingest-events-test-${suffix}`, tenantId: admin.user.tenantId, afterStore: (s) => evaluator.evaluateEvents(s.tenantId, s.machineId, s.payload.events) });
}, 60_000);

afterAll(async () => {
  for (const agent of agents) await agent.stop().catch(() => {});
  evaluator?.stop();
  await inventory?.stop();
  await events?.stop();
  await nc?.drain();
  await worker?.stop();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A client with a default contract, and an agent enrolled for it (not running yet). */
async function enrolledMachine(): Promise<{ dataDir: string; machineId: string; tenantId: string; clientId: string }> {
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Parc ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  expect(client.status).toBe(201);
  const contract = await api.call('POST', '/api/v1/contracts', { token: admin.token, body: { clientId: client.body.id, type: 'time_material', name: 'Régie', hourlyRateCents: 9000, isDefault: true } });
  expect(contract.status).toBe(201);
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-agent-state-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  const config = await enroll({ url: api.url, token: token.body.token, dataDir });
  return { dataDir, machineId: config.machineId, tenantId: config.tenantId, clientId: client.body.id };
}

/** A state collector the test drives: the snapshot says whether nginx runs. */
function fakeState() {
  const state = { nginxActive: true, samples: 0 };
  const collect = async (): Promise<StateSnapshot> => {
    state.samples++;
    return {
      collectedAt: new Date().toISOString(),
      services: [
        { name: 'nginx', unit: 'nginx.service', loadState: 'loaded', activeState: state.nginxActive ? 'active' : 'failed', subState: state.nginxActive ? 'running' : 'failed', exists: true, active: state.nginxActive },
      ],
      processes: [{ name: 'backup-agent', running: true, pids: [4242] }],
      security: [{ id: 'clamav', name: 'ClamAV', installed: true, running: true, realtimeProtection: null }],
      unavailable: [],
    };
  };
  return { state, collect };
}

/** An event source that has two events once, then nothing; commits are recorded. */
function fakeEvents(): EventSource & { commits: (string | undefined)[] } {
  const now = Date.now();
  let served = false;
  const commits: (string | undefined)[] = [];
  return {
    commits,
    async read(): Promise<JournalBatch> {
      if (served) return { events: [], cursor: commits.at(-1), more: false };
      served = true;
      return {
        events: [
          { cursor: 'c1', at: new Date(now - 2000).toISOString(), priority: 3, severity: 'error', message: 'nginx: bind() to 0.0.0.0:80 failed', source: 'nginx', unit: 'nginx.service', pid: 812 },
          { cursor: 'c2', at: new Date(now - 1000).toISOString(), priority: 2, severity: 'critical', message: 'EXT4-fs error (device sda1)', source: 'kernel' },
        ],
        cursor: 'c2',
        more: false,
      };
    },
    commit(cursor) {
      commits.push(cursor);
    },
  };
}

const rowsOf = (tenantId: string, table: string, where: Record<string, unknown>) => withTenant(api.deps.db, tenantId, (tx) => tx(table).where(where)) as Promise<any[]>;

describe('machine state from the agent', () => {
  let machine: Awaited<ReturnType<typeof enrolledMachine>>;

  it('lands the snapshot and the events once, and the API shows them to the tenant only', async () => {
    machine = await enrolledMachine();
    const { collect } = fakeState();
    const source = fakeEvents();
    const agent = await runAgent({ dataDir: machine.dataDir, heartbeatSeconds: 30, metricsSeconds: 3600, collectMetrics: async () => ({}), stateSeconds: 0.3, eventsSeconds: 0.3, collectState: collect, readEvents: source, log: () => {} });
    agents.push(agent);
    await until('services stored', async () => (await rowsOf(machine.tenantId, 'machine_services', { machine_id: machine.machineId })).length === 2, 15_000);
    await until('events stored', async () => (await rowsOf(machine.tenantId, 'machine_events', { machine_id: machine.machineId })).length === 2, 15_000);
    // The cursor is committed after the events are in the outbox.
    expect(source.commits[0]).toBe('c2');

    // A redelivered events message, through ingest or straight into the table, adds nothing.
    const [stored] = await rowsOf(machine.tenantId, 'machine_events', { machine_id: machine.machineId });
    const seq = Number(stored.seq);
    const subject = `vigie.${machine.tenantId}.tlm.${machine.machineId}.events`;
    const body = { seq, events: [{ at: new Date().toISOString(), priority: 3, severity: 'error', source: 'x', message: 'replayed' }] };
    const data = new TextEncoder().encode(JSON.stringify(body));
    expect((await handleEvents(api.deps.db, subject, data, `${machine.machineId}:${seq}`)).outcome).toBe('duplicate');
    expect(await withTenant(api.deps.db, machine.tenantId, (tx) => machineStateRepo.appendEvents(tx, machine.tenantId, machine.machineId, seq, [body.events[0]! as never, body.events[0]! as never]))).toBe(0);
    expect(await rowsOf(machine.tenantId, 'machine_events', { machine_id: machine.machineId })).toHaveLength(2);
    // A redelivered snapshot too; and `since` stays while nginx stays active, across snapshots.
    await until('a few snapshots', async () => (await rowsOf(machine.tenantId, 'telemetry_receipts', { machine_id: machine.machineId, kind: 'inventory' })).length >= 3, 15_000);
    const [receipt] = await rowsOf(machine.tenantId, 'telemetry_receipts', { machine_id: machine.machineId, kind: 'inventory' });
    const again = { seq: Number(receipt.seq), collectedAt: new Date().toISOString(), services: [], processes: [], security: [] };
    expect((await handleInventory(api.deps.db, subject.replace(/events$/, 'inventory'), new TextEncoder().encode(JSON.stringify(again)), undefined)).outcome).toBe('duplicate');
    const [nginx] = await rowsOf(machine.tenantId, 'machine_services', { machine_id: machine.machineId, name: 'nginx' });
    expect(nginx.since.getTime()).toBeLessThan(nginx.updated_at.getTime());
    // Another tenant cannot write into this machine through its subject.
    const foreign = `vigie.${randomUUID()}.tlm.${machine.machineId}.inventory`;
    expect((await handleInventory(api.deps.db, foreign, new TextEncoder().encode(JSON.stringify({ seq: 999_999, collectedAt: new Date().toISOString(), services: [], processes: [], security: [] })), undefined)).outcome).toBe('unknown_machine');

    const tech = await sessionAs(api, admin, 'technician');
    const services = await api.call('GET', `/api/v1/machines/${machine.machineId}/services`, { token: tech.token });
    expect(services.status).toBe(200);
    expect(services.body.lastInventoryAt).not.toBeNull();
    expect(services.body.items).toEqual([
      expect.objectContaining({ kind: 'process', name: 'backup-agent', active: true, state: 'running' }),
      expect.objectContaining({ kind: 'service', name: 'nginx', active: true, exists: true, state: 'active' }),
    ]);
    const security = await api.call('GET', `/api/v1/machines/${machine.machineId}/security`, { token: tech.token });
    expect(security.status).toBe(200);
    expect(security.body).toMatchObject({ protected: true, products: [{ productId: 'clamav', name: 'ClamAV', installed: true, running: true, realtimeProtection: null }] });

    const page1 = await api.call('GET', `/api/v1/machines/${machine.machineId}/events?limit=1`, { token: tech.token });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toEqual([expect.objectContaining({ severity: 'critical', source: 'kernel', unit: null, message: 'EXT4-fs error (device sda1)' })]);
    const page2 = await api.call('GET', `/api/v1/machines/${machine.machineId}/events?limit=1&cursor=${page1.body.nextCursor}`, { token: tech.token });
    expect(page2.body.items).toEqual([expect.objectContaining({ severity: 'error', source: 'nginx', unit: 'nginx.service', priority: 3 })]);
    expect(page2.body.nextCursor).toBeNull();
    const critical = await api.call('GET', `/api/v1/machines/${machine.machineId}/events?maxPriority=2`, { token: tech.token });
    expect(critical.body.items.map((e: { source: string }) => e.source)).toEqual(['kernel']);

    const other = await api.signup();
    for (const what of ['services', 'security', 'events']) {
      const res = await api.call('GET', `/api/v1/machines/${machine.machineId}/${what}`, { token: other.token });
      expect(res.status).toBe(404);
    }
  }, 60_000);
});

describe('the real agent process on a machine without systemd', () => {
  it('reports the watched service as unavailable in its snapshots, and says so once in its log', async () => {
    const machine = await enrolledMachine();
    const cli = path.resolve(__dirname, '../dist/cli.js');
    const args = ['run', '--data-dir', machine.dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '30', '--watch-services', 'nginx', '--state-seconds', '0.3', '--events-seconds', '0.3'];
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    try {
      await until('three snapshots stored', async () => (await rowsOf(machine.tenantId, 'telemetry_receipts', { machine_id: machine.machineId, kind: 'inventory' })).length >= 3, 15_000).catch((err: Error) => {
        throw new Error(`${err.message}; agent log:\n${log}`);
      });
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    }
    expect(child.exitCode).toBe(0);
    const services = await api.call('GET', `/api/v1/machines/${machine.machineId}/services`, { token: admin.token });
    expect(services.body.items).toEqual([expect.objectContaining({ kind: 'service', name: 'nginx', exists: false, active: false })]);
    if (!fs.existsSync('/run/systemd/system')) {
      expect(services.body.items[0].state).toBe('unknown');
      expect(log.match(/state source unavailable/g)).toHaveLength(1);
    }
  }, 30_000);
});

describe('a service_stopped rule', () => {
  it('opens exactly one ticket while nginx is stopped and resolves when it runs again', async () => {
    const machine = await enrolledMachine();
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'nginx arrêté', kind: 'service_stopped', condition: { services: ['nginx'] }, scope: { kind: 'machine', id: machine.machineId }, severity: 'critical', autoResolveTicket: true },
    });
    expect(rule.status).toBe(201);
    const { state, collect } = fakeState();
    state.nginxActive = false;
    const agent = await runAgent({ dataDir: machine.dataDir, heartbeatSeconds: 30, metricsSeconds: 3600, collectMetrics: async () => ({}), stateSeconds: 0.3, collectState: collect, readEvents: { read: async () => ({ events: [], cursor: undefined, more: false }), commit: () => {} }, log: () => {} });
    agents.push(agent);

    const [ticket] = await until('the alert ticket', async () => {
      const rows = await rowsOf(machine.tenantId, 'tickets', { machine_id: machine.machineId });
      return rows.length > 0 && rows;
    }, 30_000);
    expect(ticket).toMatchObject({ client_id: machine.clientId, source: 'alert', status: 'open', priority: 'critical' });
    expect(ticket.subject).toContain('Service arrêté : nginx');
    expect(ticket.description).toContain('nginx');

    // More stopped snapshots: the same alert, no second ticket.
    const after = state.samples;
    await until('more snapshots', async () => state.samples >= after + 5, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(await rowsOf(machine.tenantId, 'tickets', { machine_id: machine.machineId })).toHaveLength(1);

    state.nginxActive = true;
    await until('the alert resolved', async () => (await rowsOf(machine.tenantId, 'alerts', { machine_id: machine.machineId }))[0]?.status === 'resolved', 30_000);
    await until('the ticket resolved', async () => (await rowsOf(machine.tenantId, 'tickets', { machine_id: machine.machineId }))[0]?.status === 'resolved', 30_000);
    expect(await rowsOf(machine.tenantId, 'tickets', { machine_id: machine.machineId })).toHaveLength(1);
    expect(await rowsOf(machine.tenantId, 'alerts', { machine_id: machine.machineId })).toHaveLength(1);
    await agent.stop();
  }, 90_000);
});

describe('antivirus and event rules (signals recorded)', () => {
  const recorded: { ruleId: string; state: string; detail: string | undefined }[] = [];
  const recorder = () =>
    createAlertEvaluator({
      db: api.deps.db,
      log,
      rulesTtlMs: 0,
      signal: async (ids, observation) => {
        recorded.push({ ruleId: ids.ruleId, state: observation.state, detail: observation.reading?.detail });
      },
    });
  const snapshot = (security: StateSnapshot['security'], unavailable: StateSnapshot['unavailable'] = []) => ({ seq: 1, collectedAt: new Date().toISOString(), services: [], processes: [], security, unavailable });

  it('antivirus: no product fires, an unreadable security source says nothing, a running one clears', async () => {
    const machine = await enrolledMachine();
    const rule = await api.call('POST', '/api/v1/alert-rules', { token: admin.token, body: { name: 'AV', kind: 'antivirus', scope: { kind: 'machine', id: machine.machineId } } });
    expect(rule.status).toBe(201);
    const evaluator = recorder();
    const mine = () => recorded.filter((r) => r.ruleId === rule.body.id);
    await evaluator.evaluateState(machine.tenantId, machine.machineId, snapshot([], ['security']));
    expect(mine()).toEqual([]);
    await evaluator.evaluateState(machine.tenantId, machine.machineId, snapshot([]));
    expect(mine()).toEqual([{ ruleId: rule.body.id, state: 'breached', detail: 'Aucun antivirus connu installé' }]);
    await evaluator.evaluateState(machine.tenantId, machine.machineId, snapshot([{ id: 'clamav', name: 'ClamAV', installed: true, running: true, realtimeProtection: null }]));
    expect(mine().map((r) => r.state)).toEqual(['breached', 'clear']);
  });

  it('event pattern: a matching event fires once, other events change nothing, quiet clears it', async () => {
    const machine = await enrolledMachine();
    const rule = await api.call('POST', '/api/v1/alert-rules', {
      token: admin.token,
      body: { name: 'Disque', kind: 'event_pattern', condition: { pattern: 'EXT4-fs error', minSeverity: 'critical' }, scope: { kind: 'machine', id: machine.machineId } },
    });
    expect(rule.status).toBe(201);
    // The API keeps clearAfterSeconds ≥ 60; one second keeps this test short.
    await withTenant(api.deps.db, machine.tenantId, (tx) => tx('alert_rules').where({ id: rule.body.id }).update({ condition: { ...rule.body.condition, clearAfterSeconds: 1 } }));
    const evaluator = recorder();
    const mine = () => recorded.filter((r) => r.ruleId === rule.body.id).map((r) => r.state);
    const event = (message: string, severity: 'error' | 'critical') => ({ at: new Date().toISOString(), priority: severity === 'error' ? 3 : 2, severity, source: 'kernel', message });
    await evaluator.evaluateEvents(machine.tenantId, machine.machineId, [event('EXT4-fs error (device sda1)', 'error'), event('usb 1-1: device not accepting address', 'critical')]);
    expect(mine()).toEqual([]);
    await evaluator.evaluateEvents(machine.tenantId, machine.machineId, [event('EXT4-fs error (device sda1)', 'critical'), event('EXT4-fs error (device sda1)', 'critical')]);
    expect(mine()).toEqual(['breached']);
    await until('cleared after a quiet second', async () => mine().length === 2, 5_000);
    expect(mine()).toEqual(['breached', 'clear']);
    evaluator.stop();
  });
});
