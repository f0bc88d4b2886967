import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { machinesRepo, withTenant } from '@vigie/db';
import { sessionAs, startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { handleHeartbeat, startHeartbeatConsumer, type HeartbeatConsumer } from '../../ingest/src/telemetry/heartbeats';
import { startMetricsConsumer, type MetricsConsumer } from '../../ingest/src/telemetry/metrics';
import { until } from '../../api/test/support/until';
import { AGENT_CLI as CLI, runAgentCli as cli } from './support/cli';

/**
 * The RMM's first vertical slice, end to end: a real API, the test stack's NATS (operator/account JWTs, full
 * resolver, JetStream), the ingest heartbeat consumer, Postgres, and the real agent process from its built CLI.
 */
const NODE = process.execPath;

let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let ingest: HeartbeatConsumer;
// The agent also sends metrics on the same sequence: stored too, so the receipts have no gap.
let metricsIngest: MetricsConsumer;
const children: ChildProcess[] = [];
const dirs: string[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-agent-'));
  dirs.push(dir);
  return path.join(dir, 'data');
}

async function newToken(session = admin): Promise<{ id: string; token: string; clientId: string }> {
  const client = await api.call('POST', '/api/v1/clients', { token: session.token, body: { name: `Client ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  expect(client.status).toBe(201);
  const res = await api.call('POST', '/api/v1/enrollment-tokens', { token: session.token, body: { clientId: client.body.id, ttlHours: 2 } });
  expect(res.status).toBe(201);
  return { ...res.body, clientId: client.body.id };
}

async function enrollWithCli(token: string): Promise<{ dataDir: string; machineId: string; tenantId: string }> {
  const dataDir = tempDir();
  const res = await cli(['enroll', '--url', api.url, '--token', token, '--data-dir', dataDir]);
  expect(res).toMatchObject({ code: 0 });
  const out = JSON.parse(res.stdout) as { machineId: string; tenantId: string };
  return { dataDir, ...out };
}

const receipts = (tenantId: string, machineId: string) => withTenant(api.deps.db, tenantId, (tx) => machinesRepo.countTelemetry(tx, machineId, 'hb'));

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  // Its own durable, so this test does not depend on another ingest sharing the stream.
  ingest = await startHeartbeatConsumer({ nc, db: api.deps.db, log: pino({ level: 'silent' }), consumer: `ingest-hb-test-${randomUUID().slice(0, 8)}` });
  metricsIngest = await startMetricsConsumer({ nc, db: api.deps.db, log: pino({ level: 'silent' }), consumer: `ingest-metrics-hbtest-${randomUUID().slice(0, 8)}` });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ingest?.stop();
  await metricsIngest?.stop();
  await nc?.drain();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('enrollment, agent credentials and heartbeats', () => {
  let enrolled: { dataDir: string; machineId: string; tenantId: string };

  it('enrolls the real agent with a token, storing its credentials privately', async () => {
    const { token, clientId } = await newToken();
    const list = await api.call('GET', '/api/v1/enrollment-tokens', { token: admin.token });
    expect(list.body.items[0]).toMatchObject({ clientId, status: 'active' });
    expect(JSON.stringify(list.body)).not.toContain(token);

    enrolled = await enrollWithCli(token);
    for (const file of ['agent.json', 'agent.creds', 'machine-token']) {
      expect(fs.statSync(path.join(enrolled.dataDir, file)).mode & 0o777).toBe(0o600);
    }
    expect(fs.statSync(enrolled.dataDir).mode & 0o777).toBe(0o700);
    const creds = fs.readFileSync(path.join(enrolled.dataDir, 'agent.creds'), 'utf8');
    expect(creds).toMatch(/BEGIN USER NKEY SEED-----\nSU[A-Z2-7]+/);

    const machine = await api.call('GET', `/api/v1/machines/${enrolled.machineId}`, { token: admin.token });
    expect(machine.status).toBe(200);
    expect(machine.body).toMatchObject({ clientId, hostname: os.hostname(), lastSeenAt: null, online: false, agentVersion: '0.1.0' });
    // The seed never left the machine: the server only knows the public key.
    const seed = /SU[A-Z2-7]+/.exec(creds)![0];
    const stored = await withTenant(api.deps.db, enrolled.tenantId, (tx) => tx('machines').where({ id: enrolled.machineId }).first());
    expect(JSON.stringify(stored)).not.toContain(seed);
    expect(stored.nkey_public).toMatch(/^U/);
  });

  it('runs: heartbeats land in Postgres (last_seen_at, one receipt per sequence)', async () => {
    const agent = spawn(NODE, [CLI, 'run', '--data-dir', enrolled.dataDir, '--heartbeat-seconds', '0.3'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(agent);
    let log = '';
    agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until('three heartbeats stored', async () => (await receipts(enrolled.tenantId, enrolled.machineId)) >= 3, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent log:\n${log}`);
    });
    const machine = await api.call('GET', `/api/v1/machines/${enrolled.machineId}`, { token: admin.token });
    expect(machine.body.online).toBe(true);
    expect(Date.now() - Date.parse(machine.body.lastSeenAt)).toBeLessThan(10_000);
    const seqs = await withTenant(api.deps.db, enrolled.tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: enrolled.machineId }).orderBy('seq').pluck('seq'));
    expect(seqs.slice(0, 3)).toEqual([1, 2, 3]);
    const fleet = await api.call('GET', '/api/v1/machines', { token: admin.token });
    expect(fleet.body.items.map((m: { id: string }) => m.id)).toContain(enrolled.machineId);

    agent.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => agent.once('exit', r));
    expect(code).toBe(0);
    // A clean stop writes back the last number used, so the next run continues without a gap.
    const stored = await withTenant(api.deps.db, enrolled.tenantId, (tx) => tx('machines').where({ id: enrolled.machineId }).first('last_seq'));
    expect(JSON.parse(fs.readFileSync(path.join(enrolled.dataDir, 'sequence.json'), 'utf8'))).toEqual({ version: 1, reserved: stored.last_seq });
  });

  it('keeps heartbeats on disk while NATS is unreachable and replays them in order when it is back', async () => {
    const { tenantId, machineId, dataDir } = enrolled;
    const before = (await withTenant(api.deps.db, tenantId, (tx) => tx('machines').where({ id: machineId }).first('last_seq'))).last_seq as number;
    // A port nobody listens on: the agent queues and keeps retrying.
    const offline = spawn(NODE, [CLI, 'run', '--data-dir', dataDir, '--heartbeat-seconds', '0.2', '--nats-url', 'nats://127.0.0.1:1'], { stdio: 'ignore' });
    children.push(offline);
    await new Promise((r) => setTimeout(r, 1500));
    offline.kill('SIGTERM');
    expect(await new Promise((r) => offline.once('exit', r))).toBe(0);
    const queuedSegments = fs.readdirSync(path.join(dataDir, 'outbox')).filter((f) => f.endsWith('.seg'));
    expect(queuedSegments.length).toBeGreaterThan(0);
    const sequence = JSON.parse(fs.readFileSync(path.join(dataDir, 'sequence.json'), 'utf8')) as { reserved: number };
    const lastQueued = sequence.reserved;
    expect(lastQueued).toBeGreaterThan(before + 3);

    const online = spawn(NODE, [CLI, 'run', '--data-dir', dataDir, '--heartbeat-seconds', '30'], { stdio: 'ignore' });
    children.push(online);
    await until('the queued heartbeats replayed', async () => {
      const row = await withTenant(api.deps.db, tenantId, (tx) => tx('machines').where({ id: machineId }).first('last_seq'));
      if ((row.last_seq as number) <= lastQueued) return false;
      // Metrics (same sequence) come in batches a second apart: wait for them too.
      const n = await withTenant(api.deps.db, tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: machineId }).where('seq', '>', before).where('seq', '<=', lastQueued).count({ n: '*' }));
      return Number(n[0]!.n) === lastQueued - before;
    }, 20_000);
    // Nothing lost: every sequence number from before the outage to the first live beat is stored.
    const seqs = (await withTenant(api.deps.db, tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: machineId }).where('seq', '>', before).where('seq', '<=', lastQueued).orderBy('seq').pluck('seq'))) as number[];
    expect(seqs).toEqual(Array.from({ length: lastQueued - before }, (_, i) => before + 1 + i));
    online.kill('SIGTERM');
    expect(await new Promise((r) => online.once('exit', r))).toBe(0);
  });

  it("refuses the agent's credentials on another machine's subjects", async () => {
    const config = JSON.parse(fs.readFileSync(path.join(enrolled.dataDir, 'agent.json'), 'utf8')) as { subjects: { inboxPrefix: string } };
    const agentNc = await connect({
      servers: process.env.NATS_URL!,
      authenticator: credsAuthenticator(fs.readFileSync(path.join(enrolled.dataDir, 'agent.creds'))),
      inboxPrefix: config.subjects.inboxPrefix,
    });
    try {
      const errors: { operation?: string; subject?: string; code?: string }[] = [];
      void (async () => {
        for await (const s of agentNc.status()) {
          if (s.type === 'error') errors.push({ code: String(s.data), ...(s.permissionContext ?? {}) });
        }
      })();
      const other = randomUUID();
      const foreign = `vigie.${enrolled.tenantId}.tlm.${other}.hb`;
      agentNc.publish(foreign, new TextEncoder().encode('{}'));
      await agentNc.flush();
      await until('publish violation', async () => errors.some((e) => e.operation === 'publish' && e.subject === foreign), 5000);
      expect(errors.find((e) => e.subject === foreign)?.code).toBe('PERMISSIONS_VIOLATION');

      // Nor another tenant's view of the same machine id, nor another machine's commands.
      const sub = agentNc.subscribe(`vigie.${enrolled.tenantId}.agent.${other}.cmd.>`);
      const iterated = (async () => {
        for await (const _ of sub) {
          // nothing may arrive
        }
      })();
      await expect(iterated).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });

      // Its own commands are allowed.
      const own = agentNc.subscribe(`vigie.${enrolled.tenantId}.agent.${enrolled.machineId}.cmd.ping`, { max: 1 });
      await agentNc.flush();
      nc.publish(`vigie.${enrolled.tenantId}.agent.${enrolled.machineId}.cmd.ping`, new TextEncoder().encode('hi'));
      for await (const msg of own) expect(new TextDecoder().decode(msg.data)).toBe('hi');
    } finally {
      await agentNc.close();
    }
  });

  it('stores the same heartbeat once: JetStream drops a repeated Nats-Msg-Id, ingest a redelivered sequence', async () => {
    const { tenantId, machineId } = enrolled;
    const subject = `vigie.${tenantId}.tlm.${machineId}.hb`;
    const seq = 1_000_000 + Math.floor(Math.random() * 1000);
    const payload = new TextEncoder().encode(JSON.stringify({ seq, sentAt: new Date().toISOString() }));
    const js = nc.jetstream();
    const first = await js.publish(subject, payload, { msgID: `${machineId}:${seq}` });
    const again = await js.publish(subject, payload, { msgID: `${machineId}:${seq}` });
    expect(first.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    await until('the heartbeat stored', () => withTenant(api.deps.db, tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: machineId, seq }).first()), 20_000);
    // A redelivery after JetStream's window (ingest crashed before its ack) reaches ingest again: a no-op.
    expect(await handleHeartbeat(api.deps.db, subject, payload, `${machineId}:${seq}`)).toBe('duplicate');
    const rows = await withTenant(api.deps.db, tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: machineId, seq }).count<{ n: number }[]>({ n: '*' }));
    expect(Number(rows[0]!.n)).toBe(1);
  });

  it('acks and drops malformed heartbeats and those of unknown or other tenants’ machines', async () => {
    const other = await api.signup();
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const hb = { seq: 1, sentAt: new Date().toISOString() };
    // The machine exists, but not in the tenant the subject names.
    expect(await handleHeartbeat(api.deps.db, `vigie.${randomUUID()}.tlm.${enrolled.machineId}.hb`, enc(hb), undefined)).toBe('unknown_machine');
    expect(await handleHeartbeat(api.deps.db, `vigie.${enrolled.tenantId}.tlm.${randomUUID()}.hb`, enc(hb), undefined)).toBe('unknown_machine');
    expect(await handleHeartbeat(api.deps.db, `vigie.${enrolled.tenantId}.tlm.${enrolled.machineId}.hb`, new TextEncoder().encode('not json'), undefined)).toBe('malformed');
    expect(await handleHeartbeat(api.deps.db, `vigie.${enrolled.tenantId}.tlm.${enrolled.machineId}.hb`, enc({ seq: -1 }), undefined)).toBe('malformed');
    expect(await handleHeartbeat(api.deps.db, `vigie.nope.tlm.${enrolled.machineId}.hb`, enc(hb), undefined)).toBe('malformed');
    // Through the consumer: acked (not redelivered forever) and counted.
    const before = ingest.counts.malformed;
    await nc.jetstream().publish(`vigie.${enrolled.tenantId}.tlm.${enrolled.machineId}.hb`, new TextEncoder().encode('garbage'));
    await until('the malformed heartbeat acked', async () => ingest.counts.malformed > before, 20_000);
    // The other tenant's machine list does not show it.
    const fleet = await api.call('GET', '/api/v1/machines', { token: other.token });
    expect(fleet.body.items).toEqual([]);
  });
});

describe('enrollment tokens that no longer work', () => {
  it('refuses an unknown, an expired and a revoked token with a clear problem', async () => {
    const body = (token: string) => ({ token, hostname: 'pc', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic: `U${'A'.repeat(55)}` });
    const unknown = await api.call('POST', '/api/v1/agents/enroll', { body: body(`vgt_${'x'.repeat(40)}`) });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ reason: 'unknown' });

    const expired = await newToken();
    await withTenant(api.deps.db, admin.user.tenantId, (tx) =>
      tx('enrollment_tokens').where({ id: expired.id }).update({ expires_at: new Date(Date.now() - 1000) }),
    );
    const late = await api.call('POST', '/api/v1/agents/enroll', { body: body(expired.token) });
    expect(late.status).toBe(401);
    expect(late.body).toMatchObject({ reason: 'expired', detail: expect.stringMatching(/expired/) });

    const revoked = await newToken();
    expect((await api.call('DELETE', `/api/v1/enrollment-tokens/${revoked.id}`, { token: admin.token })).status).toBe(204);
    const list = await api.call('GET', '/api/v1/enrollment-tokens', { token: admin.token });
    expect(list.body.items.find((t: { id: string }) => t.id === revoked.id)).toMatchObject({ status: 'revoked' });
    // The real CLI says why and exits non-zero, leaving nothing behind.
    const dataDir = tempDir();
    const res = await cli(['enroll', '--url', api.url, '--token', revoked.token, '--data-dir', dataDir]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused \(401\).*revoked/);
    expect(fs.existsSync(path.join(dataDir, 'agent.json'))).toBe(false);
  });

  it('lets only admins and managers handle tokens', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    expect((await api.call('GET', '/api/v1/enrollment-tokens', { token: tech.token })).status).toBe(403);
    const manager = await sessionAs(api, admin, 'manager');
    expect((await api.call('GET', '/api/v1/enrollment-tokens', { token: manager.token })).status).toBe(200);
  });
});
