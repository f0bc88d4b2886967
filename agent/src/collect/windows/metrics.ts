import { execRunner, type CommandRunner } from '../../exec';
import { networkRates, type DiskUsage, type InterfaceCounters, type LinuxMetrics, type LoadAverage } from '../linux';
import { isObject, psArray, psDate, psErrors, psNumber, psPart, psScript, psString, runPowerShellJson, PowerShellError, type JsonObject } from './powershell';

/**
 * Windows metrics, in exactly the shape of the Linux collector's (the server validates both against
 * `metricsSampleSchema`), from one PowerShell run per sample (see ./powershell for how the scripts are written):
 *
 * - CPU %: `Win32_PerfRawData_Counters_ProcessorInformation`, instance `_Total` (the "Processor Information"
 *   object covers every processor group, unlike "Processor", which stops at 64 logical processors). Its
 *   `PercentProcessorTime` is a PERF_100NSEC_TIMER_INV counter: the raw value is idle time in 100 ns units and
 *   the busy share between two samples is `1 - Δraw / ΔTimestamp_Sys100NS`, the formula Performance Monitor
 *   applies to every instance, `_Total` included — so the `_Total` raw value is per-processor average idle time.
 *   Raw counters rather than `Win32_PerfFormatted…`: a formatted value is computed by WMI between its own two
 *   reads, and the first read of a new process is meaningless.
 * - Memory: `Win32_OperatingSystem` (kB): used = TotalVisibleMemorySize − FreePhysicalMemory, where "free" is
 *   Windows' *available* memory (standby cache included), the same meaning as Linux's MemAvailable.
 * - Swap: the page files, `Win32_PageFileUsage` (MB): AllocatedBaseSize and CurrentUsage summed over every
 *   page file; none (a machine configured without one) is 0 / 0, like Linux without swap.
 * - Disks: `Win32_LogicalDisk` with DriveType=3 (local fixed disks), one per drive letter: total = Size,
 *   free = FreeSpace (no root-reserved blocks on NTFS: used + free = total). A volume mounted in a folder
 *   without a letter is not a LogicalDisk and is not reported.
 * - Network: `Get-NetAdapterStatistics` (visible adapters, named as in the Control Panel: "Ethernet",
 *   "Wi-Fi"), cumulative ReceivedBytes / SentBytes turned into bytes/s between samples exactly as on Linux.
 * - Uptime: now − `Win32_OperatingSystem.LastBootUpTime`. With Fast Startup, a "shut down" client resumes
 *   from hibernation and keeps its boot time: uptime then spans the shutdowns (Windows' own Task Manager does
 *   the same).
 * - Load: the schema requires three numbers (not null), and Windows has no load average. They are
 *   exponentially damped averages over 1, 5 and 15 minutes of the *Processor Queue Length*
 *   (`Win32_PerfRawData_PerfOS_System.ProcessorQueueLength`: threads ready but waiting for a processor,
 *   summed over all processors), updated at each sample with the Unix formula
 *   `load = load·e^(−Δt/T) + q·(1 − e^(−Δt/T))` — the emulation psutil's and gopsutil's `getloadavg` use on
 *   Windows (they sample the same counter every 5 s in a background thread). It counts
 *   *waiting* threads only, where Linux also counts running ones: on the same busy machine it reads lower,
 *   and a `load1` alert threshold tuned on Linux machines is too high for Windows ones. It is sampled once per
 *   metrics period (they and Linux's kernel sample every 5 s), so it is coarser.
 */

export type WindowsMetrics = LinuxMetrics;

/** What one run of the script gives, before rates (CPU, network, load need the previous sample). */
export interface WindowsRawSample {
  memory: { totalBytes: number; availableBytes: number };
  /** Milliseconds since the epoch. */
  bootTime: number;
  cpu: { idle100ns: number; timestamp100ns: number };
  /** undefined when the counter could not be read. */
  processorQueueLength: number | undefined;
  swap: { totalBytes: number; usedBytes: number };
  disks: DiskUsage[];
  network: Map<string, InterfaceCounters>;
  /** Parts that failed (`network: <message>`); the sample is still valid without them. */
  problems: string[];
}

export const METRICS_SCRIPT = psScript([
  '$r = [ordered]@{ errors = [ordered]@{} }',
  psPart('os', '$r.os = Get-CimInstance -ClassName Win32_OperatingSystem | Select-Object TotalVisibleMemorySize, FreePhysicalMemory, LastBootUpTime'),
  psPart('cpu', "$r.cpu = Get-CimInstance -ClassName Win32_PerfRawData_Counters_ProcessorInformation -Filter 'Name=''_Total''' | Select-Object PercentProcessorTime, Timestamp_Sys100NS"),
  psPart('system', '$r.system = Get-CimInstance -ClassName Win32_PerfRawData_PerfOS_System | Select-Object ProcessorQueueLength'),
  psPart('pageFiles', '$r.pageFiles = @(Get-CimInstance -ClassName Win32_PageFileUsage | Select-Object Name, AllocatedBaseSize, CurrentUsage)'),
  psPart('disks', "$r.disks = @(Get-CimInstance -ClassName Win32_LogicalDisk -Filter 'DriveType=3' | Select-Object DeviceID, VolumeName, FileSystem, Size, FreeSpace)"),
  psPart('network', '$r.network = @(Get-NetAdapterStatistics | Select-Object Name, ReceivedBytes, SentBytes)'),
]);

const KB = 1024;
const MB = 1024 * 1024;

/** The first of a list that ConvertTo-Json may have printed as one object or as an array. */
const first = (v: unknown): JsonObject | undefined => psArray(v)[0];

function parseDisks(v: unknown): DiskUsage[] {
  const disks: DiskUsage[] = [];
  for (const d of psArray(v)) {
    const device = psString(d.DeviceID);
    const total = psNumber(d.Size);
    const free = psNumber(d.FreeSpace);
    // A locked BitLocker volume or a drive being formatted has no size.
    if (!device || total === undefined || free === undefined || total <= 0) continue;
    const used = Math.max(total - free, 0);
    disks.push({
      mountPoint: `${device}\\`,
      device,
      fsType: psString(d.FileSystem) ?? '',
      totalBytes: total,
      usedBytes: used,
      freeBytes: Math.min(free, total),
      usedPercent: Math.round((used / total) * 1000) / 10,
    });
  }
  return disks.sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : 1));
}

function parseNetwork(v: unknown): Map<string, InterfaceCounters> {
  const out = new Map<string, InterfaceCounters>();
  for (const a of psArray(v)) {
    const name = psString(a.Name);
    const rx = psNumber(a.ReceivedBytes);
    const tx = psNumber(a.SentBytes);
    if (name && rx !== undefined && tx !== undefined) out.set(name, { rxBytes: rx, txBytes: tx });
  }
  return out;
}

/** The metrics script's JSON. Throws when memory, boot time or the CPU counters are missing: no valid sample then. */
export function parseMetricsJson(json: unknown): WindowsRawSample {
  if (!isObject(json)) throw new PowerShellError('metrics: the script printed no JSON object');
  const errors = psErrors(json.errors);
  const problems = Object.entries(errors).map(([part, msg]) => `${part}: ${msg}`);
  const os = first(json.os);
  const totalKb = psNumber(os?.TotalVisibleMemorySize);
  const freeKb = psNumber(os?.FreePhysicalMemory);
  const bootTime = psDate(os?.LastBootUpTime);
  if (totalKb === undefined || freeKb === undefined || bootTime === undefined) {
    throw new PowerShellError(`metrics: no memory or boot time (Win32_OperatingSystem)${errors.os ? `: ${errors.os}` : ''}`);
  }
  const cpu = first(json.cpu);
  const idle = psNumber(cpu?.PercentProcessorTime);
  const timestamp = psNumber(cpu?.Timestamp_Sys100NS);
  if (idle === undefined || timestamp === undefined) {
    throw new PowerShellError(`metrics: no processor counters (Win32_PerfRawData_Counters_ProcessorInformation)${errors.cpu ? `: ${errors.cpu}` : ''}`);
  }
  const pageFiles = psArray(json.pageFiles);
  const swapTotal = pageFiles.reduce((sum, p) => sum + (psNumber(p.AllocatedBaseSize) ?? 0), 0) * MB;
  const swapUsed = pageFiles.reduce((sum, p) => sum + (psNumber(p.CurrentUsage) ?? 0), 0) * MB;
  const totalBytes = totalKb * KB;
  return {
    memory: { totalBytes, availableBytes: Math.min(freeKb * KB, totalBytes) },
    bootTime,
    cpu: { idle100ns: idle, timestamp100ns: timestamp },
    processorQueueLength: psNumber(first(json.system)?.ProcessorQueueLength),
    swap: { totalBytes: swapTotal, usedBytes: Math.min(swapUsed, swapTotal) },
    disks: parseDisks(json.disks),
    network: parseNetwork(json.network),
    problems,
  };
}

/** Busy share of the processors between two samples, 0–100 with one decimal (PERF_100NSEC_TIMER_INV). */
export function windowsCpuPercent(before: WindowsRawSample['cpu'], after: WindowsRawSample['cpu']): number {
  const elapsed = after.timestamp100ns - before.timestamp100ns;
  const idle = after.idle100ns - before.idle100ns;
  if (elapsed <= 0 || idle < 0) return 0;
  const busy = Math.min(Math.max(1 - idle / elapsed, 0), 1);
  return Math.round(busy * 1000) / 10;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The next 1/5/15-minute averages of the processor queue length, `elapsedSeconds` after `previous` (the first
 * sample seeds all three with its value).
 */
export function nextLoad(previous: LoadAverage | undefined, queueLength: number, elapsedSeconds: number): LoadAverage {
  const q = Math.max(queueLength, 0);
  if (!previous) return { one: q, five: q, fifteen: q };
  const damp = (load: number, periodSeconds: number) => {
    const e = Math.exp(-Math.max(elapsedSeconds, 0) / periodSeconds);
    return round2(load * e + q * (1 - e));
  };
  return { one: damp(previous.one, 60), five: damp(previous.five, 300), fifteen: damp(previous.fifteen, 900) };
}

/** One sample from two raw readings, `previousLoad` carried over for the damped averages. */
export function windowsMetrics(opts: {
  before: WindowsRawSample;
  beforeAt: number;
  current: WindowsRawSample;
  at: number;
  previousLoad: LoadAverage | undefined;
}): WindowsMetrics {
  const { before, current, at } = opts;
  const elapsedMs = at - opts.beforeAt;
  const load =
    current.processorQueueLength === undefined
      ? (opts.previousLoad ?? { one: 0, five: 0, fifteen: 0 })
      : nextLoad(opts.previousLoad, current.processorQueueLength, elapsedMs / 1000);
  return {
    collectedAt: new Date(at).toISOString(),
    cpuPercent: windowsCpuPercent(before.cpu, current.cpu),
    load,
    memory: {
      totalBytes: current.memory.totalBytes,
      usedBytes: current.memory.totalBytes - current.memory.availableBytes,
      availableBytes: current.memory.availableBytes,
    },
    swap: current.swap,
    disks: current.disks,
    network: networkRates(before.network, current.network, elapsedMs),
    uptimeSeconds: Math.max(Math.floor((at - current.bootTime) / 1000), 0),
  };
}

export interface WindowsCollectorOptions {
  runner?: CommandRunner;
  /** The first collect has no previous sample: it takes two this far apart. Default 1000 ms. */
  firstSampleMs?: number;
  now?: () => number;
  /** Told when the parts that fail change (a missing NetAdapter module, say), not at every sample. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface WindowsCollector {
  collect(): Promise<WindowsMetrics>;
}

export function createWindowsCollector(options: WindowsCollectorOptions = {}): WindowsCollector {
  const runner = options.runner ?? execRunner;
  const now = options.now ?? Date.now;
  let previous: { raw: WindowsRawSample; at: number } | undefined;
  let load: LoadAverage | undefined;
  let reported = '';

  const sample = async () => {
    const raw = parseMetricsJson(await runPowerShellJson(runner, METRICS_SCRIPT, { timeoutMs: 45_000, maxOutputBytes: 1024 * 1024 }));
    const problems = raw.problems.join('; ');
    if (problems !== reported) {
      if (problems) options.log?.('some Windows metrics could not be read; sent without them', { problems: raw.problems });
      else options.log?.('every Windows metric readable again');
      reported = problems;
    }
    return { raw, at: now() };
  };

  return {
    async collect() {
      if (!previous) {
        previous = await sample();
        await new Promise((resolve) => setTimeout(resolve, options.firstSampleMs ?? 1000));
      }
      const current = await sample();
      const metrics = windowsMetrics({ before: previous.raw, beforeAt: previous.at, current: current.raw, at: current.at, previousLoad: load });
      load = metrics.load;
      previous = current;
      return metrics;
    },
  };
}
