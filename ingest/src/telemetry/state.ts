import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { machineEventsPayloadSchema, machineInventorySchema, type MachineEventsPayload, type MachineInventory } from '@vigie/core';
import { machinesRepo, machineStateRepo, withTenant, type Db } from '@vigie/db';
import { startTelemetryConsumer, type Stored, type TelemetryConsumer, type TelemetryConsumerSpec } from './consumer';
import { parseTelemetry, type ParsedTelemetry } from './stream';

/**
 * The machine's state (kind `inventory`: watched services and processes, security products) and its critical
 * system events (kind `events`). Each message is stored in one transaction with its telemetry receipt, so a
 * redelivery is a no-op. Alert rules are evaluated after the ack, on redeliveries too: the first evaluation of a
 * redelivered message may never have run (ingest stopped between its commit and its ack).
 */

export const INVENTORY_CONSUMER = 'ingest-inventory';
export const EVENTS_CONSUMER = 'ingest-events';

export type StateOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed';

export type Target<T> = ParsedTelemetry<T>;

export const parseInventoryMessage = (subject: string, data: Uint8Array, msgId?: string) => parseTelemetry<MachineInventory>('inventory', machineInventorySchema, { subject, data, msgId });
export const parseEventsMessage = (subject: string, data: Uint8Array, msgId?: string) => parseTelemetry<MachineEventsPayload>('events', machineEventsPayloadSchema, { subject, data, msgId });

type Handled<T> = { outcome: StateOutcome; stored?: Target<T> };

export async function handleInventory(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<Handled<MachineInventory>> {
  const parsed = parseInventoryMessage(subject, data, msgId);
  if (!parsed) return { outcome: 'malformed' };
  const { tenantId, machineId, payload } = parsed;
  const outcome = await withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, payload.seq, 'inventory');
    if (receipt === 'stored') await machineStateRepo.applyInventory(tx, tenantId, machineId, payload);
    return receipt;
  });
  return outcome === 'unknown_machine' ? { outcome } : { outcome, stored: parsed };
}

export async function handleEvents(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<Handled<MachineEventsPayload>> {
  const parsed = parseEventsMessage(subject, data, msgId);
  if (!parsed) return { outcome: 'malformed' };
  const { tenantId, machineId, payload } = parsed;
  const outcome = await withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, payload.seq, 'events');
    // The receipt already makes a redelivery a no-op; unique (machine, seq, idx) guards the rows themselves.
    if (receipt === 'stored') await machineStateRepo.appendEvents(tx, tenantId, machineId, payload.seq, payload.events);
    return receipt;
  });
  return outcome === 'unknown_machine' ? { outcome } : { outcome, stored: parsed };
}

type Handler<T> = (db: Db, subject: string, data: Uint8Array, msgId: string | undefined) => Promise<Handled<T>>;

/** A snapshot replaces the previous one: messages are stored in the order they come, one transaction each. */
function stateSpec<T>(kind: 'inventory' | 'events', durable: string, handle: Handler<T>): TelemetryConsumerSpec<StateOutcome, Target<T>> {
  return {
    kind,
    durable,
    filterSubject: `vigie.*.tlm.*.${kind}`,
    outcomes: ['stored', 'duplicate', 'unknown_machine', 'malformed'],
    dropped: ['unknown_machine', 'malformed'],
    async storeBatch(db, messages) {
      const results: Stored<StateOutcome, Target<T>>[] = [];
      for (const m of messages) results.push(await handle(db, m.subject, m.data, m.msgId));
      return results;
    },
    batchSize: 100,
    concurrency: 1,
    ackWaitSeconds: 30,
  };
}

export const INVENTORY_SPEC = stateSpec('inventory', INVENTORY_CONSUMER, handleInventory);
export const EVENTS_SPEC = stateSpec('events', EVENTS_CONSUMER, handleEvents);

export type StateConsumer = TelemetryConsumer<StateOutcome>;

interface ConsumerOptions<T> {
  nc: NatsConnection;
  db: Db;
  log: Logger;
  consumer?: string;
  /** Only this tenant's telemetry (tests). */
  tenantId?: string;
  /** Called after the ack with each valid message of a known machine (redeliveries too); alert evaluation hooks in here. */
  afterStore?: (stored: Target<T>) => Promise<unknown>;
}

/** Evaluation one message at a time, as the evaluator expects. */
function eachStored<T>(afterStore: ConsumerOptions<T>['afterStore']) {
  return afterStore
    ? async (stored: Target<T>[]) => {
        for (const s of stored) await afterStore(s);
      }
    : undefined;
}

export function startInventoryConsumer(opts: ConsumerOptions<MachineInventory>): Promise<StateConsumer> {
  return startTelemetryConsumer(INVENTORY_SPEC, { ...opts, afterStore: eachStored(opts.afterStore) });
}

export function startEventsConsumer(opts: ConsumerOptions<MachineEventsPayload>): Promise<StateConsumer> {
  return startTelemetryConsumer(EVENTS_SPEC, { ...opts, afterStore: eachStored(opts.afterStore) });
}
