import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, createInbox, type NatsConnection } from 'nats';
import pino from 'pino';
import { commandDelivery, type AgentCancelNotice, type AgentCommand } from '@vigie/core';
import { withTenant } from '@vigie/db';
import { startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { until } from '../../api/test/support/until';
import { handleResult, startResultConsumer, type ResultConsumer } from '../../ingest/src/telemetry/results';
import { startCommandDispatcher, type CommandReport } from '../src/commands/dispatch';
import type { CommandOutcome } from '../src/commands/execute';
import { AGENT_CLI as CLI, runAgentCli as cli } from './support/cli';

/**
 * Remote commands end to end: the real API saves and publishes each command to the COMMANDS stream, the real
 * agent process (built CLI) gets it from its durable consumer, runs it and reports through its outbox, ingest
 * (in-process, its own durable) stores the result in Postgres, the API shows it.
 */
const NODE = process.execPath;

let api: TestApi;
let admin: Session;
let nc: NatsConnection;
let ingest: ResultConsumer;
const children: ChildProcess[] = [];
const dirs: string[] = [];

interface Enrolled {
  dataDir: string;
  machineId: string;
  tenantId: string;
}

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-cmd-'));
  dirs.push(dir);
  return dir;
}

async function enroll(): Promise<Enrolled> {
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Client ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const dataDir = path.join(tempDir(), 'data');
  const res = await cli(['enroll', '--url', api.url, '--token', token.body.token, '--data-dir', dataDir]);
  expect(res).toMatchObject({ code: 0 });
  return { dataDir, ...(JSON.parse(res.stdout) as { machineId: string; tenantId: string }) };
}

/** The real agent; its log is kept to explain a failure. */
function startAgent(machine: Enrolled): { child: ChildProcess; log: () => string } {
  const child = spawn(NODE, [CLI, 'run', '--data-dir', machine.dataDir, '--heartbeat-seconds', '30', '--metrics-seconds', '3600'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  return { child, log: () => log };
}

async function stopAgent(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  expect(code).toBe(0);
}

const send = (machineId: string, body: unknown) => api.call('POST', `/api/v1/machines/${machineId}/commands`, { token: admin.token, body });
const cancel = (commandId: string) => api.call('POST', `/api/v1/commands/${commandId}/cancel`, { token: admin.token });

/** Running, not a zombie waiting for its (re)parent to reap it. */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};
const getCommand = async (id: string) => (await api.call('GET', `/api/v1/commands/${id}`, { token: admin.token })).body;
const finished = (id: string, log: () => string = () => '') =>
  until(`command ${id} finished`, async () => {
    const c = await getCommand(id);
    return ['succeeded', 'failed', 'expired'].includes(c.status) && c;
  }, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; agent log:\n${log()}`);
  });

/** A connection with the machine's own agent credentials, recording permission errors. */
async function connectAs(machine: Enrolled) {
  const config = JSON.parse(fs.readFileSync(path.join(machine.dataDir, 'agent.json'), 'utf8')) as { subjects: { inboxPrefix: string } };
  const conn = await connect({
    servers: process.env.NATS_URL!,
    authenticator: credsAuthenticator(fs.readFileSync(path.join(machine.dataDir, 'agent.creds'))),
    inboxPrefix: config.subjects.inboxPrefix,
  });
  const errors: { operation?: string; subject?: string; code: string }[] = [];
  void (async () => {
    for await (const s of conn.status()) if (s.type === 'error') errors.push({ code: String(s.data), ...(s.permissionContext ?? {}) });
  })();
  return { conn, errors };
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  ingest = await startResultConsumer({ nc, db: api.deps.db, log: pino({ level: 'silent' }), consumer: `ingest-results-test-${randomUUID().slice(0, 8)}` });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await ingest?.stop();
  await nc?.drain();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

describe('commands to a real agent', () => {
  let machine: Enrolled;
  beforeAll(async () => {
    machine = await enroll();
  });

  it('delivers a command only once its row is committed; the agent runs it and the result is stored', async () => {
    // Stand in for the agent for one delivery, with its own credentials: what does Postgres hold at that moment?
    const stand = await connectAs(machine);
    const delivery = commandDelivery(machine.tenantId, machine.machineId);
    const sub = stand.conn.subscribe(delivery.deliverSubject, { max: 1 });
    await stand.conn.flush();
    const ping = await send(machine.machineId, { name: 'ping' });
    expect(ping.status).toBe(201);
    for await (const msg of sub) {
      expect(JSON.parse(new TextDecoder().decode(msg.data))).toMatchObject({ id: ping.body.id, name: 'ping' });
      const row = await withTenant(api.deps.db, machine.tenantId, (tx) => tx('machine_commands').where({ id: ping.body.id }).first());
      expect(['queued', 'sent']).toContain(row.status);
      // Its credentials may answer its own consumer more than once (beyond NATS's one reply): "working" as a
      // long script does, then -NAK, which hands the command back at once, for the real agent.
      msg.respond(new TextEncoder().encode('+WPI'));
      msg.respond(new TextEncoder().encode('-NAK'));
    }
    await stand.conn.flush();
    expect(stand.errors).toEqual([]);
    await stand.conn.close();

    const agent = startAgent(machine);
    const done = await finished(ping.body.id, agent.log);
    expect(done).toMatchObject({ status: 'succeeded', exitCode: null, error: null, result: { agentVersion: '0.1.0', hostname: os.hostname() } });
    expect(Date.parse(done.startedAt)).toBeLessThanOrEqual(Date.parse(done.finishedAt));
    expect(done.durationMs).toBeGreaterThanOrEqual(0);

    const script = await send(machine.machineId, { name: 'run-script', params: { interpreter: 'bash', script: 'echo hello; echo oops >&2; exit 3' } });
    expect(script.status).toBe(201);
    const ran = await finished(script.body.id, agent.log);
    expect(ran).toMatchObject({ status: 'failed', exitCode: 3, stdout: 'hello\n', stderr: 'oops\n', error: null, result: { timedOut: false } });
    expect(ran.durationMs).toBeGreaterThanOrEqual(0);
    expect(ran.durationMs).toBeLessThan(10_000);
    expect(Date.parse(ran.sentAt)).toBeLessThanOrEqual(Date.parse(ran.startedAt) + 1000);

    const ok = await send(machine.machineId, { name: 'run-script', params: { script: 'printf "%s" "$((6 * 7))"' } });
    expect(await finished(ok.body.id, agent.log)).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: '42' });
    // Every delivery was acked: nothing waits for redelivery.
    const jsm = await nc.jetstreamManager();
    await until('every command acked', async () => {
      const info = await jsm.consumers.info(delivery.stream, delivery.consumer);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 5000);
    expect(agent.log()).not.toMatch(/permissions violation/i);
    await stopAgent(agent.child);
  });

  it('keeps commands for a stopped agent: one runs when it starts again, one whose TTL passed does not run and ends expired', async () => {
    const marker = path.join(tempDir(), 'expired-ran');
    const later = await send(machine.machineId, { name: 'run-script', params: { script: 'echo after the restart' } });
    const stale = await send(machine.machineId, { name: 'run-script', params: { script: `touch ${marker}` }, ttlSeconds: 10 });
    expect([later.body.status, stale.body.status]).toEqual(['sent', 'sent']);
    await new Promise((r) => setTimeout(r, Date.parse(stale.body.expiresAt) - Date.now() + 200));
    expect((await getCommand(later.body.id)).status).toBe('sent');

    const agent = startAgent(machine);
    expect(await finished(later.body.id, agent.log)).toMatchObject({ status: 'succeeded', exitCode: 0, stdout: 'after the restart\n' });
    const expired = await finished(stale.body.id, agent.log);
    expect(expired).toMatchObject({ status: 'expired', exitCode: null, startedAt: null, error: expect.stringMatching(/expired/) });
    expect(fs.existsSync(marker)).toBe(false);
    await stopAgent(agent.child);
  }, 40_000);

  it('never runs a command cancelled while its agent was away: the agent learns it on reconnect, the command stays cancelled', async () => {
    const marker = path.join(tempDir(), 'cancelled-ran');
    const queued = await send(machine.machineId, { name: 'run-script', params: { script: `touch ${marker}` } });
    expect(queued.body.status).toBe('sent');
    expect((await cancel(queued.body.id)).body).toMatchObject({ status: 'cancelled' });

    const agent = startAgent(machine);
    // A ping sent after it: once it ran, the agent has read everything before it in the stream.
    const ping = await send(machine.machineId, { name: 'ping' });
    expect(await finished(ping.body.id, agent.log)).toMatchObject({ status: 'succeeded' });
    expect(fs.existsSync(path.join(machine.dataDir, 'commands', `${queued.body.id}.cancelled`))).toBe(true);
    expect(fs.existsSync(marker)).toBe(false);
    expect(await getCommand(queued.body.id)).toMatchObject({ status: 'cancelled', startedAt: null, exitCode: null });
    await stopAgent(agent.child);
    expect(fs.existsSync(marker)).toBe(false);
  }, 40_000);

  it('stops a running script on cancel: its whole process group at once, the command cancelled with what it wrote', async () => {
    const agent = startAgent(machine);
    const pidFile = path.join(tempDir(), 'sleeper.pid');
    const long = await send(machine.machineId, {
      name: 'run-script',
      params: { interpreter: 'bash', script: `echo started; sleep 30 & echo $! > ${pidFile}; wait`, timeoutSeconds: 600 },
    });
    const sleeper = await until('the script running', async () => {
      const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8').trim()) : 0;
      return pid > 0 && (await getCommand(long.body.id)).status === 'running' && pid;
    }, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent log:\n${agent.log()}`);
    });
    expect(alive(sleeper)).toBe(true);

    const asked = Date.now();
    const res = await cancel(long.body.id);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'cancelled', cancelledBy: admin.user.id, startedAt: expect.any(String) });
    await until('the sleeper killed', async () => !alive(sleeper), 5000);
    const reported = await until('the agent’s report of the stopped script', async () => {
      const c = await getCommand(long.body.id);
      return c.durationMs !== null && c;
    }, 10_000);
    expect(Date.now() - asked).toBeLessThan(8000);
    expect(reported).toMatchObject({ status: 'cancelled', stdout: 'started\n', exitCode: null, error: expect.stringMatching(/^cancelled/), result: { cancelled: true, timedOut: false } });
    expect(reported.durationMs).toBeLessThan(30_000);
    // Nothing left to redeliver.
    const jsm = await nc.jetstreamManager();
    const delivery = commandDelivery(machine.tenantId, machine.machineId);
    await until('every delivery acked', async () => {
      const info = await jsm.consumers.info(delivery.stream, delivery.consumer);
      return info.num_ack_pending === 0 && info.num_pending === 0;
    }, 5000);
    await stopAgent(agent.child);
  }, 60_000);

  it("refuses a machine's agent credentials on another machine's commands: no receive, no pull, no ack", async () => {
    const other = await enroll();
    // Its consumer exists once it has a command.
    expect((await send(other.machineId, { name: 'ping' })).status).toBe(201);
    const theirs = commandDelivery(other.tenantId, other.machineId);
    const { conn, errors } = await connectAs(machine);
    try {
      const attempts = [
        { operation: 'subscription', subject: theirs.deliverSubject },
        { operation: 'subscription', subject: `vigie.${other.tenantId}.agent.${other.machineId}.cmd.>` },
      ];
      for (const a of attempts) {
        const sub = conn.subscribe(a.subject);
        const drained = (async () => {
          for await (const _ of sub) throw new Error(`received ${a.subject}`);
        })();
        await expect(drained).rejects.toMatchObject({ code: 'PERMISSIONS_VIOLATION' });
      }
      const publishes = [
        `$JS.API.CONSUMER.MSG.NEXT.${theirs.stream}.${theirs.consumer}`,
        `$JS.API.CONSUMER.INFO.${theirs.stream}.${theirs.consumer}`,
        `$JS.ACK.${theirs.stream}.${theirs.consumer}.1.1.1.${Date.now()}000000.0`,
        `vigie.${other.tenantId}.agent.${other.machineId}.cmd.ping`,
      ];
      for (const subject of publishes) conn.publish(subject, new TextEncoder().encode('{"batch":1}'), { reply: createInbox(`_INBOX_${machine.tenantId}_${machine.machineId}`) });
      await conn.flush();
      await until('every publish refused', async () => publishes.every((s) => errors.some((e) => e.operation === 'publish' && e.subject === s)), 5000);
      expect(errors.every((e) => e.code === 'PERMISSIONS_VIOLATION')).toBe(true);
    } finally {
      await conn.close();
    }
    // The other machine's command is still waiting for its own agent.
    const list = await api.call('GET', `/api/v1/machines/${other.machineId}/commands`, { token: admin.token });
    expect(list.body.items).toEqual([expect.objectContaining({ status: 'sent' })]);
  });
});

describe('ingest of command results', () => {
  it("stores a result only for the machine's own command, once", async () => {
    const owner = await enroll();
    const intruder = await enroll();
    const cmd = await send(owner.machineId, { name: 'ping' });
    const enc = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
    const report = (seq: number) => ({ seq, commandId: cmd.body.id, status: 'succeeded', at: new Date().toISOString(), durationMs: 1 });
    const seq = 9_000_000;
    // The intruder's subject (its credentials allow only its own) with the owner's command id.
    expect(await handleResult(api.deps.db, `vigie.${intruder.tenantId}.tlm.${intruder.machineId}.result`, enc(report(seq)), `${intruder.machineId}:${seq}`)).toBe('unknown_command');
    expect((await getCommand(cmd.body.id)).status).toBe('sent');
    // Another tenant named in the subject finds no such machine.
    expect(await handleResult(api.deps.db, `vigie.${randomUUID()}.tlm.${owner.machineId}.result`, enc(report(seq)), undefined)).toBe('unknown_machine');
    expect(await handleResult(api.deps.db, `vigie.${owner.tenantId}.tlm.${owner.machineId}.result`, enc({ ...report(seq), stdout: 'x'.repeat(70_000) }), undefined)).toBe('malformed');
    expect(await handleResult(api.deps.db, `vigie.${owner.tenantId}.tlm.${owner.machineId}.result`, enc(report(seq)), `${owner.machineId}:${seq + 1}`)).toBe('malformed');

    const subject = `vigie.${owner.tenantId}.tlm.${owner.machineId}.result`;
    expect(await handleResult(api.deps.db, subject, enc(report(seq)), `${owner.machineId}:${seq}`)).toBe('stored');
    expect(await handleResult(api.deps.db, subject, enc(report(seq)), `${owner.machineId}:${seq}`)).toBe('duplicate');
    // A later report (e.g. "interrupted" after a restart) does not undo the final status.
    expect(await handleResult(api.deps.db, subject, enc({ ...report(seq + 1), status: 'failed', error: 'interrupted' }), undefined)).toBe('stale');
    expect(await getCommand(cmd.body.id)).toMatchObject({ status: 'succeeded', durationMs: 1, error: null });
  });
});

describe('the dispatcher with a redelivered command', () => {
  const tenantId = randomUUID();
  const machineId = randomUUID();
  const deliver = commandDelivery(tenantId, machineId).deliverSubject;

  const succeed = async (): Promise<CommandOutcome> => ({ status: 'succeeded', durationMs: 1 });

  function dispatcher(dataDir: string, execute: (command: AgentCommand, signal: AbortSignal) => Promise<CommandOutcome> = succeed) {
    const reports: CommandReport[] = [];
    const ran: string[] = [];
    const d = startCommandDispatcher({
      nc,
      tenantId,
      machineId,
      dataDir,
      queueResult: (r) => void reports.push(r),
      log: () => {},
      execute: (command, signal) => {
        ran.push(command.id);
        return execute(command, signal);
      },
    });
    return { d, reports, ran };
  }

  /** Delivers `command` (or a notice) as JetStream would, and resolves with what the dispatcher answered on the ack subject. */
  async function deliverOnce(command: AgentCommand | AgentCancelNotice): Promise<string> {
    const ackSubject = createInbox();
    const sub = nc.subscribe(ackSubject, { max: 1 });
    nc.publish(deliver, JSON.stringify(command), { reply: ackSubject });
    for await (const m of sub) return new TextDecoder().decode(m.data);
    throw new Error('no answer');
  }

  const command = (over: Partial<AgentCommand> = {}): AgentCommand =>
    ({ id: randomUUID(), name: 'ping', params: {}, expiresAt: new Date(Date.now() + 60_000).toISOString(), ...over }) as AgentCommand;

  it('runs a command once: a redelivery after the result was queued is only acked again', async () => {
    const { d, reports, ran } = dispatcher(tempDir());
    try {
      await nc.flush();
      const c = command();
      expect(await deliverOnce(c)).toBe('+ACK');
      expect(await deliverOnce(c)).toBe('+ACK');
      expect(ran).toEqual([c.id]);
      expect(reports.map((r) => r.status)).toEqual(['running', 'succeeded']);
    } finally {
      await d.stop();
    }
  });

  it('reports a command interrupted by an agent crash as failed, without running it again', async () => {
    const dataDir = tempDir();
    const c = command({ name: 'run-script', params: { interpreter: 'bash', script: 'echo once', timeoutSeconds: 60 } });
    // What a crash mid-run leaves: the journal says started, nothing was reported or acked.
    fs.mkdirSync(path.join(dataDir, 'commands'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'commands', `${c.id}.started`), '');
    const { d, reports, ran } = dispatcher(dataDir);
    try {
      await nc.flush();
      expect(await deliverOnce(c)).toBe('+ACK');
      expect(ran).toEqual([]);
      expect(reports).toEqual([expect.objectContaining({ commandId: c.id, status: 'failed', error: expect.stringMatching(/interrupted/) })]);
    } finally {
      await d.stop();
    }
  });

  it('never runs a command whose cancel notice came first, nor again after a crash: it is reported cancelled', async () => {
    const dataDir = tempDir();
    const c = command();
    const first = dispatcher(dataDir);
    try {
      await nc.flush();
      expect(await deliverOnce({ name: 'cancel', commandId: c.id })).toBe('+ACK');
      expect(await deliverOnce(c)).toBe('+ACK');
      expect(first.ran).toEqual([]);
      expect(first.reports).toEqual([expect.objectContaining({ commandId: c.id, status: 'cancelled' })]);
    } finally {
      await first.d.stop();
    }
    // A notice for a command done already changes nothing; a second notice is acked again.
    const second = dispatcher(dataDir);
    try {
      await nc.flush();
      expect(await deliverOnce({ name: 'cancel', commandId: c.id })).toBe('+ACK');
      expect(await deliverOnce(c)).toBe('+ACK');
      expect(second.ran).toEqual([]);
      expect(second.reports).toEqual([]);
    } finally {
      await second.d.stop();
    }
  });

  it('aborts a running command on its cancel notice and reports what the command says', async () => {
    const stoppable = (_: AgentCommand, signal: AbortSignal) =>
      new Promise<CommandOutcome>((resolve) => signal.addEventListener('abort', () => resolve({ status: 'cancelled', durationMs: 5, error: 'cancelled: stopped' })));
    const { d, reports, ran } = dispatcher(tempDir(), stoppable);
    try {
      await nc.flush();
      const c = command({ name: 'run-script', params: { interpreter: 'bash', script: 'sleep 30', timeoutSeconds: 60 } });
      const ack = deliverOnce(c);
      await until('the command running', async () => ran.includes(c.id), 5000);
      expect(await deliverOnce({ name: 'cancel', commandId: c.id })).toBe('+ACK');
      expect(await ack).toBe('+ACK');
      expect(reports.map((r) => r.status)).toEqual(['running', 'cancelled']);
    } finally {
      await d.stop();
    }
  });

  it('terminates an unreadable command and reports one it can name', async () => {
    const { d, reports, ran } = dispatcher(tempDir());
    try {
      await nc.flush();
      const ackSubject = createInbox();
      const sub = nc.subscribe(ackSubject, { max: 1 });
      nc.publish(deliver, 'garbage', { reply: ackSubject });
      for await (const m of sub) expect(new TextDecoder().decode(m.data)).toBe('+TERM');
      const bad = command({ name: 'format-disk' } as never);
      expect(await deliverOnce(bad)).toBe('+ACK');
      expect(ran).toEqual([]);
      expect(reports).toEqual([expect.objectContaining({ commandId: bad.id, status: 'failed', error: expect.stringMatching(/could not read/) })]);
    } finally {
      await d.stop();
    }
  });
});
