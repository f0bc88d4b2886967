import type { MachineMetrics } from '@vigie/core';
import { memoryPercent } from './fleet-format';

type Point = [number, number | null];

/** One series of a metric chart: [time in ms, value] pairs, null where there is a gap. */
export interface ChartSeries {
  name: string;
  points: Point[];
  /** The hour's maximum beside its average: drawn dashed. */
  dashed?: boolean;
  area?: boolean;
}

/**
 * Inserts a gap (null) where two points are further apart than `maxGapMs`, so that a machine switched off
 * for a night shows a hole rather than a straight line across it.
 */
export function withGaps(points: Point[], maxGapMs: number): Point[] {
  const out: Point[] = [];
  for (const point of points) {
    const previous = out[out.length - 1];
    if (previous && point[0] - previous[0] > maxGapMs) out.push([previous[0] + 1, null]);
    out.push(point);
  }
  return out;
}

export interface SeriesLabels {
  average: string;
  maximum: string;
  received: string;
  sent: string;
}

/** The charts of a machine's metrics: processor, memory, load, disks (one line per mount point), network. */
export function metricSeries(metrics: MachineMetrics, labels: SeriesLabels, rawGapMs = 10 * 60_000) {
  const hourly = metrics.resolution === 'hour';
  const gap = hourly ? 2 * 3600_000 : rawGapMs;
  const series = (name: string, points: Point[], extra: Partial<ChartSeries> = {}): ChartSeries => ({ name, points: withGaps(points, gap), ...extra });
  const at = (iso: string) => Date.parse(iso);
  const p = metrics.points;
  const withMax = (name: string, avg: Point[], max: Point[]) => (hourly ? [series(`${name} (${labels.average})`, avg, { area: true }), series(`${name} (${labels.maximum})`, max, { dashed: true })] : [series(name, avg, { area: true })]);
  return {
    cpu: withMax(
      'CPU',
      p.map((x) => [at(x.at), x.cpuPercent]),
      p.map((x) => [at(x.at), x.cpuMaxPercent]),
    ),
    memory: [series('RAM', p.map((x) => [at(x.at), memoryPercent(x.memUsedBytes, x.memTotalBytes)]), { area: true })],
    load: [series('1 min', p.map((x) => [at(x.at), x.load1]))],
    disks: metrics.disks.map((d) => series(d.mountPoint, d.points.map((x) => [at(x.at), x.usedPercent]))),
    network: [
      ...withMax(
        labels.received,
        metrics.network.map((x) => [at(x.at), x.rxBytesPerSec]),
        metrics.network.map((x) => [at(x.at), x.rxMaxBytesPerSec]),
      ),
      ...withMax(
        labels.sent,
        metrics.network.map((x) => [at(x.at), x.txBytesPerSec]),
        metrics.network.map((x) => [at(x.at), x.txMaxBytesPerSec]),
      ),
    ],
  };
}
