import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type JetStreamClient, type NatsConnection } from 'nats';
import { platformSources } from './collect/platform';
import { isAuthRefusal, keepCredentials } from './credentials-keeper';
import { startCommandDispatcher, type CommandDispatcher, type CommandReport } from './commands/dispatch';
import { DiskQueue } from './outbox/disk-queue';
import { keepPolicy } from './policy';
import { readState, STATE_FILES } from './state';
import { chunkEvents, toReportedEvent, type EventSource, type StateSnapshot } from './telemetry/machine-state';
import { openSequence } from './telemetry/sequence';
import { AGENT_VERSION } from './version';

export interface RunOptions {
  dataDir: string;
  /** Mean heartbeat period; each one is jittered by ±10 % so a fleet does not beat in step. Default 60. */
  heartbeatSeconds?: number;
  /** Metrics sample period (first sample right after start) until a first policy is received. Default 60. */
  metricsSeconds?: number;
  /** Where metrics come from; default the Linux collector on Linux, none elsewhere (yet). */
  collectMetrics?: () => Promise<object>;
  /** Services (systemd units) and processes whose state is reported until a first policy is received; default none. */
  watchServices?: readonly string[];
  watchProcesses?: readonly string[];
  /** How often the server's policy is checked (also once at start). Default 300. */
  policySeconds?: number;
  /** First retry after a failed policy check, doubling up to policySeconds. Default 30. */
  policyRetrySeconds?: number;
  /** State snapshot period (watched services, processes, security products; the first one after one period too). Default 300. */
  stateSeconds?: number;
  /** How often new critical system events are read. Default 60. */
  eventsSeconds?: number;
  /** Where the state snapshot comes from; default systemd + /proc on Linux, none elsewhere (yet). */
  collectState?: () => Promise<StateSnapshot>;
  /** Where system events come from; default journald on Linux, none elsewhere (yet). */
  readEvents?: EventSource;
  /** Overrides the NATS URL received at enrollment. */
  natsUrl?: string;
  /** How often the credentials' expiry is checked (renewal when a third of their life is left). Default 10 min. */
  credentialsCheckMs?: number;
  /** Pause between renewals forced by NATS refusing the credentials. Default 30 s. */
  credentialsRetryMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface RunningAgent {
  readonly machineId: string;
  /** Stops heartbeats, sends what it can, closes the outbox and the sequence. */
  stop(): Promise<void>;
  /** Resolves when stop() completed. */
  readonly stopped: Promise<void>;
}

const defaultLog = (msg: string, fields: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);

/**
 * The agent's main loop: every heartbeat goes to the on-disk outbox first, then a pump publishes the outbox
 * in order through JetStream (`Nats-Msg-Id = <machine>:<seq>`) and removes each message once JetStream has
 * acknowledged it. While NATS is unreachable the outbox grows (bounded); on reconnect it is replayed in order.
 */
export async function runAgent(opts: RunOptions): Promise<RunningAgent> {
  const log = opts.log ?? defaultLog;
  const { config } = readState(opts.dataDir);
  const periodMs = Math.max(0.1, opts.heartbeatSeconds ?? 60) * 1000;
  const hbSubject = `${config.subjects.telemetry}.hb`;
  const metricsSubject = `${config.subjects.telemetry}.metrics`;
  // The policy, once received, replaces the command line's period and watch list (read at each sample and snapshot).
  const policy = keepPolicy({
    dataDir: opts.dataDir,
    fallback: { metricsSeconds: opts.metricsSeconds ?? 60, watch: { services: opts.watchServices ?? [], processes: opts.watchProcesses ?? [] } },
    log,
    onChange: () => rescheduleMetrics(),
    ...(opts.policySeconds ? { everyMs: opts.policySeconds * 1000 } : {}),
    ...(opts.policyRetrySeconds ? { retryMs: opts.policyRetrySeconds * 1000 } : {}),
  });
  const metricsPeriodMs = () => Math.max(0.1, policy.settings().metricsSeconds) * 1000;
  const platform = platformSources({ platform: process.platform, dataDir: opts.dataDir, watch: () => policy.settings().watch, log });
  const collect = opts.collectMetrics ?? platform.collectMetrics;
  const collectState = opts.collectState ?? platform.collectState;
  const readEvents = opts.readEvents ?? platform.readEvents;
  if (!collect) log('no metrics collector on this platform yet; sending heartbeats only', { platform: process.platform });
  const sequence = openSequence(path.join(opts.dataDir, STATE_FILES.sequence));
  const outbox = DiskQueue.open({ dir: path.join(opts.dataDir, STATE_FILES.outbox) });
  if (outbox.length) log('outbox has messages from before; replaying', { messages: outbox.length });

  let nc: NatsConnection | undefined;
  let js: JetStreamClient | undefined;
  let stopping = false;
  let pumping: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let metricsTimer: NodeJS.Timeout | undefined;
  let commands: CommandDispatcher | undefined;
  let closed = false;
  let halting = false;

  const pumpOnce = async () => {
    while (!stopping && js && outbox.length) {
      const batch = outbox.peek(100);
      for (const msg of batch) {
        if (stopping) return;
        try {
          await js.publish(msg.subject, msg.payload, { msgID: `${config.machineId}:${msg.seq}`, timeout: 5000 });
        } catch (err) {
          // NATS away or JetStream not answering: keep it queued, try again at the next beat or reconnect.
          log('publish failed; kept in the outbox', { seq: msg.seq, err: (err as Error).message, queued: outbox.length });
          return;
        }
        outbox.ack(msg);
      }
    }
  };
  const pump = () => {
    pumping ??= pumpOnce().finally(() => {
      pumping = undefined;
    });
    return pumping;
  };

  /** A command's report, numbered and queued like a heartbeat (the dispatcher acks the command after this). */
  const queueResult = (report: CommandReport) => {
    if (closed) throw new Error('the outbox is closed');
    const seq = sequence.nextSeq();
    outbox.append(`${config.subjects.telemetry}.result`, Buffer.from(JSON.stringify({ seq, ...report })), seq);
    void pump();
  };

  const beat = () => {
    const seq = sequence.nextSeq();
    const payload = { seq, sentAt: new Date().toISOString(), agentVersion: AGENT_VERSION, uptimeSeconds: Math.round(os.uptime()) };
    outbox.append(hbSubject, Buffer.from(JSON.stringify(payload)), seq);
    void pump();
  };
  /** One metrics sample, numbered when it is queued (the collector's first call takes a second). */
  const sampleMetrics = async () => {
    let metrics: object;
    try {
      metrics = await collect!();
    } catch (err) {
      log('metrics collection failed', { err: (err as Error).message });
      return;
    }
    if (closed) return;
    const seq = sequence.nextSeq();
    outbox.append(metricsSubject, Buffer.from(JSON.stringify({ seq, ...metrics })), seq);
    void pump();
  };
  /** Appends one telemetry message, numbered now, and wakes the pump. */
  const queue = (kind: 'inventory' | 'events', body: object) => {
    const seq = sequence.nextSeq();
    outbox.append(`${config.subjects.telemetry}.${kind}`, Buffer.from(JSON.stringify({ seq, ...body })), seq);
    void pump();
  };
  const sampleState = async () => {
    let snapshot: StateSnapshot;
    try {
      snapshot = await collectState!();
    } catch (err) {
      log('state collection failed', { err: (err as Error).message });
      return;
    }
    if (!closed) queue('inventory', snapshot);
  };
  /** New events go to the outbox before their cursor is committed: a crash in between re-sends, never loses. */
  const pollEvents = async () => {
    // Bounded catch-up: a backlog is read in a few rounds, the rest at the next period.
    for (let round = 0; round < 10 && !closed && !halting; round++) {
      const batch = await readEvents!.read().catch((err: Error) => {
        log('system events read failed', { err: err.message });
        return undefined;
      });
      if (!batch || closed) return;
      for (const events of chunkEvents(batch.events.map(toReportedEvent))) queue('events', { events });
      readEvents!.commit(batch.cursor);
      if (!batch.more) return;
    }
  };
  const periodic: NodeJS.Timeout[] = [];
  /**
   * Runs `task` every `periodMs` (counted from the end of the previous run) until the agent stops. The first
   * run waits one period too: state changes slowly, and an agent that restarts in a loop then does not spawn
   * systemctl/journalctl at each start (heartbeats and metrics still say at once that it is up).
   */
  const repeat = (task: () => Promise<void>, periodMs: number, slot: number) => {
    const run = () => {
      if (stopping || halting) return;
      void task().finally(() => {
        if (!stopping && !halting) periodic[slot] = setTimeout(run, periodMs);
      });
    };
    periodic[slot] = setTimeout(run, periodMs);
  };

  const scheduleMetrics = () => {
    if (stopping || halting || !collect) return;
    metricsTimer = setTimeout(() => {
      metricsTimer = undefined;
      void sampleMetrics().finally(scheduleMetrics);
    }, metricsPeriodMs());
  };
  /** A new period counts from now: a 5 min wait is not kept when the policy asks for 1 min. */
  function rescheduleMetrics(): void {
    if (!metricsTimer) return; // a sample is being taken; it schedules the next one itself
    clearTimeout(metricsTimer);
    scheduleMetrics();
  }

  const schedule = () => {
    if (stopping) return;
    const jittered = periodMs * (0.9 + Math.random() * 0.2);
    timer = setTimeout(() => {
      beat();
      schedule();
    }, jittered);
  };

  const credentials = keepCredentials({
    dataDir: opts.dataDir,
    log,
    ...(opts.credentialsCheckMs ? { checkEveryMs: opts.credentialsCheckMs } : {}),
    ...(opts.credentialsRetryMs ? { retryAfterRefusalMs: opts.credentialsRetryMs } : {}),
  });
  const connecting = (async () => {
    try {
      nc = await connect({
        servers: opts.natsUrl ?? config.natsUrl,
        name: `vigie-agent-${config.machineId}`,
        // Read at every (re)connect: a renewal replaces the file.
        authenticator: credsAuthenticator(() => fs.readFileSync(path.join(opts.dataDir, STATE_FILES.creds))),
        // Refused credentials (revoked, expired) must not end the loop: a renewal may fix them.
        ignoreAuthErrorAbort: true,
        inboxPrefix: config.subjects.inboxPrefix,
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 1000,
      });
    } catch (err) {
      log('cannot connect to NATS', { err: (err as Error).message });
      return;
    }
    js = nc.jetstream();
    commands = startCommandDispatcher({ nc, tenantId: config.tenantId, machineId: config.machineId, dataDir: opts.dataDir, queueResult, log });
    log('connected to NATS', { server: nc.getServer(), machineId: config.machineId });
    void pump();
    for await (const s of nc.status()) {
      if (s.type === 'reconnect') {
        log('reconnected to NATS; replaying the outbox', { queued: outbox.length });
        void pump();
      } else if (s.type === 'disconnect') log('disconnected from NATS', { queued: outbox.length });
      else if (s.type === 'error') {
        log('NATS error', { data: String(s.data) });
        if (isAuthRefusal(s.data)) credentials.onAuthRefused();
      }
    }
  })();

  beat();
  schedule();
  if (collect) void sampleMetrics().finally(scheduleMetrics);
  if (collectState) repeat(sampleState, Math.max(0.1, opts.stateSeconds ?? 300) * 1000, 0);
  if (readEvents) repeat(pollEvents, Math.max(0.1, opts.eventsSeconds ?? 60) * 1000, 1);

  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => (resolveStopped = r));
  return {
    machineId: config.machineId,
    stopped,
    async stop() {
      if (stopping) return stopped;
      clearTimeout(timer);
      credentials.stop();
      policy.stop();
      halting = true;
      clearTimeout(metricsTimer);
      for (const t of periodic) clearTimeout(t);
      await commands?.stop();
      // One last chance to send what is queued, bounded.
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([pump(), new Promise((r) => (bound = setTimeout(r, 3000)))]);
      // Not left pending: an in-process agent (tests) would keep the event loop up for it.
      clearTimeout(bound);
      stopping = true;
      await pumping?.catch(() => {});
      // Not awaiting `connecting`: its status iterator does not end on close, and a never-connected first
      // connect loop cannot be cancelled (the process exits next).
      void connecting;
      await nc?.drain().catch(() => {});
      closed = true;
      outbox.close();
      sequence.close();
      resolveStopped();
      return stopped;
    },
  };
}
