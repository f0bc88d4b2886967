import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { commandResultSchema, type CommandResult } from '@vigie/core';
import { machineCommandsRepo, machinesRepo, withTenant, type Db } from '@vigie/db';
import { startTelemetryConsumer, type TelemetryConsumer, type TelemetryConsumerSpec } from './consumer';
import { parseTelemetry } from './stream';

export const RESULT_SUBJECTS = 'vigie.*.tlm.*.result';
export const RESULT_CONSUMER = 'ingest-results';

/** `stale`: a report after the command's final status (e.g. "interrupted" after the real result). */
export type ResultOutcome = 'stored' | 'duplicate' | 'stale' | 'unknown_machine' | 'unknown_command' | 'malformed';

/**
 * Stores one command result: the tenant comes from the subject (which the agent's credentials pin to its own
 * tenant and machine), and the command must be one of that machine's. The receipt and the command's update are
 * one transaction, so a redelivery is a no-op.
 */
export async function handleResult(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<ResultOutcome> {
  const parsed = parseTelemetry<CommandResult>('result', commandResultSchema, { subject, data, msgId });
  if (!parsed) return 'malformed';
  const { tenantId, machineId, payload: result } = parsed;
  return withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, result.seq, 'result');
    if (receipt !== 'stored') return receipt;
    const applied = await machineCommandsRepo.applyResult(tx, machineId, result);
    return applied === 'applied' ? 'stored' : applied;
  });
}

/** Results in the order they come (a command's "running" before its end), one transaction each. */
export const RESULT_SPEC: TelemetryConsumerSpec<ResultOutcome, never> = {
  kind: 'command results',
  durable: RESULT_CONSUMER,
  filterSubject: RESULT_SUBJECTS,
  outcomes: ['stored', 'duplicate', 'stale', 'unknown_machine', 'unknown_command', 'malformed'],
  dropped: ['unknown_machine', 'unknown_command', 'malformed'],
  async storeBatch(db, messages) {
    const results = [];
    for (const m of messages) results.push({ outcome: await handleResult(db, m.subject, m.data, m.msgId) });
    return results;
  },
  batchSize: 100,
  concurrency: 1,
  ackWaitSeconds: 30,
};

export type ResultConsumer = TelemetryConsumer<ResultOutcome>;

/** Consumes command results; dropped ones are acked and logged; Postgres down → redelivered. */
export function startResultConsumer(opts: { nc: NatsConnection; db: Db; log: Logger; consumer?: string }): Promise<ResultConsumer> {
  return startTelemetryConsumer(RESULT_SPEC, opts);
}
