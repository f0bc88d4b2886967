import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { metricsSampleSchema, type MetricsSample } from '@vigie/core';
import { isDatabaseUnavailable, metricsRepo, withTenant, type Db } from '@vigie/db';
import { ensureTelemetryStreamOnly, parseTelemetrySubject, TELEMETRY_STREAM } from './heartbeats';

export const METRICS_SUBJECTS = 'vigie.*.tlm.*.metrics';
export const METRICS_CONSUMER = 'ingest-metrics';
/** Partitions are made this many days ahead, and checked this often (a day has several chances). */
const PARTITION_DAYS_AHEAD = 7;
const MAINTENANCE_EVERY_MS = 6 * 3600 * 1000;

export type MetricsOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed' | 'failed';

export interface ParsedMetrics {
  tenantId: string;
  machineId: string;
  sample: MetricsSample;
}

/** Subject, JSON, schema and message id of one metrics message; undefined when any of them is wrong. */
export function parseMetricsMessage(subject: string, data: Uint8Array, msgId: string | undefined): ParsedMetrics | undefined {
  const target = parseTelemetrySubject(subject);
  if (!target || target.kind !== 'metrics') return undefined;
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return undefined;
  }
  const parsed = metricsSampleSchema.safeParse(body);
  if (!parsed.success) return undefined;
  if (msgId !== undefined && msgId !== `${target.machineId}:${parsed.data.seq}`) return undefined;
  return { tenantId: target.tenantId, machineId: target.machineId, sample: parsed.data };
}

export interface MetricsMessage {
  subject: string;
  data: Uint8Array;
  msgId?: string | undefined;
}

/**
 * Stores a batch: malformed messages are set aside, the rest grouped by tenant, each tenant's samples written
 * in one transaction (one statement). Returns one outcome per message, in order. A database that is down
 * throws (the caller naks); a batch refused for another reason (e.g. a sample outside every partition) is
 * retried message by message so one bad sample does not hold back the others.
 */
export async function storeMetricsBatch(db: Db, messages: MetricsMessage[], log?: Logger): Promise<MetricsOutcome[]> {
  const outcomes: MetricsOutcome[] = messages.map(() => 'malformed');
  type Row = { index: number; machineId: string; sample: MetricsSample };
  const byTenant = new Map<string, Row[]>();
  messages.forEach((m, index) => {
    const parsed = parseMetricsMessage(m.subject, m.data, m.msgId);
    if (!parsed) return;
    const list = byTenant.get(parsed.tenantId) ?? [];
    list.push({ index, machineId: parsed.machineId, sample: parsed.sample });
    byTenant.set(parsed.tenantId, list);
  });
  const store = (tenantId: string, rows: Row[]) => withTenant(db, tenantId, (tx) => metricsRepo.storeMetrics(tx, tenantId, rows));
  const outcomeOf = (r: Row, result: metricsRepo.StoreMetricsResult): MetricsOutcome =>
    result.storedKeys.has(`${r.machineId}:${r.sample.seq}`) ? 'stored' : result.knownMachines.has(r.machineId) ? 'duplicate' : 'unknown_machine';
  for (const [tenantId, rows] of byTenant) {
    try {
      const result = await store(tenantId, rows);
      for (const r of rows) outcomes[r.index] = outcomeOf(r, result);
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      // One at a time, so a single refused sample does not hold back the others.
      for (const r of rows) {
        try {
          outcomes[r.index] = outcomeOf(r, await store(tenantId, [r]));
        } catch (e) {
          if (isDatabaseUnavailable(e)) throw e;
          log?.error({ err: e, tenantId, machineId: r.machineId, seq: r.sample.seq, collectedAt: r.sample.collectedAt }, 'metrics sample refused');
          outcomes[r.index] = 'failed';
        }
      }
    }
  }
  return outcomes;
}

export interface MetricsConsumer {
  stop(): Promise<void>;
  readonly counts: Record<MetricsOutcome, number>;
  /** Batches written and the rows/s of the last one (for logs and the bench). */
  readonly stats: { batches: number; lastBatchSize: number; lastBatchMs: number };
}

/** Creates the coming days' partitions and drops those past retention. */
export async function maintainMetricPartitions(db: Db, log: Logger, retentionDays: number): Promise<void> {
  const created = await metricsRepo.ensureMetricPartitions(db, PARTITION_DAYS_AHEAD);
  const dropped = await metricsRepo.dropOldMetricPartitions(db, retentionDays);
  if (created || dropped) log.info({ created, dropped, retentionDays }, 'metric partitions maintained');
}

/**
 * Consumes metrics in batches (up to `batchSize` messages or `batchWaitMs`), writes each tenant's part in one
 * transaction, then acks; malformed ones are acked and logged; when Postgres is down the batch is nak'ed.
 */
export async function startMetricsConsumer(opts: {
  nc: NatsConnection;
  db: Db;
  log: Logger;
  consumer?: string;
  batchSize?: number;
  /** At least (and by default) 1000 ms. */
  batchWaitMs?: number;
  retentionDays?: number;
  /** Called with the messages stored now (not redeliveries), after the ack; alert evaluation hooks in here. */
  afterStore?: (stored: MetricsMessage[]) => Promise<unknown>;
}): Promise<MetricsConsumer> {
  const name = opts.consumer ?? METRICS_CONSUMER;
  const batchSize = opts.batchSize ?? 500;
  // JetStream pull requests expire after at least a second.
  const batchWaitMs = Math.max(1000, opts.batchWaitMs ?? 1000);
  const retentionDays = opts.retentionDays ?? 30;
  const jsm = await ensureTelemetryStreamOnly(opts.nc);
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, name);
  } catch {
    await jsm.consumers.add(TELEMETRY_STREAM, {
      durable_name: name,
      filter_subject: METRICS_SUBJECTS,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: 60 * 1e9,
      max_ack_pending: 20_000,
    });
  }
  await maintainMetricPartitions(opts.db, opts.log, retentionDays).catch((err: unknown) => opts.log.error({ err }, 'metric partition maintenance failed'));
  const maintenance = setInterval(() => {
    void maintainMetricPartitions(opts.db, opts.log, retentionDays).catch((err: unknown) => opts.log.error({ err }, 'metric partition maintenance failed'));
  }, MAINTENANCE_EVERY_MS);

  const consumer = await opts.nc.jetstream().consumers.get(TELEMETRY_STREAM, name);
  const counts: Record<MetricsOutcome, number> = { stored: 0, duplicate: 0, unknown_machine: 0, malformed: 0, failed: 0 };
  const stats = { batches: 0, lastBatchSize: 0, lastBatchMs: 0 };
  let stopping = false;

  const handle = async (batch: JsMsg[]) => {
    const t0 = performance.now();
    let outcomes: MetricsOutcome[];
    try {
      outcomes = await storeMetricsBatch(
        opts.db,
        batch.map((m) => ({ subject: m.subject, data: m.data, msgId: m.headers?.get('Nats-Msg-Id') || undefined })),
        opts.log,
      );
    } catch (err) {
      opts.log.warn({ err, messages: batch.length }, 'database unavailable; metrics will be redelivered');
      for (const m of batch) m.nak(5000);
      return;
    }
    batch.forEach((m, i) => {
      const outcome = outcomes[i]!;
      counts[outcome] += 1;
      if (outcome === 'malformed' || outcome === 'unknown_machine') opts.log.warn({ subject: m.subject, outcome }, 'metrics dropped');
      if (outcome === 'failed') m.term();
      else m.ack();
    });
    stats.batches += 1;
    stats.lastBatchSize = batch.length;
    stats.lastBatchMs = performance.now() - t0;
    if (opts.afterStore) {
      const stored = batch.filter((_, i) => outcomes[i] === 'stored').map((m) => ({ subject: m.subject, data: m.data, msgId: m.headers?.get('Nats-Msg-Id') || undefined }));
      if (stored.length) await opts.afterStore(stored).catch((err: unknown) => opts.log.error({ err }, 'after-store hook failed'));
    }
  };

  const done = (async () => {
    while (!stopping) {
      const batch: JsMsg[] = [];
      try {
        const messages = await consumer.fetch({ max_messages: batchSize, expires: batchWaitMs });
        for await (const m of messages) batch.push(m);
      } catch (err) {
        if (stopping) break;
        opts.log.warn({ err }, 'metrics fetch failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
      if (batch.length) await handle(batch);
    }
  })();
  opts.log.info({ stream: TELEMETRY_STREAM, consumer: name, batchSize }, 'ingest consuming metrics');
  return {
    counts,
    stats,
    async stop() {
      stopping = true;
      clearInterval(maintenance);
      await done;
    },
  };
}
