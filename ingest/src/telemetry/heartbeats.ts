import { AckPolicy, DeliverPolicy, RetentionPolicy, type JetStreamManager, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { heartbeatSchema, uuidSchema } from '@vigie/core';
import { isDatabaseUnavailable, machinesRepo, withTenant, type Db } from '@vigie/db';

export const TELEMETRY_STREAM = 'TELEMETRY';
export const TELEMETRY_SUBJECTS = 'vigie.*.tlm.>';
export const HEARTBEAT_SUBJECTS = 'vigie.*.tlm.*.hb';
export const HEARTBEAT_CONSUMER = 'ingest-hb';
/** JetStream drops a repeated `Nats-Msg-Id` within this window; ingest's unique (machine, seq) covers the rest. */
export const DUPLICATE_WINDOW_NS = 2 * 60 * 1e9;

/** Creates the telemetry stream and the heartbeat consumer if they do not exist (every ingest start; replicas race harmlessly). */
export async function ensureTelemetryStream(nc: NatsConnection, consumer = HEARTBEAT_CONSUMER): Promise<void> {
  const jsm = await ensureTelemetryStreamOnly(nc);
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, consumer);
  } catch {
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: consumer,
      filter_subject: HEARTBEAT_SUBJECTS,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30 * 1e9,
      max_ack_pending: 10_000,
    });
  }
}

/** Creates the telemetry stream if it does not exist; returns the JetStream manager. */
export async function ensureTelemetryStreamOnly(nc: NatsConnection): Promise<JetStreamManager> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(TELEMETRY_STREAM);
  } catch {
    await jsm.streams
      .add({ name: TELEMETRY_STREAM, subjects: [TELEMETRY_SUBJECTS], retention: RetentionPolicy.Limits, max_age: 7 * 24 * 3600 * 1e9, duplicate_window: DUPLICATE_WINDOW_NS })
      .catch(async (err: unknown) => {
        // Another replica created it in between.
        await jsm.streams.info(TELEMETRY_STREAM).catch(() => Promise.reject(err));
      });
  }
  return jsm;
}

export type HeartbeatOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed';

/** `vigie.<tenant>.tlm.<machine>.hb` → tenant and machine, or undefined when the subject is not one. */
export function parseTelemetrySubject(subject: string): { tenantId: string; machineId: string; kind: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'vigie' || parts[2] !== 'tlm') return undefined;
  const [, tenantId, , machineId, kind] = parts as [string, string, string, string, string];
  if (!uuidSchema.safeParse(tenantId).success || !uuidSchema.safeParse(machineId).success) return undefined;
  return { tenantId, machineId, kind };
}

/**
 * Stores one heartbeat: the tenant comes from the subject (which the agent's credentials pin to its own tenant
 * and machine), the transaction is bound to it, and the machine must belong to it. A redelivery is a no-op.
 */
export async function handleHeartbeat(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<HeartbeatOutcome> {
  const target = parseTelemetrySubject(subject);
  if (!target || target.kind !== 'hb') return 'malformed';
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return 'malformed';
  }
  const hb = heartbeatSchema.safeParse(body);
  if (!hb.success) return 'malformed';
  // The message id, when present, must name the same machine and sequence as the payload.
  if (msgId !== undefined && msgId !== `${target.machineId}:${hb.data.seq}`) return 'malformed';
  return withTenant(db, target.tenantId, (tx) => machinesRepo.recordTelemetry(tx, target.tenantId, target.machineId, hb.data.seq, 'hb'));
}

export interface HeartbeatConsumer {
  /** Stops consuming (in-flight messages finish first). */
  stop(): Promise<void>;
  readonly counts: Record<HeartbeatOutcome, number>;
}

/** Consumes heartbeats: stores each, acks; malformed or unknown ones are acked and logged (no poison loop). */
export async function startHeartbeatConsumer(opts: { nc: NatsConnection; db: Db; log: Logger; consumer?: string }): Promise<HeartbeatConsumer> {
  const name = opts.consumer ?? HEARTBEAT_CONSUMER;
  await ensureTelemetryStream(opts.nc, name);
  const consumer = await (await opts.nc.jetstream()).consumers.get(TELEMETRY_STREAM, name);
  const messages = await consumer.consume({ max_messages: 500 });
  const counts: Record<HeartbeatOutcome, number> = { stored: 0, duplicate: 0, unknown_machine: 0, malformed: 0 };

  const handle = async (msg: JsMsg) => {
    try {
      const outcome = await handleHeartbeat(opts.db, msg.subject, msg.data, msg.headers?.get('Nats-Msg-Id') || undefined);
      counts[outcome] += 1;
      if (outcome === 'malformed' || outcome === 'unknown_machine') opts.log.warn({ subject: msg.subject, outcome }, 'heartbeat dropped');
      msg.ack();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        // Postgres away: let JetStream redeliver later instead of losing the heartbeat.
        opts.log.warn({ err }, 'database unavailable; heartbeat will be redelivered');
        msg.nak(5000);
        return;
      }
      opts.log.error({ err, subject: msg.subject }, 'heartbeat failed; dropped');
      msg.term();
    }
  };

  const done = (async () => {
    for await (const msg of messages) await handle(msg);
  })();
  opts.log.info({ stream: TELEMETRY_STREAM, consumer: name }, 'ingest consuming heartbeats');
  return {
    counts,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
