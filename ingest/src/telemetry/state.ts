import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { machineEventsPayloadSchema, machineInventorySchema, type MachineEventsPayload, type MachineInventory } from '@vigie/core';
import { isDatabaseUnavailable, machinesRepo, machineStateRepo, withTenant, type Db } from '@vigie/db';
import { ensureTelemetryStreamOnly, parseTelemetrySubject, TELEMETRY_STREAM } from './heartbeats';

/**
 * The machine's state (kind `inventory`: watched services and processes, security products) and its critical
 * system events (kind `events`). Each message is stored in one transaction with its telemetry receipt, so a
 * redelivery is a no-op; alert rules are evaluated after the store, on new messages only.
 */

export const INVENTORY_CONSUMER = 'ingest-inventory';
export const EVENTS_CONSUMER = 'ingest-events';

export type StateOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed';

export interface Target<T> {
  tenantId: string;
  machineId: string;
  payload: T;
}

/** Subject, JSON, schema and message id of one message; undefined when any of them is wrong. */
function parseMessage<T extends { seq: number }>(
  kind: 'inventory' | 'events',
  schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  subject: string,
  data: Uint8Array,
  msgId: string | undefined,
): Target<T> | undefined {
  const target = parseTelemetrySubject(subject);
  if (!target || target.kind !== kind) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success || !parsed.data) return undefined;
  if (msgId !== undefined && msgId !== `${target.machineId}:${parsed.data.seq}`) return undefined;
  return { tenantId: target.tenantId, machineId: target.machineId, payload: parsed.data };
}

export const parseInventoryMessage = (subject: string, data: Uint8Array, msgId?: string) => parseMessage<MachineInventory>('inventory', machineInventorySchema, subject, data, msgId);
export const parseEventsMessage = (subject: string, data: Uint8Array, msgId?: string) => parseMessage<MachineEventsPayload>('events', machineEventsPayloadSchema, subject, data, msgId);

export async function handleInventory(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<{ outcome: StateOutcome; stored?: Target<MachineInventory> }> {
  const parsed = parseInventoryMessage(subject, data, msgId);
  if (!parsed) return { outcome: 'malformed' };
  const { tenantId, machineId, payload } = parsed;
  const outcome = await withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, payload.seq, 'inventory');
    if (receipt === 'stored') await machineStateRepo.applyInventory(tx, tenantId, machineId, payload);
    return receipt;
  });
  return outcome === 'stored' ? { outcome, stored: parsed } : { outcome };
}

export async function handleEvents(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<{ outcome: StateOutcome; stored?: Target<MachineEventsPayload> }> {
  const parsed = parseEventsMessage(subject, data, msgId);
  if (!parsed) return { outcome: 'malformed' };
  const { tenantId, machineId, payload } = parsed;
  const outcome = await withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, payload.seq, 'events');
    // The receipt already makes a redelivery a no-op; unique (machine, seq, idx) guards the rows themselves.
    if (receipt === 'stored') await machineStateRepo.appendEvents(tx, tenantId, machineId, payload.seq, payload.events);
    return receipt;
  });
  return outcome === 'stored' ? { outcome, stored: parsed } : { outcome };
}

async function ensureConsumer(nc: NatsConnection, name: string, kind: 'inventory' | 'events'): Promise<void> {
  const jsm = await ensureTelemetryStreamOnly(nc);
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, name);
  } catch {
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: name,
      filter_subject: `vigie.*.tlm.*.${kind}`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30 * 1e9,
      max_ack_pending: 1_000,
    });
  }
}

export interface StateConsumer {
  stop(): Promise<void>;
  readonly counts: Record<StateOutcome, number>;
}

type Handler<T> = (db: Db, subject: string, data: Uint8Array, msgId: string | undefined) => Promise<{ outcome: StateOutcome; stored?: Target<T> }>;

/** One durable consumer: store, ack, then evaluate; dropped messages are acked and logged; Postgres down → nak. */
async function startConsumer<T>(
  kind: 'inventory' | 'events',
  handler: Handler<T>,
  opts: { nc: NatsConnection; db: Db; log: Logger; consumer: string; afterStore?: ((stored: Target<T>) => Promise<unknown>) | undefined },
): Promise<StateConsumer> {
  await ensureConsumer(opts.nc, opts.consumer, kind);
  const consumer = await opts.nc.jetstream().consumers.get(TELEMETRY_STREAM, opts.consumer);
  const messages = await consumer.consume({ max_messages: 100 });
  const counts: Record<StateOutcome, number> = { stored: 0, duplicate: 0, unknown_machine: 0, malformed: 0 };

  const handle = async (msg: JsMsg) => {
    let stored: Target<T> | undefined;
    try {
      const result = await handler(opts.db, msg.subject, msg.data, msg.headers?.get('Nats-Msg-Id') || undefined);
      counts[result.outcome] += 1;
      if (result.outcome === 'malformed' || result.outcome === 'unknown_machine') opts.log.warn({ subject: msg.subject, outcome: result.outcome }, `${kind} dropped`);
      stored = result.stored;
      msg.ack();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        opts.log.warn({ err }, `database unavailable; ${kind} will be redelivered`);
        msg.nak(5000);
        return;
      }
      opts.log.error({ err, subject: msg.subject }, `${kind} failed; dropped`);
      msg.term();
      return;
    }
    // After the ack: evaluation never makes JetStream redeliver (the evaluator logs its own failures).
    if (stored && opts.afterStore) await opts.afterStore(stored).catch((err: unknown) => opts.log.error({ err }, `${kind} alert evaluation failed`));
  };

  const done = (async () => {
    for await (const msg of messages) await handle(msg);
  })();
  opts.log.info({ stream: TELEMETRY_STREAM, consumer: opts.consumer }, `ingest consuming ${kind}`);
  return {
    counts,
    async stop() {
      await messages.close();
      await done;
    },
  };
}

interface ConsumerOptions<T> {
  nc: NatsConnection;
  db: Db;
  log: Logger;
  consumer?: string;
  /** Called with each message stored now (not redeliveries); alert evaluation hooks in here. */
  afterStore?: (stored: Target<T>) => Promise<unknown>;
}

export function startInventoryConsumer(opts: ConsumerOptions<MachineInventory>): Promise<StateConsumer> {
  return startConsumer('inventory', handleInventory, { ...opts, consumer: opts.consumer ?? INVENTORY_CONSUMER });
}

export function startEventsConsumer(opts: ConsumerOptions<MachineEventsPayload>): Promise<StateConsumer> {
  return startConsumer('events', handleEvents, { ...opts, consumer: opts.consumer ?? EVENTS_CONSUMER });
}
