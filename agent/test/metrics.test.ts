import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { withTenant } from '@vigie/db';
import { sessionAs, startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { startMetricsConsumer, storeMetricsBatch, type MetricsConsumer } from '../../ingest/src/telemetry/metrics';
import { until } from '../../api/test/support/until';
import { AGENT_CLI as CLI, runAgentCli as cli } from './support/cli';

/**
 * Metrics end to end: the real agent process samples /proc and publishes through its outbox, ingest (in-process,
 * its own durable) writes batches into the daily partitions and the hourly roll-up, the API reads them back.
 */
const NODE = process.execPath;

let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let ingest: MetricsConsumer;
const children: ChildProcess[] = [];
const dirs: string[] = [];
let machine: { dataDir: string; machineId: string; tenantId: string };

const exited = (child: ChildProcess) => new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));

const metricRows = () =>
  withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_metrics').where({ machine_id: machine.machineId }).orderBy('seq')) as Promise<Record<string, unknown>[]>;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  ingest = await startMetricsConsumer({ nc, db: api.deps.db, log: pino({ level: process.env.TEST_INGEST_LOG ?? 'silent' }), consumer: `ingest-metrics-test-${randomUUID().slice(0, 8)}` });
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Parc', siren: nextSiren() } });
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-agent-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  const res = await cli(['enroll', '--url', api.url, '--token', token.body.token, '--data-dir', dataDir]);
  expect(res.code).toBe(0);
  machine = { dataDir, ...(JSON.parse(res.stdout) as { machineId: string; tenantId: string }) };
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ingest?.stop();
  await nc?.drain();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('metrics from the agent', () => {
  it('lands plausible samples in the daily partitions and the hourly roll-up', async () => {
    const agent = spawn(NODE, [CLI, 'run', '--data-dir', machine.dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '0.3'], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(agent);
    let log = '';
    agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    await until('three metric samples stored', async () => (await metricRows()).length >= 3, 15_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent log:\n${log}`);
    });
    agent.kill('SIGTERM');
    expect(await exited(agent)).toBe(0);

    const rows = await metricRows();
    const memTotal = os.totalmem();
    for (const row of rows) {
      expect(Number(row.cpu_percent)).toBeGreaterThanOrEqual(0);
      expect(Number(row.cpu_percent)).toBeLessThanOrEqual(100);
      // /proc/meminfo's MemTotal is what os.totalmem() reads.
      expect(Number(row.mem_total_bytes)).toBe(memTotal);
      expect(Number(row.mem_used_bytes)).toBeGreaterThan(0);
      expect(Number(row.mem_used_bytes)).toBeLessThanOrEqual(memTotal);
      expect(Number(row.uptime_seconds)).toBeGreaterThan(0);
      expect(Math.abs(Date.now() - (row.collected_at as Date).getTime())).toBeLessThan(60_000);
      expect(Array.isArray(row.disks)).toBe(true);
    }
    // The rows live in a day's partition, read through the parent.
    const { rows: parts } = await api.deps.db.raw(`select tableoid::regclass::text as part from machine_metrics where machine_id = ? limit 1`, [machine.machineId]);
    expect(parts).toEqual([]); // outside a tenant transaction RLS shows nothing
    const part = await withTenant(api.deps.db, machine.tenantId, (tx) => tx.raw(`select tableoid::regclass::text as part from machine_metrics where machine_id = ? limit 1`, [machine.machineId]));
    expect(part.rows[0].part).toMatch(/^machine_metrics_\d{8}$/);
    const hourly = await withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_metrics_hourly').where({ machine_id: machine.machineId }));
    expect(hourly.reduce((n: number, h: { samples: number }) => n + h.samples, 0)).toBe(rows.length);
  });

  it('stores a redelivered sample once and does not count it twice in the roll-up', async () => {
    const [row] = await metricRows();
    const seq = Number(row!.seq);
    const subject = `vigie.${machine.tenantId}.tlm.${machine.machineId}.metrics`;
    const sample = {
      seq,
      collectedAt: (row!.collected_at as Date).toISOString(),
      cpuPercent: Number(row!.cpu_percent),
      load: { one: Number(row!.load1), five: 0, fifteen: 0 },
      memory: { totalBytes: Number(row!.mem_total_bytes), usedBytes: Number(row!.mem_used_bytes), availableBytes: 0 },
      swap: { totalBytes: Number(row!.swap_total_bytes), usedBytes: Number(row!.swap_used_bytes) },
      disks: row!.disks,
      network: row!.network,
      uptimeSeconds: Number(row!.uptime_seconds),
    };
    const before = await withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_metrics_hourly').where({ machine_id: machine.machineId }).sum({ n: 'samples' }));
    const data = new TextEncoder().encode(JSON.stringify(sample));
    const msg = { subject, data, msgId: `${machine.machineId}:${seq}` };
    expect(await storeMetricsBatch(api.deps.db, [msg, msg])).toEqual(['duplicate', 'duplicate']);
    // Malformed ones and another tenant's machine are told apart, in the same batch.
    const foreign = { subject: `vigie.${randomUUID()}.tlm.${machine.machineId}.metrics`, data, msgId: undefined };
    const garbage = { subject, data: new TextEncoder().encode('{"seq":1}'), msgId: undefined };
    expect(await storeMetricsBatch(api.deps.db, [msg, foreign, garbage])).toEqual(['duplicate', 'unknown_machine', 'malformed']);
    const count = await withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_metrics').where({ machine_id: machine.machineId, seq }).count({ n: '*' }));
    expect(Number(count[0]!.n)).toBe(1);
    const after = await withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_metrics_hourly').where({ machine_id: machine.machineId }).sum({ n: 'samples' }));
    expect(after).toEqual(before);
  });

  it('serves raw points for 1h and hourly roll-ups for 7d to staff', async () => {
    const rows = await metricRows();
    const raw = await api.call('GET', `/api/v1/machines/${machine.machineId}/metrics?range=1h`, { token: admin.token });
    expect(raw.status).toBe(200);
    expect(raw.body.resolution).toBe('raw');
    expect(raw.body.points).toHaveLength(rows.length);
    expect(raw.body.points[0]).toMatchObject({ cpuPercent: expect.any(Number), memUsedBytes: Number(rows[0]!.mem_used_bytes), memTotalBytes: os.totalmem(), samples: 1 });
    const times = raw.body.points.map((p: { at: string }) => Date.parse(p.at));
    expect([...times].sort((a, b) => a - b)).toEqual(times);

    const tech = await sessionAs(api, admin, 'technician');
    const week = await api.call('GET', `/api/v1/machines/${machine.machineId}/metrics?range=7d`, { token: tech.token });
    expect(week.status).toBe(200);
    expect(week.body.resolution).toBe('hour');
    expect(week.body.points.reduce((n: number, p: { samples: number }) => n + p.samples, 0)).toBe(rows.length);
    for (const p of week.body.points) {
      expect(new Date(p.at).getUTCMinutes()).toBe(0);
      expect(p.cpuMaxPercent).toBeGreaterThanOrEqual(p.cpuPercent - 0.1);
    }
    expect((await api.call('GET', `/api/v1/machines/${machine.machineId}/metrics?range=2y`, { token: admin.token })).status).toBe(400);
    expect((await api.call('GET', `/api/v1/machines/${randomUUID()}/metrics`, { token: admin.token })).status).toBe(404);
  });

  it('keeps samples on disk while NATS is unreachable and stores every one of them afterwards, in sequence', async () => {
    const { dataDir, tenantId, machineId } = machine;
    // The highest sequence received so far (machines.last_seq lags: samples move it at most every 30 s).
    const before = Number((await withTenant(api.deps.db, tenantId, (tx) => tx('telemetry_receipts').where({ machine_id: machineId }).max({ n: 'seq' })))[0]!.n);
    const offline = spawn(NODE, [CLI, 'run', '--data-dir', dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '0.2', '--nats-url', 'nats://127.0.0.1:1'], { stdio: 'ignore' });
    children.push(offline);
    await new Promise((r) => setTimeout(r, 2500));
    offline.kill('SIGTERM');
    expect(await exited(offline)).toBe(0);
    const lastQueued = (JSON.parse(fs.readFileSync(path.join(dataDir, 'sequence.json'), 'utf8')) as { reserved: number }).reserved;
    expect(lastQueued).toBeGreaterThan(before + 4);

    const online = spawn(NODE, [CLI, 'run', '--data-dir', dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '30'], { stdio: 'ignore' });
    children.push(online);
    const receipts = () =>
      withTenant(api.deps.db, tenantId, (tx) =>
        tx('telemetry_receipts').where({ machine_id: machineId }).where('seq', '>', before).where('seq', '<=', lastQueued).orderBy('seq').select('seq', 'kind'),
      ) as Promise<{ seq: number; kind: string }[]>;
    // The range holds the offline run's first heartbeat (no heartbeat consumer here) and its metric samples.
    const expected = lastQueued - before - 1;
    await until('the queued samples replayed', async () => (await receipts()).length >= expected, 15_000);
    online.kill('SIGTERM');
    expect(await exited(online)).toBe(0);
    const got = await receipts();
    const metricSeqs = got.filter((r) => r.kind === 'metrics').map((r) => Number(r.seq));
    const rows = await withTenant(api.deps.db, tenantId, (tx) =>
      tx('machine_metrics').where({ machine_id: machineId }).where('seq', '>', before).where('seq', '<=', lastQueued).orderBy('seq').pluck('seq'),
    );
    // Every sample taken while offline is stored, in order: the run's numbers are all there but one, its
    // heartbeat (sent first or right after the first sample, whichever the scheduler ran first).
    const all = Array.from({ length: lastQueued - before }, (_, i) => before + 1 + i);
    const missing = all.filter((seq) => !metricSeqs.includes(seq));
    expect(missing).toHaveLength(1);
    expect(missing[0]! - before).toBeLessThanOrEqual(2);
    expect(metricSeqs).toEqual(all.filter((seq) => seq !== missing[0]));
    expect(rows.map(Number)).toEqual(metricSeqs);
    expect(metricSeqs[metricSeqs.length - 1]).toBe(lastQueued);
  });
});
