/**
 * RMM fleet figures on one machine, against the real NATS (JetStream), the real ingest process (ingest/dist/main.js)
 * and Postgres. Five phases, each sized by an environment variable so the bench can run small:
 *
 *  1. sustained fleet: FLEET_SIZE machines (default 25 000), each a heartbeat every 60 s and METRICS_PER_MIN samples
 *     a minute (default 8), evenly spread, for FLEET_SECONDS (default 60): rows/s stored, consumer lag (JetStream
 *     pending, and publish → row time), and loss (rows and receipts against what was published);
 *  2. ingest burst: BURST_SAMPLES samples (default 200 000) queued while ingest is stopped, then drained: rows/s;
 *  3. command round trip: PINGS pings (default 200) to COMMAND_AGENTS real agents (runAgent in-process, enrolled
 *     through the API): POST → result stored by ingest;
 *  4. alert → ticket: one breaching sample on each of ALERT_MACHINES machines (default 50): publish → ticket row;
 *  5. agent idle: the agent CLI enrolled and left alone for AGENT_IDLE_SECONDS (default 25): RSS and CPU.
 *
 * PHASES (default 1,2,3,4,5) picks phases; FLEET_TENANTS (default 5) spreads the simulated fleet over that many
 * tenants (ingest writes one statement per tenant per batch, so it matters); FLEET_ANALYZE=0 skips the ANALYZE of
 * `machines` after seeding (why it is there: in main). The bulk fleet is simulated: its machines are rows inserted
 * in Postgres and its telemetry is published over ONE NATS connection with the service credentials, not one
 * connection per agent with its own. Prints figures; asserts nothing.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { MetricsSample } from '@vigie/core';
import { createDb, machinesRepo, withTenant, type Db } from '@vigie/db';
import { enroll } from '../agent/src/enroll';
import { SERVICE_NODE_OPTIONS } from '../agent/src/node-options';
import { runAgent, type RunningAgent } from '../agent/src/run';
import { nextSiren } from '../api/test/cross-tenant/fixtures';
import { startTestApi, type Session, type TestApi } from '../api/test/support/harness';
import { HEARTBEAT_CONSUMER } from '../ingest/src/telemetry/heartbeats';
import { TELEMETRY_STREAM } from '../ingest/src/telemetry/stream';
import { METRICS_CONSUMER } from '../ingest/src/telemetry/metrics';
import { RESULT_CONSUMER } from '../ingest/src/telemetry/results';
import { startTestWorker } from '../worker/test/support/worker';
import { runAgentCli } from '../agent/test/support/cli';

const ROOT = path.resolve(__dirname, '..');

// ---------------------------------------------------------------------------------------------------------------
// Knobs

function numberEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number (got ${raw})`);
  return value;
}

const knobs = {
  fleetSize: Math.max(1, Math.floor(numberEnv('FLEET_SIZE', 25_000))),
  fleetSeconds: numberEnv('FLEET_SECONDS', 60),
  metricsPerMin: numberEnv('METRICS_PER_MIN', 8),
  fleetTenants: Math.max(1, Math.floor(numberEnv('FLEET_TENANTS', 5))),
  burstSamples: Math.floor(numberEnv('BURST_SAMPLES', 200_000)),
  pings: Math.floor(numberEnv('PINGS', 200)),
  commandAgents: Math.max(1, Math.floor(numberEnv('COMMAND_AGENTS', 3))),
  alertMachines: Math.max(1, Math.floor(numberEnv('ALERT_MACHINES', 50))),
  agentIdleSeconds: numberEnv('AGENT_IDLE_SECONDS', 25),
  /** ANALYZE machines after seeding (1, default) or not (0): see main. */
  analyzeAfterSeed: numberEnv('FLEET_ANALYZE', 1) !== 0,
  /** How long ingest may take to catch up after a phase before we give up waiting. */
  drainTimeoutSeconds: numberEnv('DRAIN_TIMEOUT_SECONDS', 300),
  phases: new Set((process.env.PHASES ?? '1,2,3,4,5').split(',').map((p) => p.trim())),
};
const HEARTBEAT_SECONDS = 60;

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');
const ms = (v: number) => (v >= 10_000 ? `${fmt(v / 1000, 1)} s` : `${fmt(v, v < 10 ? 1 : 0)} ms`);

interface Summary {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

function summarize(values: number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const at = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))]! : NaN);
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s.length ? s[s.length - 1]! : NaN };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms(timeoutMs)} waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// CPU accounting from /proc: where the two cores go (ingest, Postgres, NATS, this process), to see what saturates.

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

function procStat(pid: number): { ppid: number; ticks: number; childTicks: number } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "pid (comm) ": state ppid … utime(11) stime(12) cutime(13) cstime(14).
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), childTicks: Number(f[13]) + Number(f[14]) };
  } catch {
    return undefined;
  }
}

const pids = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

function cmdline(pid: number): string[] {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** The stack's Postgres (started with `-p <port>`) and NATS (started with `-c <data dir>/nats.conf`). */
function findStackProcesses(): { postgres?: number; nats?: number } {
  const pgPort = new URL(process.env.DATABASE_URL!).port;
  const natsConf = path.join(path.dirname(process.env.NATS_CREDS!), 'nats.conf');
  const found: { postgres?: number; nats?: number } = {};
  for (const pid of pids()) {
    const args = cmdline(pid);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    // Backends rewrite their command line ("postgres: user db …"): only the postmaster still shows `-p <port>`.
    if (args[0]?.endsWith('/postgres') && flag('-p') === pgPort) found.postgres = pid;
    if (args.includes('-c') && flag('-c') === natsConf) found.nats = pid;
  }
  return found;
}

/** A process and its children (Postgres: the postmaster and its backends; exited ones count through cutime). */
function treeTicks(root: number): number | undefined {
  const self = procStat(root);
  if (!self) return undefined;
  let ticks = self.ticks + self.childTicks;
  for (const pid of pids()) {
    const s = pid === root ? undefined : procStat(pid);
    if (s?.ppid === root) ticks += s.ticks;
  }
  return ticks;
}

interface CpuSample {
  at: number;
  busy: number;
  total: number;
  groups: Map<string, number>;
}

class CpuMeter {
  private readonly groups = new Map<string, () => number | undefined>();

  track(name: string, ticks: () => number | undefined): void {
    this.groups.set(name, ticks);
  }

  sample(): CpuSample {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.reduce((a, b) => a + b, 0);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const groups = new Map<string, number>();
    for (const [name, ticks] of this.groups) {
      const t = ticks();
      if (t !== undefined) groups.set(name, t);
    }
    return { at: performance.now(), busy: total - idle, total, groups };
  }

  /** Machine: % of all cores busy; each group: % of one core. */
  static usage(a: CpuSample, b: CpuSample): { machine: number; groups: Map<string, number> } {
    const seconds = (b.at - a.at) / 1000;
    const groups = new Map<string, number>();
    for (const [name, t] of b.groups) {
      const before = a.groups.get(name);
      if (before !== undefined && t >= before) groups.set(name, ((t - before) / CLK_TCK / seconds) * 100);
    }
    return { machine: b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * 100 : NaN, groups };
  }

  /** The machine is shared: what the tracked processes do not account for is someone else's (other jobs, the OS). */
  static describe(a: CpuSample, b: CpuSample): string {
    const u = CpuMeter.usage(a, b);
    const parts = [...u.groups].map(([name, pct]) => `${name} ${fmt(pct)}%`);
    const others = (u.machine * os.cpus().length) - [...u.groups.values()].reduce((x, y) => x + y, 0);
    return `cpu: machine ${fmt(u.machine)}% of ${os.cpus().length} cores; ${parts.join(', ')}, other processes ${fmt(Math.max(0, others))}% (of one core)`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The real ingest, as a child process (its own event loop and core, like in production).

class Ingest {
  private constructor(
    private readonly child: ChildProcess,
    private readonly exited: Promise<void>,
  ) {}

  static start(logFile: string): Ingest {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, [path.join(ROOT, 'ingest', 'dist', 'main.js')], {
      cwd: ROOT,
      // No SMTP listener (its port could be taken); warnings (dropped telemetry…) go to the log file.
      env: { ...process.env, INBOUND_SMTP_PORT: '0', LOG_LEVEL: 'warn', NODE_OPTIONS: process.env.INGEST_NODE_OPTIONS ?? '' },
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return new Ingest(child, exited);
  }

  get pid(): number | undefined {
    return this.child.exitCode === null ? this.child.pid : undefined;
  }

  rssMb(): number {
    return this.pid ? rssOf(this.pid) : NaN;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    const stopped = await Promise.race([this.exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Ingest is up once each of its consumers has a pull request waiting. */
async function waitUntilConsuming(jsm: JetStreamManager): Promise<void> {
  await waitFor(
    'ingest to consume',
    async () => {
      for (const name of [HEARTBEAT_CONSUMER, METRICS_CONSUMER, RESULT_CONSUMER]) {
        const info = await jsm.consumers.info(TELEMETRY_STREAM, name).catch(() => undefined);
        if (!info || info.num_waiting === 0) return false;
      }
      return true;
    },
    60_000,
    200,
  );
}

/** Messages a consumer has not yet acknowledged: not delivered yet, or delivered and being stored. */
async function pendingOf(jsm: JetStreamManager, name: string): Promise<number> {
  const info = await jsm.consumers.info(TELEMETRY_STREAM, name);
  return info.num_pending + info.num_ack_pending;
}

function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The simulated fleet: machine rows in Postgres, telemetry published like an agent does (same subjects, payloads,
// `Nats-Msg-Id = <machine>:<seq>`, one sequence per machine across kinds), over one service connection.

interface SimMachine {
  tenantId: string;
  id: string;
  /** `vigie.<tenant>.tlm.<machine>` */
  telemetry: string;
}

class Fleet {
  private readonly seqs: Float64Array;

  constructor(
    readonly machines: SimMachine[],
    readonly tenantIds: string[],
  ) {
    this.seqs = new Float64Array(machines.length);
  }

  get size(): number {
    return this.machines.length;
  }

  nextSeq(i: number): number {
    return ++this.seqs[i]!;
  }
}

/** Publishes through JetStream with a bounded number of acknowledgements outstanding; retries like an outbox. */
class Publisher {
  published = 0;
  failed = 0;
  private inflight = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(
    private readonly js: JetStreamClient,
    private readonly maxInflight = 4000,
  ) {}

  /** Resolves once the message is handed over (not acknowledged): it waits only when the window is full. */
  async send(subject: string, payload: object, msgID: string): Promise<void> {
    while (this.inflight >= this.maxInflight) await new Promise<void>((r) => this.waiters.push(r));
    this.inflight++;
    const data = Buffer.from(JSON.stringify(payload));
    void this.publish(subject, data, msgID).finally(() => {
      this.inflight--;
      this.waiters.shift()?.();
    });
  }

  private async publish(subject: string, data: Uint8Array, msgID: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(subject, data, { msgID, timeout: 10_000 });
        this.published++;
        return;
      } catch {
        // The same message id again: JetStream drops the copy if the first one was stored after all.
        if (attempt === 3) {
          this.failed++;
          return;
        }
        await sleep(200 * attempt);
      }
    }
  }

  async flush(): Promise<void> {
    while (this.inflight > 0) await sleep(5);
  }
}

const GB = 1024 ** 3;

/** A sample shaped like the Linux collector's: two file systems, two interfaces (~700 bytes of JSON). */
function metricsSample(seq: number, at: Date, cpuPercent: number): MetricsSample {
  const used = 40 + (seq % 20);
  return {
    seq,
    collectedAt: at.toISOString(),
    cpuPercent,
    load: { one: cpuPercent / 25, five: cpuPercent / 30, fifteen: cpuPercent / 35 },
    memory: { totalBytes: 16 * GB, usedBytes: 6 * GB + (seq % 1000) * 1024 * 1024, availableBytes: 9 * GB },
    swap: { totalBytes: 2 * GB, usedBytes: 0 },
    disks: [
      { mountPoint: '/', device: '/dev/nvme0n1p2', fsType: 'ext4', totalBytes: 500 * GB, usedBytes: used * 5 * GB, freeBytes: (100 - used) * 5 * GB, usedPercent: used },
      { mountPoint: '/boot/efi', device: '/dev/nvme0n1p1', fsType: 'vfat', totalBytes: GB / 2, usedBytes: 32 * 1024 * 1024, freeBytes: GB / 2 - 32 * 1024 * 1024, usedPercent: 6.3 },
    ],
    network: [
      { name: 'eth0', rxBytesPerSec: 120_000 + (seq % 5000), txBytesPerSec: 40_000 + (seq % 3000) },
      { name: 'wlan0', rxBytesPerSec: 0, txBytesPerSec: 0 },
    ],
    uptimeSeconds: 86_400 + seq * 7,
  };
}

const randomCpu = () => Math.round(Math.random() * 600) / 10;

function sendMetrics(pub: Publisher, fleet: Fleet, i: number, at = new Date(), cpu = randomCpu()): Promise<void> {
  const m = fleet.machines[i]!;
  const seq = fleet.nextSeq(i);
  return pub.send(`${m.telemetry}.metrics`, metricsSample(seq, at, cpu), `${m.id}:${seq}`);
}

function sendHeartbeat(pub: Publisher, fleet: Fleet, i: number, sent: Map<string, number>): Promise<void> {
  const m = fleet.machines[i]!;
  const seq = fleet.nextSeq(i);
  sent.set(`${m.id}:${seq}`, Date.now());
  return pub.send(`${m.telemetry}.hb`, { seq, sentAt: new Date().toISOString(), agentVersion: '0.1.0', uptimeSeconds: 86_400 }, `${m.id}:${seq}`);
}

/** A tenant with one client and an enrollment token, through the API. */
async function tenantWithClient(api: TestApi, name: string): Promise<{ admin: Session; clientId: string; tokenId: string; token: string }> {
  const admin = await api.signup({ tenantName: name });
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `${name} client`, siren: nextSiren() } });
  if (client.status !== 201) throw new Error(`client: ${client.status} ${JSON.stringify(client.body)}`);
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  if (token.status !== 201) throw new Error(`enrollment token: ${token.status} ${JSON.stringify(token.body)}`);
  return { admin, clientId: client.body.id, tokenId: token.body.id, token: token.body.token };
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** A well-formed nkey user public key nobody holds the seed of (these machines never connect themselves). */
const fakeNkey = () => 'U' + Array.from(randomBytes(55), (b) => BASE32[b & 31]).join('');

/** Machine rows straight into Postgres (the repository's insertMachine, in the tenant's transaction), 500 a transaction. */
async function insertMachines(db: Db, tenantId: string, clientId: string, tokenId: string, count: number, prefix: string): Promise<SimMachine[]> {
  const machines: SimMachine[] = [];
  for (let done = 0; done < count; done += 500) {
    const chunk = Math.min(500, count - done);
    await withTenant(db, tenantId, async (tx) => {
      for (let j = 0; j < chunk; j++) {
        const id = randomUUID();
        await machinesRepo.insertMachine(tx, {
          tenantId,
          id,
          clientId,
          siteId: null,
          enrollmentTokenId: tokenId,
          hostname: `${prefix}-${String(done + j).padStart(5, '0')}`,
          osName: 'Debian GNU/Linux',
          osVersion: '12',
          cpuModel: 'Intel(R) Core(TM) i5-10500',
          ramTotalBytes: 16 * GB,
          agentVersion: '0.1.0',
          nkeyPublic: fakeNkey(),
          jwtExpiresAt: new Date(Date.now() + 30 * 86_400_000),
          machineTokenHash: randomBytes(32).toString('hex'),
        });
        machines.push({ tenantId, id, telemetry: `vigie.${tenantId}.tlm.${id}` });
      }
    });
  }
  return machines;
}

async function seedFleet(api: TestApi): Promise<Fleet> {
  const perTenant = Math.ceil(knobs.fleetSize / knobs.fleetTenants);
  const parts = await Promise.all(
    Array.from({ length: knobs.fleetTenants }, async (_, t) => {
      const count = Math.min(perTenant, knobs.fleetSize - t * perTenant);
      const tenant = await tenantWithClient(api, `Fleet MSP ${t + 1}`);
      const machines = count > 0 ? await insertMachines(api.deps.db, tenant.admin.user.tenantId, tenant.clientId, tenant.tokenId, count, `fleet${t + 1}`) : [];
      return { tenantId: tenant.admin.user.tenantId, machines };
    }),
  );
  // Interleave tenants so that each batch ingest fetches holds several of them, as a real mixed fleet would.
  const machines: SimMachine[] = [];
  for (let i = 0; i < perTenant; i++) for (const p of parts) if (p.machines[i]) machines.push(p.machines[i]!);
  return new Fleet(machines, parts.map((p) => p.tenantId));
}

// ---------------------------------------------------------------------------------------------------------------
// Shared context

interface Context {
  api: TestApi;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** Owner role (bypasses RLS): the bench reads across tenants for its figures. */
  owner: Db;
  ingest: Ingest;
  ingestLog: string;
  meter: CpuMeter;
  tmp: string;
  fleet?: Fleet;
}

/** Samples both telemetry consumers' backlog every second; prints a progress line every 10 s. */
function watchBacklog(ctx: Context, label: () => string): { stop(): Promise<{ hb: number; metrics: number }> } {
  const max = { hb: 0, metrics: 0 };
  let running = true;
  let last = ctx.meter.sample();
  const t0 = performance.now();
  const loop = (async () => {
    let tick = 0;
    while (running) {
      await sleep(1000);
      const [hb, metrics] = await Promise.all([pendingOf(ctx.jsm, HEARTBEAT_CONSUMER), pendingOf(ctx.jsm, METRICS_CONSUMER)]).catch(() => [NaN, NaN]);
      max.hb = Math.max(max.hb, hb ?? 0);
      max.metrics = Math.max(max.metrics, metrics ?? 0);
      if (++tick % 10 === 0) {
        const now = ctx.meter.sample();
        console.log(`  t=${fmt((performance.now() - t0) / 1000)} s  ${label()}  backlog hb ${fmt(hb ?? NaN)} / metrics ${fmt(metrics ?? NaN)}  ${CpuMeter.describe(last, now)}`);
        last = now;
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return max;
    },
  };
}

async function waitDrained(ctx: Context, consumers: string[]): Promise<number> {
  const t0 = performance.now();
  await waitFor(
    'ingest to catch up',
    async () => {
      for (const c of consumers) if ((await pendingOf(ctx.jsm, c)) > 0) return false;
      return true;
    },
    knobs.drainTimeoutSeconds * 1000,
    250,
  );
  return performance.now() - t0;
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 1: the sustained fleet. Does ingest keep up with a steady fleet (backlog stays flat, publish → row stays
// short), and does every message land exactly once? The offered rate is the whole fleet's, spread evenly.

interface SustainedResult {
  offeredHbPerSec: number;
  offeredRowsPerSec: number;
  published: { hb: number; metrics: number; failed: number };
  stored: { hb: number; metrics: number };
  rowsPerSecInWindow: number;
  /** After the last publish, while ingest works off its backlog alone. */
  rowsPerSecCatchingUp: number;
  lagMetricsMs: Summary;
  lagHbMs: Summary;
  maxBacklog: { hb: number; metrics: number };
  /** After the last publish, until each consumer had nothing pending. */
  drainAfterMs: { hb: number; metrics: number };
  maxPublisherStallMs: number;
  cpu: string;
  ingestRssMb: number;
}

async function phaseSustained(ctx: Context, fleet: Fleet): Promise<SustainedResult> {
  const n = fleet.size;
  const hbGapMs = (HEARTBEAT_SECONDS * 1000) / n;
  const metricsGapMs = knobs.metricsPerMin > 0 ? 60_000 / (n * knobs.metricsPerMin) : Infinity;
  const durationMs = knobs.fleetSeconds * 1000;
  const pub = new Publisher(ctx.js);
  const hbSent = new Map<string, number>();
  let hbK = 0;
  let metricsK = 0;
  let maxStall = 0;

  console.log(`phase 1: ${fmt(n)} machines, ${fmt(n / HEARTBEAT_SECONDS, 1)} heartbeats/s + ${fmt((n * knobs.metricsPerMin) / 60, 1)} samples/s for ${knobs.fleetSeconds} s`);
  const from = new Date();
  const cpu0 = ctx.meter.sample();
  const backlog = watchBacklog(ctx, () => `sent ${fmt(hbK)} hb + ${fmt(metricsK)} samples`);
  const t0 = performance.now();
  let last = t0;
  for (;;) {
    const now = performance.now();
    maxStall = Math.max(maxStall, now - last);
    last = now;
    const elapsed = now - t0;
    if (elapsed >= durationMs) break;
    // Everything due by now: the k-th heartbeat of the fleet is due at k × (60 s / n), machine k mod n.
    while (hbK * hbGapMs <= elapsed) await sendHeartbeat(pub, fleet, hbK++ % n, hbSent);
    while (metricsK * metricsGapMs <= elapsed) await sendMetrics(pub, fleet, metricsK++ % n);
    await sleep(10);
  }
  await pub.flush();
  const to = new Date();
  const metricsDrainMs = await waitDrained(ctx, [METRICS_CONSUMER]);
  const drainAfterMs = { metrics: metricsDrainMs, hb: metricsDrainMs + (await waitDrained(ctx, [HEARTBEAT_CONSUMER])) };
  const maxBacklog = await backlog.stop();
  const cpu1 = ctx.meter.sample();

  const metrics = await metricsStats(ctx.owner, fleet.tenantIds, from, to);
  const hb = await heartbeatLags(ctx.owner, fleet.tenantIds, from, hbSent);
  return {
    offeredHbPerSec: n / HEARTBEAT_SECONDS,
    offeredRowsPerSec: (n * knobs.metricsPerMin) / 60,
    published: { hb: hbK, metrics: metricsK, failed: pub.failed },
    stored: { hb: hb.lags.length, metrics: metrics.rows },
    rowsPerSecInWindow: metrics.rowsInWindow / ((to.getTime() - from.getTime()) / 1000),
    // Only meaningful with a real backlog (more than the consumer's one-second batch wait).
    rowsPerSecCatchingUp: drainAfterMs.metrics > 2000 ? ((metrics.rows - metrics.rowsInWindow) * 1000) / drainAfterMs.metrics : NaN,
    lagMetricsMs: metrics.lagMs,
    lagHbMs: summarize(hb.lags),
    maxBacklog,
    drainAfterMs,
    maxPublisherStallMs: maxStall,
    cpu: CpuMeter.describe(cpu0, cpu1),
    ingestRssMb: ctx.ingest.rssMb(),
  };
}

/** Rows stored for samples collected in [from, to]: how many, how many by `to`, and collected_at → received_at. */
async function metricsStats(owner: Db, tenantIds: string[], from: Date, to: Date): Promise<{ rows: number; rowsInWindow: number; lagMs: Summary }> {
  const { rows } = await owner.raw(
    `select count(*)::int as n, (count(*) filter (where received_at <= ?))::int as in_window,
       percentile_cont(array[0.5, 0.95, 0.99]) within group (order by extract(epoch from received_at - collected_at) * 1000) as p,
       max(extract(epoch from received_at - collected_at) * 1000)::float8 as max
     from machine_metrics where tenant_id = any(?::uuid[]) and collected_at >= ? and collected_at <= ?`,
    [to, tenantIds, from, to],
  );
  const r = rows[0] as { n: number; in_window: number; p: number[] | null; max: number | null };
  const p = r.p ?? [NaN, NaN, NaN];
  return { rows: r.n, rowsInWindow: r.in_window, lagMs: { n: r.n, p50: p[0]!, p95: p[1]!, p99: p[2]!, max: r.max ?? NaN } };
}

/** Heartbeat receipts matched to their publish time (the receipt has no send time; we kept it). */
async function heartbeatLags(owner: Db, tenantIds: string[], from: Date, sent: Map<string, number>): Promise<{ lags: number[] }> {
  const rows = (await owner('telemetry_receipts')
    .whereIn('tenant_id', tenantIds)
    .where({ kind: 'hb' })
    .where('received_at', '>=', from)
    .select('machine_id', 'seq', 'received_at')) as { machine_id: string; seq: string; received_at: Date }[];
  const lags: number[] = [];
  for (const r of rows) {
    const at = sent.get(`${r.machine_id}:${r.seq}`);
    if (at !== undefined) lags.push(r.received_at.getTime() - at);
  }
  return { lags };
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 2: ingest burst. How fast can ingest write samples when it has a backlog (after an outage, a restart)?
// Samples are queued in JetStream while ingest is stopped, then ingest starts and drains them.

interface BurstResult {
  samples: number;
  publishPerSec: number;
  failed: number;
  stored: number;
  drainMs: number;
  rowsPerSec: number;
  steadyRowsPerSec: number;
  cpu: string;
  ingestRssMb: number;
}

async function phaseBurst(ctx: Context, fleet: Fleet): Promise<BurstResult> {
  const total = knobs.burstSamples;
  console.log(`phase 2: ${fmt(total)} samples queued with ingest stopped, then drained`);
  await ctx.ingest.stop();
  const pub = new Publisher(ctx.js);
  const from = new Date();
  const t0 = performance.now();
  for (let k = 0; k < total; k++) await sendMetrics(pub, fleet, k % fleet.size);
  await pub.flush();
  const publishMs = performance.now() - t0;
  const to = new Date();
  console.log(`  queued in ${ms(publishMs)} (${fmt((total * 1000) / publishMs)} msg/s published); starting ingest`);

  const t1 = performance.now();
  ctx.ingest = Ingest.start(ctx.ingestLog);
  const cpu0 = ctx.meter.sample();
  const backlog = watchBacklog(ctx, () => 'draining');
  await waitDrained(ctx, [METRICS_CONSUMER]);
  const drainMs = performance.now() - t1;
  await backlog.stop();
  const cpu1 = ctx.meter.sample();
  const ingestRssMb = ctx.ingest.rssMb();

  const { rows } = await ctx.owner.raw(
    `select count(*)::int as n, extract(epoch from max(received_at) - min(received_at))::float8 as span
     from machine_metrics where tenant_id = any(?::uuid[]) and collected_at >= ? and collected_at <= ?`,
    [fleet.tenantIds, from, to],
  );
  const r = rows[0] as { n: number; span: number | null };
  return {
    samples: total,
    publishPerSec: (total * 1000) / publishMs,
    failed: pub.failed,
    stored: r.n,
    drainMs,
    rowsPerSec: (r.n * 1000) / drainMs,
    // Between the first and the last batch's transaction: without ingest's start-up, and without the last batch.
    steadyRowsPerSec: r.span ? r.n / r.span : NaN,
    cpu: CpuMeter.describe(cpu0, cpu1),
    ingestRssMb,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 3: command round trip. From a technician's POST to the result in Postgres, through the API, the COMMANDS
// stream, a real agent (runAgent in-process, its own credentials) and ingest's results consumer. Pings run one
// at a time, with the fleet quiet: this is the latency floor, not a load figure.

interface CommandResult {
  agents: number;
  pings: number;
  postMs: Summary;
  agentResultMs: Summary;
  /** Command published into COMMANDS → the agent's final report on NATS. */
  natsMs: Summary;
  storedMs: Summary;
  failed: number;
}

interface RealAgent {
  machineId: string;
  tenantId: string;
  running: RunningAgent;
}

async function enrollRealAgent(ctx: Context, tenant: { admin: Session; clientId: string }, i: number): Promise<RealAgent> {
  const token = await ctx.api.call('POST', '/api/v1/enrollment-tokens', { token: tenant.admin.token, body: { clientId: tenant.clientId } });
  const dataDir = path.join(ctx.tmp, `agent-${i}`);
  const config = await enroll({ url: ctx.api.url, token: token.body.token, dataDir });
  const running = await runAgent({ dataDir, log: () => {} });
  return { machineId: config.machineId, tenantId: config.tenantId, running };
}

const FINAL = new Set(['succeeded', 'failed', 'expired']);

async function phaseCommands(ctx: Context, tenant: { admin: Session; clientId: string }): Promise<CommandResult> {
  console.log(`phase 3: ${knobs.pings} pings, one at a time, to ${knobs.commandAgents} agents (runAgent in-process, enrolled through the API)`);
  const agents = await Promise.all(Array.from({ length: knobs.commandAgents }, (_, i) => enrollRealAgent(ctx, tenant, i)));
  // The agent's final report as it leaves the agent (a core subscription sees JetStream publishes too).
  const reported = new Map<string, number>();
  const sub = ctx.nc.subscribe(`vigie.${tenant.admin.user.tenantId}.tlm.*.result`, {
    callback: (_err, msg) => {
      const body = msg.json<{ commandId: string; status: string }>();
      if (FINAL.has(body.status)) reported.set(body.commandId, performance.now());
    },
  });
  // The command as the API publishes it into COMMANDS (a core subscription sees JetStream publishes): from there
  // to the agent's report is the NATS round trip, server → agent → server, without the API's transactions.
  const published = new Map<string, number>();
  const cmdSub = ctx.nc.subscribe(`vigie.${tenant.admin.user.tenantId}.agent.*.cmd.ping`, {
    callback: (_err, msg) => published.set(msg.json<{ id?: string; commandId?: string }>().id ?? '', performance.now()),
  });
  const ping = async (agent: RealAgent) => {
    const t0 = performance.now();
    const res = await ctx.api.call('POST', `/api/v1/machines/${agent.machineId}/commands`, { token: tenant.admin.token, body: { name: 'ping' } });
    const t1 = performance.now();
    if (res.status !== 201) throw new Error(`POST command: ${res.status} ${JSON.stringify(res.body)}`);
    const id = res.body.id as string;
    await waitFor(
      `command ${id}`,
      async () => {
        const row = (await ctx.owner('machine_commands').where({ id }).first('status')) as { status: string } | undefined;
        return row && FINAL.has(row.status) ? row.status : undefined;
      },
      30_000,
      1,
    );
    return { post: t1 - t0, agent: (reported.get(id) ?? NaN) - t0, nats: (reported.get(id) ?? NaN) - (published.get(id) ?? NaN), stored: performance.now() - t0 };
  };
  try {
    // Warm-up: the first command of a machine creates its consumer on the COMMANDS stream.
    for (const a of agents) await ping(a);
    const post: number[] = [];
    const agent: number[] = [];
    const stored: number[] = [];
    const nats: number[] = [];
    let failed = 0;
    for (let i = 0; i < knobs.pings; i++) {
      try {
        const r = await ping(agents[i % agents.length]!);
        post.push(r.post);
        agent.push(r.agent);
        nats.push(r.nats);
        stored.push(r.stored);
      } catch (err) {
        failed++;
        if (failed === 1) console.log(`  ping failed: ${(err as Error).message}`);
      }
    }
    return { agents: agents.length, pings: knobs.pings, postMs: summarize(post), agentResultMs: summarize(agent.filter(Number.isFinite)), natsMs: summarize(nats.filter(Number.isFinite)), storedMs: summarize(stored), failed };
  } finally {
    sub.unsubscribe();
    cmdSub.unsubscribe();
    await Promise.all(agents.map((a) => a.running.stop()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 4: alert → ticket. A CPU rule (> 90 %, at once) on a client; each of its machines publishes one breaching
// sample; we time publish → ticket row (ingest evaluates, signals alertWorkflow, which opens alert and ticket).

interface AlertResult {
  machines: number;
  tickets: number;
  latencyMs: Summary;
  /** publish → sample row (ingest), and sample row → ticket row (evaluation, Temporal, the rmm worker). */
  storedMs: Summary;
  toTicketMs: Summary;
}

async function phaseAlerts(ctx: Context, tenant: { admin: Session; clientId: string; tokenId: string }): Promise<AlertResult> {
  if (!fs.existsSync(path.join(ROOT, 'ingest', 'dist', 'alerts', 'evaluate.js')) || !fs.existsSync(path.join(ROOT, 'workflows', 'bundles', 'rmm.js'))) {
    throw new Error('alerting not available (no ingest alert evaluator or rmm workflow bundle)');
  }
  const count = knobs.alertMachines;
  console.log(`phase 4: one breaching sample on each of ${count} machines, spaced 200 ms; publish → ticket row`);
  const { admin, clientId, tokenId } = tenant;
  const tenantId = admin.user.tenantId;
  const contract = await ctx.api.call('POST', '/api/v1/contracts', { token: admin.token, body: { clientId, type: 'time_material', name: 'Régie', hourlyRateCents: 9000, isDefault: true } });
  if (contract.status !== 201) throw new Error(`contract: ${contract.status} ${JSON.stringify(contract.body)}`);
  const rule = await ctx.api.call('POST', '/api/v1/alert-rules', {
    token: admin.token,
    body: { name: 'CPU saturé', kind: 'metric_threshold', condition: { metric: 'cpu', threshold: 90, durationSeconds: 0 }, scope: { kind: 'client', id: clientId }, severity: 'critical' },
  });
  if (rule.status !== 201) throw new Error(`alert rule: ${rule.status} ${JSON.stringify(rule.body)}`);
  // One more machine than measured: the first alert warms the worker up (workflow cache, first activities).
  const machines = await insertMachines(ctx.api.deps.db, tenantId, clientId, tokenId, count + 1, 'alert');
  const fleet = new Fleet(machines, [tenantId]);
  const worker = await startTestWorker(['rmm', 'tickets']);
  const ticketRows = async (ids: string[]) =>
    (await ctx.owner('tickets').where({ tenant_id: tenantId }).whereIn('machine_id', ids).select('machine_id', 'created_at')) as { machine_id: string; created_at: Date }[];
  try {
    const pub = new Publisher(ctx.js);
    await sendMetrics(pub, fleet, 0, new Date(), 97.5);
    await waitFor('the warm-up ticket', async () => (await ticketRows([machines[0]!.id])).length > 0, 60_000);
    const publishedAt = new Map<string, number>();
    for (let i = 1; i <= count; i++) {
      publishedAt.set(machines[i]!.id, Date.now());
      await sendMetrics(pub, fleet, i, new Date(), 97.5);
      await sleep(200);
    }
    await pub.flush();
    const ids = [...publishedAt.keys()];
    const rows = await waitFor('the alert tickets', async () => {
      const r = await ticketRows(ids);
      return r.length >= count && r;
    }, 120_000, 250).catch(() => ticketRows(ids));
    const stored = new Map(
      ((await ctx.owner('machine_metrics').where({ tenant_id: tenantId }).whereIn('machine_id', ids).select('machine_id', 'received_at')) as { machine_id: string; received_at: Date }[]).map(
        (r) => [r.machine_id, r.received_at.getTime()],
      ),
    );
    const lags = rows.map((r) => r.created_at.getTime() - publishedAt.get(r.machine_id)!);
    const storedLags = rows.map((r) => (stored.get(r.machine_id) ?? NaN) - publishedAt.get(r.machine_id)!).filter(Number.isFinite);
    const toTicket = rows.map((r) => r.created_at.getTime() - (stored.get(r.machine_id) ?? NaN)).filter(Number.isFinite);
    return { machines: count, tickets: rows.length, latencyMs: summarize(lags), storedMs: summarize(storedLags), toTicketMs: summarize(toTicket) };
  } finally {
    await worker.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Phase 5: the agent at rest. The real CLI, enrolled with the CLI, left alone with its default periods (60 s):
// what it costs the machine it watches.

interface AgentIdleResult {
  seconds: number;
  rssMb: number;
  /** Private memory (heap, …) and file-backed pages (mostly the node binary, shared with any other node process). */
  anonMb: number;
  fileMb: number;
  peakRssMb: number;
  cpuPercent: number;
  cpuSecondsTotal: number;
}

async function phaseAgentIdle(ctx: Context, tenant: { admin: Session; clientId: string }): Promise<AgentIdleResult> {
  console.log(`phase 5: the agent CLI idle for ${knobs.agentIdleSeconds} s`);
  const token = await ctx.api.call('POST', '/api/v1/enrollment-tokens', { token: tenant.admin.token, body: { clientId: tenant.clientId } });
  const dataDir = path.join(ctx.tmp, 'agent-cli');
  const enrolled = await runAgentCli(['enroll', '--url', ctx.api.url, '--token', token.body.token, '--data-dir', dataDir]);
  if (enrolled.code !== 0) throw new Error(`agent enroll: ${enrolled.stderr}`);
  // The single-file bundle the installers deploy, with the Node options of the service unit.
  const bundle = path.join(ROOT, 'agent', 'dist', 'vigie-agent.js');
  const nodeArgs = process.env.AGENT_NODE_ARGS === undefined ? [...SERVICE_NODE_OPTIONS] : process.env.AGENT_NODE_ARGS.split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, bundle, 'run', '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'ignore'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    const pid = child.pid!;
    // Start-up (connecting, first heartbeat and sample) is not idle: measure from 5 s on.
    await sleep(5000);
    const a = { at: performance.now(), ticks: procStat(pid)?.ticks ?? NaN };
    await sleep(Math.max(1, knobs.agentIdleSeconds - 5) * 1000);
    const b = { at: performance.now(), ticks: procStat(pid)?.ticks ?? NaN };
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) / 1024;
    return {
      seconds: knobs.agentIdleSeconds,
      rssMb: kb('VmRSS'),
      anonMb: kb('RssAnon'),
      fileMb: kb('RssFile'),
      peakRssMb: kb('VmHWM'),
      cpuPercent: ((b.ticks - a.ticks) / CLK_TCK / ((b.at - a.at) / 1000)) * 100,
      cpuSecondsTotal: b.ticks / CLK_TCK,
    };
  } finally {
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Report

interface Results {
  sustained?: SustainedResult | Error;
  burst?: BurstResult | Error;
  commands?: CommandResult | Error;
  alerts?: AlertResult | Error;
  agent?: AgentIdleResult | Error;
}

function printPhase(name: string, r: object | Error | undefined, lines: (r: never) => string[]): void {
  if (r === undefined) return;
  console.log(`\n${name}`);
  if (r instanceof Error) console.log(`  not measured: ${r.message}`);
  else for (const line of lines(r as never)) console.log(`  ${line}`);
}

const pctLine = (s: Summary) => `p50 ${ms(s.p50)}  p95 ${ms(s.p95)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (n=${fmt(s.n)})`;

function printDetails(r: Results): void {
  printPhase('phase 1, sustained fleet', r.sustained, (s: SustainedResult) => [
    `offered ${fmt(s.offeredHbPerSec, 1)} heartbeats/s + ${fmt(s.offeredRowsPerSec, 1)} samples/s; published ${fmt(s.published.hb)} hb + ${fmt(s.published.metrics)} samples (${fmt(s.published.failed)} failed)`,
    `stored ${fmt(s.stored.hb)} hb receipts, ${fmt(s.stored.metrics)} machine_metrics rows; loss hb ${fmt(s.published.hb - s.stored.hb)}, samples ${fmt(s.published.metrics - s.stored.metrics)}`,
    `metric rows stored while the fleet published: ${fmt(s.rowsPerSecInWindow)} rows/s` +
      (Number.isFinite(s.rowsPerSecCatchingUp) ? `; after, catching up alone: ${fmt(s.rowsPerSecCatchingUp)} rows/s` : ''),
    `sample publish → row   ${pctLine(s.lagMetricsMs)}`,
    `heartbeat publish → receipt   ${pctLine(s.lagHbMs)}`,
    `max JetStream backlog (pending + unacked): hb ${fmt(s.maxBacklog.hb)}, metrics ${fmt(s.maxBacklog.metrics)}; ` +
      `caught up after the last publish: metrics ${ms(s.drainAfterMs.metrics)}, hb ${ms(s.drainAfterMs.hb)}`,
    `publisher's longest stall ${ms(s.maxPublisherStallMs)}; ingest RSS ${fmt(s.ingestRssMb)} MB`,
    s.cpu,
  ]);
  printPhase('phase 2, ingest burst', r.burst, (b: BurstResult) => [
    `${fmt(b.samples)} samples queued at ${fmt(b.publishPerSec)} msg/s (${fmt(b.failed)} failed); ${fmt(b.stored)} rows stored`,
    `drained in ${ms(b.drainMs)} from ingest's start: ${fmt(b.rowsPerSec)} rows/s (first → last batch: ${fmt(b.steadyRowsPerSec)} rows/s)`,
    `ingest RSS ${fmt(b.ingestRssMb)} MB`,
    b.cpu,
  ]);
  printPhase('phase 3, command round trip', r.commands, (c: CommandResult) => [
    `${fmt(c.pings)} pings to ${c.agents} agents, ${c.failed} failed`,
    `POST answered (saved + in COMMANDS)   ${pctLine(c.postMs)}`,
    `agent's final report published        ${pctLine(c.agentResultMs)}`,
    `result stored (seen in Postgres)      ${pctLine(c.storedMs)}`,
    `NATS round trip (command in COMMANDS → agent's report)   ${pctLine(c.natsMs)}`,
  ]);
  printPhase('phase 4, alert → ticket', r.alerts, (a: AlertResult) => [
    `${fmt(a.tickets)} tickets for ${fmt(a.machines)} machines`,
    `sample publish → ticket row   ${pctLine(a.latencyMs)}`,
    `  of which publish → sample row (ingest)         ${pctLine(a.storedMs)}`,
    `  and sample row → ticket row (alert workflow)   ${pctLine(a.toTicketMs)}`,
  ]);
  printPhase('phase 5, agent idle', r.agent, (a: AgentIdleResult) => [
    `after ${a.seconds} s: RSS ${fmt(a.rssMb, 1)} MB (anonymous ${fmt(a.anonMb, 1)} MB + file-backed ${fmt(a.fileMb, 1)} MB; peak ${fmt(a.peakRssMb, 1)} MB); CPU ${fmt(a.cpuPercent, 2)}% of one core while idle, ${fmt(a.cpuSecondsTotal, 2)} s since start`,
  ]);
}

function printTable(r: Results): void {
  const rows: [string, string, string][] = [];
  const ok = <T>(v: T | Error | undefined): v is T => v !== undefined && !(v instanceof Error);
  const missing = (v: unknown) => (v instanceof Error ? `not measured (${v.message.slice(0, 60)})` : 'not run');
  const s = r.sustained;
  if (ok(s)) {
    rows.push([`fleet ${fmt(knobs.fleetSize)} × (1 hb + ${knobs.metricsPerMin} samples)/min, ${knobs.fleetSeconds} s`, '25 000 agents, 2 cores', `${fmt(s.offeredHbPerSec + s.offeredRowsPerSec)} msg/s offered`]);
    rows.push(['fleet: metric rows/s stored', `${fmt(s.offeredRowsPerSec)} offered`, fmt(s.rowsPerSecInWindow)]);
    rows.push(['fleet: lag publish → row p99 / max', '< 5 s', `samples ${ms(s.lagMetricsMs.p99)} / ${ms(s.lagMetricsMs.max)}, hb ${ms(s.lagHbMs.p99)} / ${ms(s.lagHbMs.max)}`]);
    rows.push(['fleet: max JetStream backlog', '-', `hb ${fmt(s.maxBacklog.hb)}, metrics ${fmt(s.maxBacklog.metrics)}`]);
    rows.push(['fleet: loss (published − stored)', '0', `hb ${fmt(s.published.hb - s.stored.hb)}, samples ${fmt(s.published.metrics - s.stored.metrics)}, publish failures ${fmt(s.published.failed)}`]);
  } else rows.push(['fleet (phase 1)', '25 000 agents, lag < 5 s', missing(s)]);
  const b = r.burst;
  rows.push(['ingest burst, metric rows/s', '≥ 50 000', ok(b) ? `${fmt(b.rowsPerSec)} (${fmt(b.samples)} samples, ${fmt(knobs.fleetTenants)} tenants)` : missing(b)]);
  const a = r.alerts;
  rows.push(['alert → ticket p50 / p95', 'p95 ≤ 2 s', ok(a) ? `${ms(a.latencyMs.p50)} / ${ms(a.latencyMs.p95)} (${a.tickets}/${a.machines})` : missing(a)]);
  const c = r.commands;
  rows.push(['command round trip p50 / p99', 'p50 ≤ 5 ms', ok(c) ? `NATS ${ms(c.natsMs.p50)} / ${ms(c.natsMs.p99)}; API POST → stored ${ms(c.storedMs.p50)} / ${ms(c.storedMs.p99)} (${c.pings} pings)` : missing(c)]);
  const g = r.agent;
  rows.push(['agent idle RSS / CPU', 'RSS ≤ 60 MB', ok(g) ? `${fmt(g.rssMb, 1)} MB / ${fmt(g.cpuPercent, 2)}%` : missing(g)]);

  const w = [Math.max(...rows.map((x) => x[0].length)), Math.max(...rows.map((x) => x[1].length))];
  console.log(`\n${'figure'.padEnd(w[0]!)}  ${'target'.padEnd(w[1]!)}  measured`);
  for (const [f, t, m] of rows) console.log(`${f.padEnd(w[0]!)}  ${t.padEnd(w[1]!)}  ${m}`);
}

// ---------------------------------------------------------------------------------------------------------------

async function runPhase<T>(results: Results, key: keyof Results, enabled: boolean, run: () => Promise<T>): Promise<void> {
  if (!enabled) return;
  try {
    (results as Record<string, unknown>)[key] = await run();
  } catch (err) {
    console.log(`  ${key} failed: ${(err as Error).stack ?? String(err)}`);
    (results as Record<string, unknown>)[key] = err instanceof Error ? err : new Error(String(err));
  }
}

function trackProcesses(ctx: Context): void {
  const stack = findStackProcesses();
  ctx.meter.track('ingest', () => (ctx.ingest.pid ? procStat(ctx.ingest.pid)?.ticks : undefined));
  if (stack.postgres) ctx.meter.track('postgres', () => treeTicks(stack.postgres!));
  if (stack.nats) ctx.meter.track('nats', () => procStat(stack.nats!)?.ticks);
  ctx.meter.track('bench', () => procStat(process.pid)?.ticks);
}

async function main(): Promise<void> {
  const load = os.loadavg();
  console.log(
    `${os.cpus().length} cores (${os.cpus()[0]?.model.trim()}), load average ${load.map((l) => l.toFixed(2)).join(' ')} at start; phases ${[...knobs.phases].join(',')}; ` +
      `FLEET_SIZE=${knobs.fleetSize} FLEET_SECONDS=${knobs.fleetSeconds} METRICS_PER_MIN=${knobs.metricsPerMin} FLEET_TENANTS=${knobs.fleetTenants} FLEET_ANALYZE=${knobs.analyzeAfterSeed ? 1 : 0} BURST_SAMPLES=${knobs.burstSamples} PINGS=${knobs.pings}`,
  );
  console.log(
    'simulation: the bulk fleet is machine rows inserted in Postgres, its telemetry published over ONE NATS connection with the service credentials; ' +
      'the command agents and the idle agent are real agents enrolled through the API with their own credentials; ingest is the real process (ingest/dist/main.js).',
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-fleet-'));
  const api = await startTestApi();
  const nc = await connect({ servers: process.env.NATS_URL!, name: 'vigie-bench-fleet', authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  const ingestLog = path.join(tmp, 'ingest.log');
  const ctx: Context = {
    api,
    nc,
    js: nc.jetstream(),
    jsm: await nc.jetstreamManager(),
    owner: createDb(process.env.DATABASE_OWNER_URL!, 4),
    ingest: Ingest.start(ingestLog),
    ingestLog,
    meter: new CpuMeter(),
    tmp,
  };
  const results: Results = {};
  try {
    await waitUntilConsuming(ctx.jsm);
    trackProcesses(ctx);
    const needFleet = knobs.phases.has('1') || knobs.phases.has('2');
    if (needFleet) {
      const t0 = performance.now();
      ctx.fleet = await seedFleet(api);
      // A real fleet enrolls over days and autovacuum keeps the statistics of `machines` current; thousands of
      // rows inserted in seconds have none yet, and the planner then compares each batch's samples with every
      // machine of the tenant (nested loop: ~7× slower batches, measured). ANALYZE gives the steady state.
      if (knobs.analyzeAfterSeed) await ctx.owner.raw('analyze machines');
      console.log(
        `seeded ${fmt(ctx.fleet.size)} machines in ${knobs.fleetTenants} tenants in ${ms(performance.now() - t0)} (rows inserted in Postgres${knobs.analyzeAfterSeed ? ', then ANALYZE machines' : ', no ANALYZE'})`,
      );
    }
    await runPhase(results, 'sustained', knobs.phases.has('1'), () => phaseSustained(ctx, ctx.fleet!));
    await runPhase(results, 'burst', knobs.phases.has('2'), () => phaseBurst(ctx, ctx.fleet!));
    const real = knobs.phases.has('3') || knobs.phases.has('4') || knobs.phases.has('5') ? await tenantWithClient(api, 'Real agents MSP') : undefined;
    await runPhase(results, 'commands', knobs.phases.has('3'), () => phaseCommands(ctx, real!));
    if (knobs.phases.has('4')) {
      const alertTenant = await tenantWithClient(api, 'Alerting MSP');
      await runPhase(results, 'alerts', true, () => phaseAlerts(ctx, alertTenant));
    }
    await runPhase(results, 'agent', knobs.phases.has('5'), () => phaseAgentIdle(ctx, real!));
    printDetails(results);
    printTable(results);
    const levels = fs.existsSync(ingestLog) ? [...fs.readFileSync(ingestLog, 'utf8').matchAll(/"level":(\d+)/g)].map((m) => Number(m[1])) : [];
    console.log(`ingest logged ${levels.filter((l) => l === 40).length} warnings and ${levels.filter((l) => l >= 50).length} errors`);
    console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } catch (err) {
    const log = fs.existsSync(ingestLog) ? fs.readFileSync(ingestLog, 'utf8').split('\n').slice(-20).join('\n') : '';
    if (log) console.error(`ingest log (last lines):\n${log}`);
    throw err;
  } finally {
    await ctx.ingest.stop();
    await nc.drain().catch(() => {});
    await ctx.owner.destroy();
    await api.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
