import path from 'node:path';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { z } from 'zod';
import { agentCancelNoticeSchema, agentCommandSchema, commandDelivery, type AgentCommand, type CommandResult } from '@vigie/core/agent';
import { executeCommand, type CommandOutcome, type ExecuteOptions } from './execute';
import { CommandJournal } from './journal';

/**
 * Commands from the server: the machine's durable JetStream consumer (COMMANDS stream) pushes them to a subject
 * under the agent's inbox prefix, and keeps them while the agent is offline. For each one the dispatcher:
 * - skips it if its `expiresAt` has passed (reports `expired`: the server never guesses whether it ran);
 * - journals it as started, reports `running`, runs it (side by side with others), reports the outcome;
 * - acks the delivery only once the final report is in the on-disk outbox, so a crash redelivers it.
 * Reports go through the same outbox as heartbeats (telemetry kind `result`), so they survive NATS outages.
 * A redelivered command is never run twice: done → ack again; started but unfinished (the agent died while it
 * ran) → reported `failed` as interrupted.
 * A cancel notice comes the same way: it is journaled before its ack, so the command, if it comes later (or
 * again), is reported `cancelled` and not run; a script running at that moment is stopped (process group).
 */

export type CommandReport = Omit<CommandResult, 'seq'>;

export interface DispatcherOptions {
  nc: NatsConnection;
  tenantId: string;
  machineId: string;
  dataDir: string;
  /** Numbers the report and appends it to the outbox (synchronously); throws once the outbox is closed. */
  queueResult(report: CommandReport): void;
  log: (msg: string, fields?: Record<string, unknown>) => void;
  /** `signal` is aborted when the command is cancelled while it runs. */
  execute?: (command: AgentCommand, signal: AbortSignal) => Promise<CommandOutcome>;
  now?: () => Date;
}

export interface CommandDispatcher {
  /** Takes no new command and waits (bounded) for those running to report. */
  stop(graceMs?: number): Promise<void>;
}

export const JOURNAL_DIR = 'commands';
/** Well under the consumer's ack wait (60 s), so a long script is not redelivered while it runs. */
const WORKING_EVERY_MS = 20_000;
const enc = new TextEncoder();
const ACK = enc.encode('+ACK');
const WORKING = enc.encode('+WPI');
const TERM = enc.encode('+TERM');

const idOnly = z.object({ id: z.uuid() });

type Parsed =
  | { ok: true; command: AgentCommand }
  | { ok: true; cancel: string }
  | { ok: false; id: string | undefined; reason: string };

function parseMessage(data: Uint8Array): Parsed {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return { ok: false, id: undefined, reason: 'not JSON' };
  }
  const notice = agentCancelNoticeSchema.safeParse(body);
  if (notice.success) return { ok: true, cancel: notice.data.commandId };
  const parsed = agentCommandSchema.safeParse(body);
  if (parsed.success) return { ok: true, command: parsed.data };
  return { ok: false, id: idOnly.safeParse(body).data?.id, reason: z.prettifyError(parsed.error) };
}

export function startCommandDispatcher(opts: DispatcherOptions): CommandDispatcher {
  const now = opts.now ?? (() => new Date());
  const execute = opts.execute ?? ((command: AgentCommand, signal: AbortSignal) => executeCommand(command, { log: opts.log, signal } satisfies ExecuteOptions));
  const journal = CommandJournal.open(path.join(opts.dataDir, JOURNAL_DIR));
  /**
   * Commands running now, with their latest delivery (a redelivery replaces it; its ack is the one that
   * counts) and what stops them on a cancel.
   */
  const running = new Map<string, { msg: Msg; done: Promise<void>; abort: AbortController }>();

  /** Queues the final report, records it, acks. Without an outbox (stopping), no ack: it comes back next start. */
  const finish = (msg: Msg, commandId: string, outcome: Omit<CommandReport, 'commandId' | 'at'> & { status: CommandReport['status'] }) => {
    try {
      opts.queueResult({ commandId, at: now().toISOString(), ...outcome });
    } catch (err) {
      opts.log('command result not queued; the command will be redelivered', { commandId, err: (err as Error).message });
      return false;
    }
    journal.markDone(commandId);
    msg.respond(ACK);
    return true;
  };

  const run = (msg: Msg, command: AgentCommand) => {
    opts.queueResult({ commandId: command.id, status: 'running', at: now().toISOString() });
    journal.markStarted(command.id);
    const entry = { msg, done: Promise.resolve(), abort: new AbortController() };
    const working = setInterval(() => entry.msg.respond(WORKING), WORKING_EVERY_MS);
    entry.done = execute(command, entry.abort.signal)
      .then(({ afterReport, ...outcome }) => {
        clearInterval(working);
        running.delete(command.id);
        opts.log('command ran', { commandId: command.id, name: command.name, status: outcome.status, exitCode: outcome.exitCode });
        if (finish(entry.msg, command.id, outcome)) afterReport?.();
      })
      .catch((err: unknown) => {
        clearInterval(working);
        running.delete(command.id);
        opts.log('command failed in the agent', { commandId: command.id, err: (err as Error).message });
      });
    running.set(command.id, entry);
  };

  /** Journaled first, so the command is not run even if it arrives after the notice or comes back later. */
  const cancel = (msg: Msg, commandId: string) => {
    if (journal.state(commandId) !== 'done') journal.markCancelled(commandId);
    const current = running.get(commandId);
    if (current) {
      opts.log('stopping a cancelled command', { commandId });
      current.abort.abort();
    }
    msg.respond(ACK);
  };

  // Synchronous up to `run`: two deliveries of one command cannot both get past the journal.
  const receive = (msg: Msg) => {
    if (!msg.reply) return;
    const parsed = parseMessage(msg.data);
    if (!parsed.ok) {
      opts.log('unreadable command', { id: parsed.id, reason: parsed.reason });
      if (!parsed.id || !finish(msg, parsed.id, { status: 'failed', error: `the agent could not read this command: ${parsed.reason}`.slice(0, 2000) })) {
        msg.respond(TERM);
      }
      return;
    }
    if ('cancel' in parsed) {
      cancel(msg, parsed.cancel);
      return;
    }
    const { command } = parsed;
    const current = running.get(command.id);
    if (current) {
      current.msg = msg;
      return;
    }
    const state = journal.state(command.id);
    if (state === 'done') {
      msg.respond(ACK);
    } else if (state === 'cancelled') {
      opts.log('command cancelled; not run', { commandId: command.id });
      finish(msg, command.id, { status: 'cancelled', error: 'cancelled: the agent did not run it' });
    } else if (state === 'started') {
      finish(msg, command.id, { status: 'failed', error: 'interrupted: the agent stopped while this command ran; it is not run again' });
    } else if (Date.parse(command.expiresAt) <= now().getTime()) {
      opts.log('command expired before it could run', { commandId: command.id, expiresAt: command.expiresAt });
      finish(msg, command.id, { status: 'expired', error: `expired at ${command.expiresAt}, before the agent could run it` });
    } else {
      run(msg, command);
    }
  };

  const delivery = commandDelivery(opts.tenantId, opts.machineId);
  const sub: Subscription = opts.nc.subscribe(delivery.deliverSubject, {
    callback: (err, msg) => {
      if (err) opts.log('command subscription error', { err: err.message });
      else {
        try {
          receive(msg);
        } catch (error) {
          // Journal or outbox unusable: no ack, so the command comes back.
          opts.log('command not handled', { err: (error as Error).message });
        }
      }
    },
  });
  opts.log('listening for commands', { subject: delivery.deliverSubject });

  return {
    async stop(graceMs = 2000) {
      sub.unsubscribe();
      const all = Promise.all([...running.values()].map((r) => r.done));
      await Promise.race([all, new Promise((r) => setTimeout(r, graceMs).unref())]);
    },
  };
}
