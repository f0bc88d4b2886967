import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { heartbeatSchema, type Heartbeat } from '@vigie/core';
import { machinesRepo, withTenant, type Db } from '@vigie/db';
import { startTelemetryConsumer, type Stored, type TelemetryConsumer, type TelemetryConsumerSpec, type TelemetryMessage } from './consumer';
import { byTenant, parseTelemetry } from './stream';

export const HEARTBEAT_SUBJECTS = 'vigie.*.tlm.*.hb';
export const HEARTBEAT_CONSUMER = 'ingest-hb';

export type HeartbeatOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed';

/**
 * Stores a batch of heartbeats: one statement per tenant (the transaction is bound to the tenant named by the
 * subject, and each machine must belong to it); a redelivery is a no-op. Throws when the database is unavailable.
 */
export async function storeHeartbeatBatch(db: Db, messages: readonly TelemetryMessage[]): Promise<Stored<HeartbeatOutcome, never>[]> {
  const parsed = messages.map((m) => parseTelemetry<Heartbeat>('hb', heartbeatSchema, m));
  const results: Stored<HeartbeatOutcome, never>[] = messages.map(() => ({ outcome: 'malformed' }));
  for (const [tenantId, group] of byTenant(parsed)) {
    const entries = group.map(({ item }) => ({ machineId: item.machineId, seq: item.payload.seq }));
    const receipts = await withTenant(db, tenantId, (tx) => machinesRepo.recordTelemetryBatch(tx, tenantId, entries, 'hb'));
    group.forEach(({ index }, i) => (results[index] = { outcome: receipts[i]! }));
  }
  return results;
}

/** Stores one heartbeat (a batch of one). */
export async function handleHeartbeat(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<HeartbeatOutcome> {
  const [result] = await storeHeartbeatBatch(db, [{ subject, data, msgId }]);
  return result!.outcome as HeartbeatOutcome;
}

/**
 * Heartbeats of a whole fleet (25,000 machines at one a minute is ~420/s): batched, and two batches stored at
 * once (the statement is order-free: receipts `on conflict do nothing`, last_seen_at / last_seq with `greatest`).
 */
export const HEARTBEAT_SPEC: TelemetryConsumerSpec<HeartbeatOutcome, never> = {
  kind: 'heartbeats',
  durable: HEARTBEAT_CONSUMER,
  filterSubject: HEARTBEAT_SUBJECTS,
  outcomes: ['stored', 'duplicate', 'unknown_machine', 'malformed'],
  dropped: ['unknown_machine', 'malformed'],
  storeBatch: (db, messages) => storeHeartbeatBatch(db, messages),
  batchSize: 1000,
  concurrency: 2,
  ackWaitSeconds: 30,
};

export type HeartbeatConsumer = TelemetryConsumer<HeartbeatOutcome>;

/** Consumes heartbeats; malformed or unknown ones are acked and logged (no poison loop); Postgres down → redelivered. */
export function startHeartbeatConsumer(opts: { nc: NatsConnection; db: Db; log: Logger; consumer?: string }): Promise<HeartbeatConsumer> {
  return startTelemetryConsumer(HEARTBEAT_SPEC, opts);
}
