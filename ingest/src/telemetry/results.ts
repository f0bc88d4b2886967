import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { commandResultSchema, type CommandResult } from '@vigie/core';
import { isDatabaseUnavailable, machineCommandsRepo, machinesRepo, withTenant, type Db } from '@vigie/db';
import { ensureTelemetryStreamOnly, parseTelemetrySubject, TELEMETRY_STREAM } from './heartbeats';

export const RESULT_SUBJECTS = 'vigie.*.tlm.*.result';
export const RESULT_CONSUMER = 'ingest-results';

/** `stale`: a report after the command's final status (e.g. "interrupted" after the real result). */
export type ResultOutcome = 'stored' | 'duplicate' | 'stale' | 'unknown_machine' | 'unknown_command' | 'malformed';

function parseResult(subject: string, data: Uint8Array, msgId: string | undefined): { tenantId: string; machineId: string; result: CommandResult } | undefined {
  const target = parseTelemetrySubject(subject);
  if (!target || target.kind !== 'result') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  const parsed = commandResultSchema.safeParse(body);
  if (!parsed.success) return undefined;
  if (msgId !== undefined && msgId !== `${target.machineId}:${parsed.data.seq}`) return undefined;
  return { tenantId: target.tenantId, machineId: target.machineId, result: parsed.data };
}

/**
 * Stores one command result: the tenant comes from the subject (which the agent's credentials pin to its own
 * tenant and machine), and the command must be one of that machine's. The receipt and the command's update are
 * one transaction, so a redelivery is a no-op.
 */
export async function handleResult(db: Db, subject: string, data: Uint8Array, msgId: string | undefined): Promise<ResultOutcome> {
  const parsed = parseResult(subject, data, msgId);
  if (!parsed) return 'malformed';
  const { tenantId, machineId, result } = parsed;
  return withTenant(db, tenantId, async (tx) => {
    const receipt = await machinesRepo.recordTelemetry(tx, tenantId, machineId, result.seq, 'result');
    if (receipt !== 'stored') return receipt;
    const applied = await machineCommandsRepo.applyResult(tx, machineId, result);
    return applied === 'applied' ? 'stored' : applied;
  });
}

async function ensureResultConsumer(nc: NatsConnection, name: string): Promise<void> {
  const jsm = await ensureTelemetryStreamOnly(nc);
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, name);
  } catch {
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: name,
      filter_subject: RESULT_SUBJECTS,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 30 * 1e9,
      max_ack_pending: 1_000,
    });
  }
}

export interface ResultConsumer {
  stop(): Promise<void>;
  readonly counts: Record<ResultOutcome, number>;
}

/** Consumes command results: stores each, acks; dropped ones are acked and logged; Postgres down → nak. */
export async function startResultConsumer(opts: { nc: NatsConnection; db: Db; log: Logger; consumer?: string }): Promise<ResultConsumer> {
  const name = opts.consumer ?? RESULT_CONSUMER;
  await ensureResultConsumer(opts.nc, name);
  const consumer = await opts.nc.jetstream().consumers.get(TELEMETRY_STREAM, name);
  const messages = await consumer.consume({ max_messages: 100 });
  const counts: Record<ResultOutcome, number> = { stored: 0, duplicate: 0, stale: 0, unknown_machine: 0, unknown_command: 0, malformed: 0 };

  const handle = async (msg: JsMsg) => {
    try {
      const outcome = await handleResult(opts.db, msg.subject, msg.data, msg.headers?.get('Nats-Msg-Id') || undefined);
      counts[outcome] += 1;
      if (outcome === 'malformed' || outcome.startsWith('unknown')) opts.log.warn({ subject: msg.subject, outcome }, 'command result dropped');
      msg.ack();
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        opts.log.warn({ err }, 'database unavailable; command result will be redelivered');
        msg.nak(5000);
        return;
      }
      opts.log.error({ err, subject: msg.subject }, 'command result failed; dropped');
      msg.term();
    }
  };

  const done = (async () => {
    for await (const msg of messages) await handle(msg);
  })();
  opts.log.info({ stream: TELEMETRY_STREAM, consumer: name }, 'ingest consuming command results');
  return {
    counts,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
