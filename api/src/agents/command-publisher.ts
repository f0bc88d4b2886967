import { AckPolicy, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type NatsConnection } from 'nats';
import { agentSubjects, AppError, COMMANDS_STREAM, COMMANDS_STREAM_SUBJECTS, commandDelivery, type AgentCommand, type MachineCommand } from '@vigie/core';

/** Commands older than this are gone from the stream; each one's own (shorter) expiry travels in its payload. */
const STREAM_MAX_AGE_NS = 7 * 24 * 3600 * 1e9;
/** A retried POST republishes with the same Nats-Msg-Id; within this window JetStream drops the copy. */
const DUPLICATE_WINDOW_NS = 10 * 60 * 1e9;
/** The agent sends "working" every 20 s while a command runs, so only a vanished agent gets a redelivery. */
const ACK_WAIT_NS = 60 * 1e9;
/** Commands one agent may hold unacknowledged (it runs them side by side). */
const MAX_ACK_PENDING = 16;

export interface CommandPublisher {
  /** Puts the command in the COMMANDS stream for its machine's consumer; resolves once JetStream stored it. */
  publish(tenantId: string, command: MachineCommand): Promise<void>;
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

export function createCommandPublisher(nats: () => NatsConnection | null): CommandPublisher {
  let streamReady = false;
  const readyConsumers = new Set<string>();
  return {
    async publish(tenantId, command) {
      const nc = await connection(nats);
      try {
        if (!streamReady || !readyConsumers.has(command.machineId)) {
          const jsm = await nc.jetstreamManager();
          if (!streamReady) await ensureStream(jsm);
          streamReady = true;
          await ensureConsumer(jsm, tenantId, command.machineId);
          readyConsumers.add(command.machineId);
        }
        const subject = `${agentSubjects(tenantId, command.machineId).commands}.${command.name}`;
        await nc.jetstream().publish(subject, JSON.stringify(agentPayload(command)), { msgID: command.id, timeout: 5000 });
      } catch (err) {
        // The stream or a consumer may be gone (NATS data lost): check them again next time.
        streamReady = false;
        readyConsumers.clear();
        throw err;
      }
    },
  };
}
