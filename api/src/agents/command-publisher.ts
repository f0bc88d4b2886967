import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import {
  agentSubjects,
  AppError,
  CANCEL_NOTICE_NAME,
  COMMANDS_STREAM,
  COMMANDS_STREAM_SUBJECTS,
  commandDelivery,
  type AgentCancelNotice,
  type AgentCommand,
  type MachineCommand,
} from '@vigie/core';
import type { machineCommandsRepo } from '@vigie/db';

/** Commands older than this are gone from the stream; each one's own (shorter) expiry travels in its payload. */
const STREAM_MAX_AGE_NS = 7 * 24 * 3600 * 1e9;
/** A retried POST republishes with the same Nats-Msg-Id; within this window JetStream drops the copy. */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;
/** The agent sends "working" every 20 s while a command runs, so only a vanished agent gets a redelivery. */
const ACK_WAIT_NS = 60 * 1e9;
/** Commands one agent may hold unacknowledged (it runs them side by side). */
const MAX_ACK_PENDING = 16;

export interface CommandPublisher {
  /** Puts the command in the COMMANDS stream for its machine's consumer; resolves with its stream sequence once JetStream stored it. */
  publish(tenantId: string, command: MachineCommand): Promise<number>;
  /**
   * Tells the agent a command is cancelled: a notice on the machine's command subject (kept for an offline
   * agent), then the command's own message out of the stream, so an agent that was away never receives it.
   */
  publishCancel(target: machineCommandsRepo.CancelTarget): Promise<void>;
}

/** The payload the agent reads (core's `agentCommandSchema`). */
export function agentPayload(command: MachineCommand): AgentCommand {
  return { id: command.id, name: command.name, params: command.params, expiresAt: command.expiresAt } as AgentCommand;
}

async function ensureStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(COMMANDS_STREAM);
  } catch {
    await jsm.streams
      .add({
        name: COMMANDS_STREAM,
        subjects: [COMMANDS_STREAM_SUBJECTS],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        discard: DiscardPolicy.Old,
        max_age: STREAM_MAX_AGE_NS,
        duplicate_window: DUPLICATE_WINDOW_NS,
      })
      .catch(async (err: unknown) => {
        // Another replica created it in between.
        await jsm.streams.info(COMMANDS_STREAM).catch(() => Promise.reject(err));
      });
  }
}

/**
 * One durable push consumer per machine, made at its first command. Push rather than pull: the agent only
 * subscribes to a subject under its own inbox prefix and acks, so its credentials need no JetStream API
 * subject at all (a pull consumer needs `$JS.API.CONSUMER.MSG.NEXT…`, and the client libraries also ask for
 * consumer info). Being durable, it keeps its place and its unacknowledged commands while the agent is
 * offline; the server delivers only while someone listens, so an offline agent gets everything on reconnect.
 * Adding a consumer that exists with the same configuration is a no-op, so replicas may race.
 */
async function ensureConsumer(jsm: JetStreamManager, tenantId: string, machineId: string): Promise<void> {
  const d = commandDelivery(tenantId, machineId);
  try {
    await jsm.consumers.info(d.stream, d.consumer);
  } catch {
    await jsm.consumers.add(d.stream, {
      durable_name: d.consumer,
      filter_subject: d.filterSubject,
      deliver_subject: d.deliverSubject,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: ACK_WAIT_NS,
      max_ack_pending: MAX_ACK_PENDING,
    });
  }
}

/** NATS connects in the background at boot: a command sent in the first seconds waits for it a little. */
async function connection(nats: () => NatsConnection | null, waitMs = 5000): Promise<NatsConnection> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const nc = nats();
    if (nc && !nc.isClosed()) return nc;
    if (Date.now() > deadline) throw new AppError('unavailable', 'NATS is not connected');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Takes a cancelled command's message out of the stream, if the sequence still holds it (a stream made again
 * after NATS lost its data numbers other messages the same). Gone already (delivered and aged out, or a
 * previous attempt): nothing to do.
 */
async function removeCommandMessage(jsm: JetStreamManager, commandId: string, seq: number): Promise<void> {
  const stored = await jsm.streams.getMessage(COMMANDS_STREAM, { seq }).catch(() => null);
  if (stored?.header?.get('Nats-Msg-Id') !== commandId) return;
  await jsm.streams.deleteMessage(COMMANDS_STREAM, seq, false).catch(() => false);
}

export function createCommandPublisher(nats: () => NatsConnection | null): CommandPublisher {
  let streamReady = false;
  const readyConsumers = new Set<string>();

  /** Publishes on the machine's command subject `<commands>.<name>`, its stream and consumer made first if need be. */
  const put = async (tenantId: string, machineId: string, name: string, payload: unknown, msgID: string): Promise<{ seq: number; nc: NatsConnection }> => {
    const nc = await connection(nats);
    try {
      if (!streamReady || !readyConsumers.has(machineId)) {
        const jsm = await nc.jetstreamManager();
        if (!streamReady) await ensureStream(jsm);
        streamReady = true;
        await ensureConsumer(jsm, tenantId, machineId);
        readyConsumers.add(machineId);
      }
      const subject = `${agentSubjects(tenantId, machineId).commands}.${name}`;
      const ack = await nc.jetstream().publish(subject, JSON.stringify(payload), { msgID, timeout: 5000 });
      return { seq: ack.seq, nc };
    } catch (err) {
      // The stream or a consumer may be gone (NATS data lost): check them again next time.
      streamReady = false;
      readyConsumers.clear();
      throw err;
    }
  };

  return {
    async publish(tenantId, command) {
      return (await put(tenantId, command.machineId, command.name, agentPayload(command), command.id)).seq;
    },
    async publishCancel(target) {
      const notice: AgentCancelNotice = { name: CANCEL_NOTICE_NAME, commandId: target.commandId };
      const { nc } = await put(target.tenantId, target.machineId, CANCEL_NOTICE_NAME, notice, `${CANCEL_NOTICE_NAME}:${target.commandId}`);
      if (target.streamSeq !== null) await removeCommandMessage(await nc.jetstreamManager(), target.commandId, target.streamSeq);
    },
  };
}

/** Removes a machine's command consumer (its machine was deleted). Already gone counts as done. */
export async function removeMachineConsumer(nc: NatsConnection, tenantId: string, machineId: string): Promise<void> {
  const d = commandDelivery(tenantId, machineId);
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.consumers.delete(d.stream, d.consumer);
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

const isNotFound = (err: unknown) => /not found/i.test((err as Error).message ?? '');

const CONSUMER_PREFIX = 'cmd-';

/**
 * The command consumers whose machine no longer exists (deleted while NATS was away, or its tenant deleted),
 * removed; `exists` answers which of the given machine ids are still in the database. Returns how many went.
 */
export async function removeOrphanConsumers(nc: NatsConnection, exists: (machineIds: string[]) => Promise<Set<string>>): Promise<number> {
  const jsm = await nc.jetstreamManager();
  const names: string[] = [];
  try {
    for await (const info of jsm.consumers.list(COMMANDS_STREAM)) if (info.name.startsWith(CONSUMER_PREFIX)) names.push(info.name);
  } catch (err) {
    // No stream yet: no consumer either.
    if (isNotFound(err)) return 0;
    throw err;
  }
  const machineOf = (name: string) => name.slice(CONSUMER_PREFIX.length);
  const alive = await exists(names.map(machineOf).filter((id) => UUID.test(id)));
  let removed = 0;
  for (const name of names) {
    if (alive.has(machineOf(name)) || !UUID.test(machineOf(name))) continue;
    await jsm.consumers.delete(COMMANDS_STREAM, name).catch((err: unknown) => {
      if (!isNotFound(err)) throw err;
    });
    removed += 1;
  }
  return removed;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
