import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { metricsSampleSchema, type MetricsSample } from '@vigie/core';
import { isDatabaseUnavailable, metricsRepo, withTenant, type Db } from '@vigie/db';
import { startTelemetryConsumer, type Stored, type TelemetryConsumer, type TelemetryConsumerSpec, type TelemetryMessage } from './consumer';
import { byTenant, parseTelemetry } from './stream';

export const METRICS_SUBJECTS = 'vigie.*.tlm.*.metrics';
export const METRICS_CONSUMER = 'ingest-metrics';
/** Partitions are made this many days ahead, and checked this often (a day has several chances). */
const PARTITION_DAYS_AHEAD = 7;
const MAINTENANCE_EVERY_MS = 6 * 3600 * 1000;

export type MetricsOutcome = 'stored' | 'duplicate' | 'unknown_machine' | 'malformed' | 'failed';

/** One sample that passed every check, as alert evaluation receives it. */
export interface ParsedMetrics {
  tenantId: string;
  machineId: string;
  sample: MetricsSample;
}

/** Subject, JSON, schema and message id of one metrics message; undefined when any of them is wrong. */
export function parseMetricsMessage(subject: string, data: Uint8Array, msgId: string | undefined): ParsedMetrics | undefined {
  const parsed = parseTelemetry<MetricsSample>('metrics', metricsSampleSchema, { subject, data, msgId });
  return parsed && { tenantId: parsed.tenantId, machineId: parsed.machineId, sample: parsed.payload };
}

/**
 * Stores a batch: malformed messages are set aside, the rest grouped by tenant, each tenant's samples written
 * in one transaction (one statement). Returns one result per message, in order. A database that is down
 * throws (the caller naks); a batch refused for another reason (e.g. a sample outside every partition) is
 * retried message by message so one bad sample does not hold back the others.
 */
export async function storeParsedMetrics(db: Db, messages: readonly TelemetryMessage[], log?: Logger): Promise<Stored<MetricsOutcome, ParsedMetrics>[]> {
  const parsed = messages.map((m) => parseMetricsMessage(m.subject, m.data, m.msgId));
  const results: Stored<MetricsOutcome, ParsedMetrics>[] = messages.map(() => ({ outcome: 'malformed' }));
  type Row = { machineId: string; sample: MetricsSample };
  const store = (tenantId: string, rows: Row[]) => withTenant(db, tenantId, (tx) => metricsRepo.storeMetrics(tx, tenantId, rows));
  // A redelivered sample is evaluated again: its first evaluation runs after the ack, so a redelivery means it
  // may never have happened (ingest stopped in between). Rules tolerate it: the alert workflow opens one ticket.
  const resultOf = (p: ParsedMetrics, r: metricsRepo.StoreMetricsResult): Stored<MetricsOutcome, ParsedMetrics> =>
    r.storedKeys.has(`${p.machineId}:${p.sample.seq}`) ? { outcome: 'stored', stored: p } : r.knownMachines.has(p.machineId) ? { outcome: 'duplicate', stored: p } : { outcome: 'unknown_machine' };
  for (const [tenantId, group] of byTenant(parsed)) {
    try {
      const r = await store(tenantId, group.map(({ item }) => item));
      // A sample repeated within the batch is stored once.
      const seen = new Set<string>();
      for (const { index, item } of group) {
        const key = `${item.machineId}:${item.sample.seq}`;
        results[index] = seen.has(key) ? { outcome: 'duplicate' } : resultOf(item, r);
        seen.add(key);
      }
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      // One at a time, so a single refused sample does not hold back the others.
      for (const { index, item } of group) {
        try {
          results[index] = resultOf(item, await store(tenantId, [item]));
        } catch (e) {
          if (isDatabaseUnavailable(e)) throw e;
          log?.error({ err: e, tenantId, machineId: item.machineId, seq: item.sample.seq, collectedAt: item.sample.collectedAt }, 'metrics sample refused');
          results[index] = { outcome: 'failed' };
        }
      }
    }
  }
  return results;
}

/** The outcomes only (tests, tools). */
export async function storeMetricsBatch(db: Db, messages: TelemetryMessage[], log?: Logger): Promise<MetricsOutcome[]> {
  return (await storeParsedMetrics(db, messages, log)).map((r) => r.outcome);
}

/** Creates the coming days' partitions and drops those past retention. */
export async function maintainMetricPartitions(db: Db, log: Logger, retentionDays: number): Promise<void> {
  const created = await metricsRepo.ensureMetricPartitions(db, PARTITION_DAYS_AHEAD);
  const dropped = await metricsRepo.dropOldMetricPartitions(db, retentionDays);
  if (created || dropped) log.info({ created, dropped, retentionDays }, 'metric partitions maintained');
}

/**
 * Metrics: large batches (a backlog after an outage drains in batches of 2,000), two stored at once — the
 * statement is order-free (inserts `on conflict do nothing`, roll-ups and machines updated in key order).
 */
export const METRICS_SPEC: TelemetryConsumerSpec<Exclude<MetricsOutcome, 'failed'>, ParsedMetrics> = {
  kind: 'metrics',
  durable: METRICS_CONSUMER,
  filterSubject: METRICS_SUBJECTS,
  outcomes: ['stored', 'duplicate', 'unknown_machine', 'malformed'],
  dropped: ['unknown_machine', 'malformed'],
  storeBatch: (db, messages, log) => storeParsedMetrics(db, messages, log) as Promise<Stored<Exclude<MetricsOutcome, 'failed'>, ParsedMetrics>[]>,
  batchSize: 2000,
  concurrency: 2,
  ackWaitSeconds: 60,
};

export type MetricsConsumer = TelemetryConsumer<Exclude<MetricsOutcome, 'failed'>>;

/** Consumes metrics (see METRICS_SPEC) and keeps the daily partitions ahead of the samples. */
export async function startMetricsConsumer(opts: {
  nc: NatsConnection;
  db: Db;
  log: Logger;
  consumer?: string;
  tenantId?: string;
  batchSize?: number;
  concurrency?: number;
  retentionDays?: number;
  /** Called after the ack with the batch's valid samples of known machines (redeliveries too); alert evaluation hooks in here. */
  afterStore?: (stored: ParsedMetrics[]) => Promise<unknown>;
}): Promise<MetricsConsumer> {
  const retentionDays = opts.retentionDays ?? 30;
  const maintain = () => maintainMetricPartitions(opts.db, opts.log, retentionDays).catch((err: unknown) => opts.log.error({ err }, 'metric partition maintenance failed'));
  await maintain();
  const maintenance = setInterval(() => void maintain(), MAINTENANCE_EVERY_MS);
  const consumer = await startTelemetryConsumer(METRICS_SPEC, opts);
  return {
    counts: consumer.counts,
    stats: consumer.stats,
    async stop() {
      clearInterval(maintenance);
      await consumer.stop();
    },
  };
}
