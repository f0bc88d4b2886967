import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { withTenant, type TenantTx } from '@vigie/db';
import { startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { until } from '../../api/test/support/until';
import { startMetricsConsumer, type MetricsConsumer } from '../../ingest/src/telemetry/metrics';
import { startInventoryConsumer, type StateConsumer } from '../../ingest/src/telemetry/state';
import { POLICY_FILE } from '../src/policy';
import { AGENT_CLI, runAgentCli } from './support/cli';

/**
 * Agent policies end to end with the real agent process: it starts on its command-line settings (fast metrics,
 * nothing watched), picks up the policy an admin creates for its machine (a process and a service to watch, 60 s
 * metrics), which ingest then stores from its next snapshot; restarted without a reachable server, it applies the
 * policy it kept on disk.
 */
let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let metrics: MetricsConsumer;
let inventory: StateConsumer;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  const log = pino({ level: process.env.TEST_INGEST_LOG ?? 'silent' });
  const suffix = randomUUID().slice(0, 8);
  metrics = await startMetricsConsumer({ nc, db: api.deps.db, log, consumer: `ingest-metrics-policy-${suffix}` });
  inventory = await startInventoryConsumer({ nc, db: api.deps.db, log, consumer: `ingest-inventory-policy-${suffix}` });
}, 60_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await metrics?.stop();
  await inventory?.stop();
  await nc?.drain();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

interface Agent {
  child: ChildProcess;
  /** The agent's log lines so far (JSON, one per line). */
  log(): { time: string; msg: string; [field: string]: unknown }[];
  stop(): Promise<number | null>;
}

/** `vigie-agent run` as an administrator would start it, with fast snapshots and policy checks. */
function startAgent(dataDir: string): Agent {
  const args = ['run', '--data-dir', dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '0.3', '--state-seconds', '0.3', '--events-seconds', '30', '--policy-seconds', '0.5'];
  const child = spawn(process.execPath, [AGENT_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let text = '';
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  return {
    child,
    log: () => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { time: string; msg: string }),
    async stop() {
      child.kill('SIGTERM');
      return new Promise((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
    },
  };
}

const explain = (agent: Agent) => (err: Error) => {
  throw new Error(`${err.message}; agent log:\n${agent.log().map((l) => JSON.stringify(l)).join('\n')}`);
};

describe('an agent policy', () => {
  it('is picked up by the running agent (watch list, metrics period), kept on disk, and applied after a restart without server', async () => {
    const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Parc', siren: nextSiren() } });
    const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-agent-policy-'));
    dirs.push(dir);
    const dataDir = path.join(dir, 'data');
    const enrolled = await runAgentCli(['enroll', '--url', api.url, '--token', token.body.token, '--data-dir', dataDir]);
    expect(enrolled.code).toBe(0);
    const { machineId, tenantId } = JSON.parse(enrolled.stdout) as { machineId: string; tenantId: string };
    const db = <T>(work: (tx: TenantTx) => Promise<T>) => withTenant(api.deps.db, tenantId, work);
    const samplesBetween = (from: number, to: number) =>
      db(async (tx) => Number((await tx('machine_metrics').where({ machine_id: machineId }).whereBetween('collected_at', [new Date(from), new Date(to)]).count({ n: '*' }))[0]!.n));
    const services = async () => (await api.call('GET', `/api/v1/machines/${machineId}/services`, { token: admin.token })).body as { items: { kind: string; name: string; active: boolean; exists: boolean }[] };
    // The agent is a Node process: it watches itself.
    const processName = path.basename(process.execPath);

    // 1. Command-line settings: samples every 0.3 s, nothing watched.
    const agent = startAgent(dataDir);
    const started = Date.now();
    await until('fast samples and a snapshot', async () => (await samplesBetween(started - 1000, Date.now())) >= 4 && (await db((tx) => tx('telemetry_receipts').where({ machine_id: machineId, kind: 'inventory' }))).length > 0, 20_000).catch(explain(agent));
    expect((await services()).items).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, POLICY_FILE))).toBe(false);

    // 2. A policy for this machine: the agent applies it at its next check.
    const policy = await api.call('POST', '/api/v1/agent-policies', {
      token: admin.token,
      body: { name: 'Serveurs critiques', scope: { kind: 'machine', id: machineId }, metricsIntervalSeconds: 60, watchProcesses: [processName], watchServices: ['vigie-policy-test'] },
    });
    expect(policy.status).toBe(201);
    const applied = await until('the policy applied', async () => agent.log().find((l) => l.msg === 'policy applied'), 10_000).catch(explain(agent));
    expect(applied).toMatchObject({ policy: 'Serveurs critiques', metricsIntervalSeconds: 60, watchProcesses: [processName], watchServices: ['vigie-policy-test'] });
    const appliedAt = Date.parse(applied.time);

    // The next snapshot carries the watched process (running: it is the agent) and service (unknown here).
    await until('the watched process stored', async () => (await services()).items.find((s) => s.kind === 'process' && s.name === processName && s.active), 15_000).catch(explain(agent));
    expect((await services()).items.find((s) => s.kind === 'service')).toMatchObject({ name: 'vigie-policy-test' });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, POLICY_FILE), 'utf8'))).toMatchObject({ policy: { id: policy.body.id }, watchProcesses: [processName] });

    // The metrics period is now 60 s: after the sample that was under way, none for seconds (0.3 s before).
    await new Promise((r) => setTimeout(r, 4500));
    // Control: the samples just before it are stored (ingest writes in batches), 0.3 s apart.
    expect(await samplesBetween(appliedAt - 2000, appliedAt)).toBeGreaterThanOrEqual(3);
    expect(await samplesBetween(appliedAt + 1500, appliedAt + 4500)).toBe(0);
    expect(await agent.stop()).toBe(0);

    // 3. Restarted with the server out of reach: the kept policy applies, the failed checks are only logged.
    const configFile = path.join(dataDir, 'agent.json');
    fs.writeFileSync(configFile, JSON.stringify({ ...JSON.parse(fs.readFileSync(configFile, 'utf8')), serverUrl: 'http://127.0.0.1:1' }));
    const offline = startAgent(dataDir);
    const restarted = Date.now();
    await until('a snapshot after the restart', async () => {
      const row = (await db((tx) => tx('machine_services').where({ machine_id: machineId, kind: 'process', name: processName }).first())) as { updated_at: Date; active: boolean } | undefined;
      return row && row.updated_at.getTime() > restarted && row.active;
    }, 15_000).catch(explain(offline));
    await until('a failed check logged', async () => offline.log().some((l) => l.msg === 'policy check failed; will retry'), 10_000).catch(explain(offline));
    expect(offline.log().map((l) => l.msg)).toContain('stored policy applied until the server is asked');
    await new Promise((r) => setTimeout(r, 3000));
    // The first sample at start (its CPU reading takes a second, later on a loaded machine), then the policy's
    // 60 s: one sample at most in these seconds, where the command line's 0.3 s would have made a dozen.
    expect(await samplesBetween(restarted, Date.now() - 500)).toBeLessThanOrEqual(1);
    expect(await offline.stop()).toBe(0);
  }, 90_000);
});
