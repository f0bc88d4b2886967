import type { DiskSeries, MetricPoint, MetricsRange, MetricsSample, NetworkPoint } from '@vigie/core';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

/** A validated sample of one machine, as ingest hands it over. */
export interface MetricsRow {
  machineId: string;
  sample: MetricsSample;
}

export interface StoreMetricsResult {
  /** `<machine>:<seq>` of the samples stored now (the others were redeliveries or of unknown machines). */
  storedKeys: Set<string>;
  /** Machines of the batch that exist (and are not disabled) in this tenant. */
  knownMachines: Set<string>;
}

/**
 * Stores a batch of samples of one tenant in one statement: a telemetry receipt per (machine, seq), the raw rows
 * (`on conflict do nothing`), the hourly roll-up from exactly the rows inserted (so a redelivery counts nothing
 * twice), and the machines' last_seen_at / last_seq. Rows must fall in an existing daily partition.
 */
export async function storeMetrics(tx: TenantTx, tenantId: string, rows: MetricsRow[]): Promise<StoreMetricsResult> {
  if (!rows.length) return { storedKeys: new Set(), knownMachines: new Set() };
  const input = rows.map(({ machineId, sample: s }) => ({
    machine_id: machineId,
    seq: s.seq,
    collected_at: s.collectedAt,
    cpu_percent: s.cpuPercent,
    load1: s.load.one,
    mem_used_bytes: s.memory.usedBytes,
    mem_total_bytes: s.memory.totalBytes,
    swap_used_bytes: s.swap.usedBytes,
    swap_total_bytes: s.swap.totalBytes,
    disks: s.disks,
    network: s.network,
    uptime_seconds: Math.floor(s.uptimeSeconds),
  }));
  const { rows: result } = await tx.raw(
    `
    with input as (
      select * from jsonb_to_recordset(?::jsonb) as x(
        machine_id uuid, seq bigint, collected_at timestamptz, cpu_percent real, load1 real, mem_used_bytes bigint,
        mem_total_bytes bigint, swap_used_bytes bigint, swap_total_bytes bigint, disks jsonb, network jsonb, uptime_seconds bigint)
    ),
    known as (
      select i.* from input i join machines m on m.id = i.machine_id and m.tenant_id = ?::uuid and m.disabled_at is null
    ),
    receipts as (
      insert into telemetry_receipts (tenant_id, machine_id, seq, kind)
      select distinct ?::uuid, machine_id, seq, 'metrics' from known order by 2, 3
      on conflict do nothing
      returning machine_id, seq
    ),
    inserted as (
      insert into machine_metrics (tenant_id, machine_id, seq, collected_at, cpu_percent, load1, mem_used_bytes, mem_total_bytes,
        swap_used_bytes, swap_total_bytes, disks, network, uptime_seconds)
      select distinct on (k.machine_id, k.seq) ?::uuid, k.machine_id, k.seq, k.collected_at, k.cpu_percent, k.load1, k.mem_used_bytes,
        k.mem_total_bytes, k.swap_used_bytes, k.swap_total_bytes, k.disks, k.network, k.uptime_seconds
      from known k join receipts r on r.machine_id = k.machine_id and r.seq = k.seq
      on conflict do nothing
      returning machine_id, collected_at, cpu_percent, load1, mem_used_bytes, mem_total_bytes
    ),
    hourly as (
      insert into machine_metrics_hourly as h (tenant_id, machine_id, hour, avg_cpu_percent, max_cpu_percent, avg_load1,
        avg_mem_used_bytes, mem_total_bytes, samples)
      select ?::uuid, machine_id, date_trunc('hour', collected_at at time zone 'UTC') at time zone 'UTC', avg(cpu_percent),
        max(cpu_percent), avg(load1), round(avg(mem_used_bytes)), max(mem_total_bytes), count(*)
      from inserted group by 2, 3
      -- Key order: two batches stored at once lock the same roll-up rows in the same order (no deadlock).
      order by 2, 3
      on conflict (tenant_id, machine_id, hour) do update set
        avg_cpu_percent = (h.avg_cpu_percent * h.samples + excluded.avg_cpu_percent * excluded.samples) / (h.samples + excluded.samples),
        max_cpu_percent = greatest(h.max_cpu_percent, excluded.max_cpu_percent),
        avg_load1 = coalesce((h.avg_load1 * h.samples + excluded.avg_load1 * excluded.samples) / (h.samples + excluded.samples), h.avg_load1, excluded.avg_load1),
        avg_mem_used_bytes = coalesce(round((h.avg_mem_used_bytes::numeric * h.samples + excluded.avg_mem_used_bytes::numeric * excluded.samples) / (h.samples + excluded.samples)), h.avg_mem_used_bytes, excluded.avg_mem_used_bytes),
        mem_total_bytes = greatest(h.mem_total_bytes, excluded.mem_total_bytes),
        samples = h.samples + excluded.samples
      returning 1
    ),
    latest as (
      select machine_id, max(seq) as seq from receipts group by 1
    ),
    -- Heartbeats keep last_seen_at current; a sample moves it only when it is 30 s old or more, which spares
    -- most machine row updates (the costliest part of a batch after an outage).
    locked as (
      select m.id from machines m where m.id in (select machine_id from latest)
        and (m.last_seen_at is null or m.last_seen_at < now() - interval '30 seconds')
      order by m.id for no key update
    ),
    seen as (
      update machines m set last_seen_at = greatest(m.last_seen_at, now()), last_seq = greatest(m.last_seq, l.seq)
      from locked k join latest l on l.machine_id = k.id
      where m.id = k.id
      returning 1
    )
    select (select coalesce(json_agg(machine_id::text || ':' || seq), '[]') from receipts) as stored,
           (select coalesce(json_agg(distinct machine_id), '[]') from known) as known,
           (select count(*) from inserted)::int as inserted, (select count(*) from hourly)::int as hours, (select count(*) from seen)::int as machines`,
    [JSON.stringify(input), tenantId, tenantId, tenantId, tenantId],
  );
  const r = result[0] as { stored: string[]; known: string[] };
  return { storedKeys: new Set(r.stored), knownMachines: new Set(r.known) };
}

export async function countMetrics(tx: TenantTx, machineId: string): Promise<number> {
  const row = (await tx('machine_metrics').where({ machine_id: machineId }).count<{ n: number }[]>({ n: '*' }))[0];
  return Number(row?.n ?? 0);
}

const RANGE_MS: Record<MetricsRange, number> = { '1h': 3600e3, '24h': 24 * 3600e3, '7d': 7 * 24 * 3600e3, '30d': 30 * 24 * 3600e3 };

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Raw samples for 1h / 24h, hourly roll-ups for 7d / 30d, oldest first. */
export async function readMetrics(tx: TenantTx, machineId: string, range: MetricsRange, now = new Date()): Promise<{ resolution: 'raw' | 'hour'; points: MetricPoint[] }> {
  const since = new Date(now.getTime() - RANGE_MS[range]);
  if (range === '1h' || range === '24h') {
    const rows = (await tx('machine_metrics')
      .where({ machine_id: machineId })
      .where('collected_at', '>=', since)
      .orderBy([{ column: 'collected_at' }, { column: 'seq' }])
      .limit(10_000)
      .select('collected_at', 'cpu_percent', 'load1', 'mem_used_bytes', 'mem_total_bytes', 'swap_used_bytes', 'swap_total_bytes')) as Record<string, unknown>[];
    return {
      resolution: 'raw',
      points: rows.map((r) => ({
        at: (r.collected_at as Date).toISOString(),
        cpuPercent: Number(r.cpu_percent),
        cpuMaxPercent: Number(r.cpu_percent),
        load1: num(r.load1),
        memUsedBytes: num(r.mem_used_bytes),
        memTotalBytes: num(r.mem_total_bytes),
        swapUsedBytes: num(r.swap_used_bytes),
        swapTotalBytes: num(r.swap_total_bytes),
        samples: 1,
      })),
    };
  }
  const since_hour = new Date(Math.floor(since.getTime() / 3600e3) * 3600e3);
  const rows = (await tx('machine_metrics_hourly')
    .where({ machine_id: machineId })
    .where('hour', '>=', since_hour)
    .orderBy('hour')
    .limit(10_000)) as Record<string, unknown>[];
  return {
    resolution: 'hour',
    points: rows.map((r) => ({
      at: (r.hour as Date).toISOString(),
      cpuPercent: Math.round(Number(r.avg_cpu_percent) * 10) / 10,
      cpuMaxPercent: Number(r.max_cpu_percent),
      load1: num(r.avg_load1),
      memUsedBytes: num(r.avg_mem_used_bytes),
      memTotalBytes: num(r.mem_total_bytes),
      swapUsedBytes: null,
      swapTotalBytes: null,
      samples: Number(r.samples),
    })),
  };
}

const round1 = (v: unknown) => Math.round(Number(v) * 10) / 10;

/**
 * Disk use per mount point and network throughput (interfaces summed) over a range, from the raw samples:
 * each sample for 1h / 24h, the hour's average and maximum for 7d / 30d (the hourly roll-up keeps neither).
 */
export async function readResourceSeries(tx: TenantTx, machineId: string, range: MetricsRange, now = new Date()): Promise<{ disks: DiskSeries[]; network: NetworkPoint[] }> {
  const hourly = range === '7d' || range === '30d';
  const start = now.getTime() - RANGE_MS[range];
  // Whole hours for the roll-ups, like readMetrics.
  const since = new Date(hourly ? Math.floor(start / 3600e3) * 3600e3 : start);
  const at = hourly ? `date_trunc('hour', mm.collected_at at time zone 'UTC') at time zone 'UTC'` : 'mm.collected_at';
  const where = 'mm.machine_id = ? and mm.collected_at >= ?';
  const { rows: diskRows } = await tx.raw(
    `select ${at} as at, d->>'mountPoint' as mount, avg((d->>'usedPercent')::float8) as used, max((d->>'usedPercent')::float8) as max_used
     from machine_metrics mm cross join lateral jsonb_array_elements(mm.disks) d
     where ${where}
     group by 1, 2 order by 2, 1 limit 100000`,
    [machineId, since],
  );
  const { rows: netRows } = await tx.raw(
    `with s as (
       select ${at} as at,
         (select coalesce(sum((n->>'rxBytesPerSec')::float8), 0) from jsonb_array_elements(mm.network) n) as rx,
         (select coalesce(sum((n->>'txBytesPerSec')::float8), 0) from jsonb_array_elements(mm.network) n) as tx
       from machine_metrics mm
       where ${where})
     select at, avg(rx) as rx, max(rx) as max_rx, avg(tx) as tx, max(tx) as max_tx from s group by at order by at limit 10000`,
    [machineId, since],
  );
  const disks = new Map<string, DiskSeries>();
  for (const r of diskRows as { at: Date; mount: string; used: number; max_used: number }[]) {
    let series = disks.get(r.mount);
    if (!series) disks.set(r.mount, (series = { mountPoint: r.mount, points: [] }));
    series.points.push({ at: r.at.toISOString(), usedPercent: round1(r.used), maxUsedPercent: round1(r.max_used) });
  }
  return {
    disks: [...disks.values()],
    network: (netRows as { at: Date; rx: number; max_rx: number; tx: number; max_tx: number }[]).map((r) => ({
      at: r.at.toISOString(),
      rxBytesPerSec: Math.round(Number(r.rx)),
      txBytesPerSec: Math.round(Number(r.tx)),
      rxMaxBytesPerSec: Math.round(Number(r.max_rx)),
      txMaxBytesPerSec: Math.round(Number(r.max_tx)),
    })),
  };
}

/** Creates the daily partitions from yesterday to `daysAhead` days ahead; returns how many were created. */
export async function ensureMetricPartitions(db: Db, daysAhead = 7): Promise<number> {
  const { rows } = await db.raw('select vigie_ensure_metric_partitions(?) as n', [daysAhead]);
  return Number((rows[0] as { n: number }).n);
}

/** Drops the daily partitions older than `keepDays` days; returns how many were dropped. */
export async function dropOldMetricPartitions(db: Db, keepDays = 30): Promise<number> {
  const { rows } = await db.raw('select vigie_drop_metric_partitions(?) as n', [keepDays]);
  return Number((rows[0] as { n: number }).n);
}
