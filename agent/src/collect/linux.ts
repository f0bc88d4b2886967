import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Linux metrics read straight from /proc and statfs(2): no process is spawned (an agent running every minute on
 * thousands of machines should cost nearly nothing). Every file is parsed by a pure function that takes its
 * text, so tests feed recorded contents; `createLinuxCollector` is the thin part that reads the files and keeps
 * the previous sample for rates (CPU %, network bytes/s).
 */

export interface CpuTimes {
  /** Jiffies spent idle (idle + iowait). */
  idle: number;
  /** All jiffies (user, nice, system, idle, iowait, irq, softirq, steal). */
  total: number;
}

export interface LoadAverage {
  one: number;
  five: number;
  fifteen: number;
}

export interface MemoryInfo {
  totalBytes: number;
  /** Total minus MemAvailable: what applications hold, page cache excluded. */
  usedBytes: number;
  availableBytes: number;
  swapTotalBytes: number;
  swapUsedBytes: number;
}

export interface MountEntry {
  device: string;
  mountPoint: string;
  fsType: string;
  options: string[];
}

export interface DiskUsage {
  mountPoint: string;
  device: string;
  fsType: string;
  totalBytes: number;
  usedBytes: number;
  /** Available to ordinary users (root's reserved blocks excluded), as `df` shows. */
  freeBytes: number;
  /** used / (used + free), as `df` computes it. */
  usedPercent: number;
}

export interface InterfaceCounters {
  rxBytes: number;
  txBytes: number;
}

export interface InterfaceRate {
  name: string;
  rxBytesPerSec: number;
  txBytesPerSec: number;
}

export interface LinuxMetrics {
  collectedAt: string;
  cpuPercent: number;
  load: LoadAverage;
  memory: { totalBytes: number; usedBytes: number; availableBytes: number };
  swap: { totalBytes: number; usedBytes: number };
  disks: DiskUsage[];
  network: InterfaceRate[];
  uptimeSeconds: number;
}

/** The aggregate `cpu` line of /proc/stat. */
export function parseProcStat(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('/proc/stat: no aggregate cpu line');
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already counted in user and nice).
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const [, , , idle = 0, iowait = 0] = fields;
  return { idle: idle + iowait, total: fields.reduce((sum, n) => sum + (Number.isFinite(n) ? n : 0), 0) };
}

/** Busy share of the CPU time between two samples, 0–100 with one decimal. */
export function cpuPercent(before: CpuTimes, after: CpuTimes): number {
  const total = after.total - before.total;
  const idle = after.idle - before.idle;
  if (total <= 0) return 0;
  const busy = Math.min(Math.max((total - idle) / total, 0), 1);
  return Math.round(busy * 1000) / 10;
}

export function parseLoadAvg(text: string): LoadAverage {
  const [one, five, fifteen] = text.trim().split(/\s+/).map(Number);
  if (![one, five, fifteen].every((n) => Number.isFinite(n))) throw new Error('/proc/loadavg: unexpected content');
  return { one: one!, five: five!, fifteen: fifteen! };
}

/** /proc/meminfo, in bytes. Kernels before 3.14 have no MemAvailable: free + buffers + cache is the fallback. */
export function parseMemInfo(text: string): MemoryInfo {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^(\w+(?:\(\w+\))?):\s+(\d+)/.exec(line);
    if (match) kb.set(match[1]!, Number(match[2]));
  }
  const get = (key: string) => (kb.get(key) ?? 0) * 1024;
  const total = get('MemTotal');
  if (total === 0) throw new Error('/proc/meminfo: no MemTotal');
  const available = kb.has('MemAvailable')
    ? get('MemAvailable')
    : get('MemFree') + get('Buffers') + get('Cached') + get('SReclaimable');
  const swapTotal = get('SwapTotal');
  return {
    totalBytes: total,
    availableBytes: Math.min(available, total),
    usedBytes: Math.max(total - available, 0),
    swapTotalBytes: swapTotal,
    swapUsedBytes: Math.max(swapTotal - get('SwapFree'), 0),
  };
}

/** Mount fields escape space, tab, newline and backslash as octal (`\040`). */
const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));

/** /proc/mounts (or /proc/self/mounts). */
export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (!device || !mountPoint || !fsType) continue;
    out.push({
      device: unescapeMount(device),
      mountPoint: unescapeMount(mountPoint),
      fsType,
      options: (options ?? '').split(','),
    });
  }
  return out;
}

/** Kernel and virtual filesystems: no disk behind them. */
export const PSEUDO_FILESYSTEMS: ReadonlySet<string> = new Set([
  'autofs', 'binfmt_misc', 'bpf', 'cgroup', 'cgroup2', 'configfs', 'debugfs', 'devpts', 'devtmpfs', 'efivarfs',
  'fusectl', 'fuse.gvfsd-fuse', 'fuse.lxcfs', 'fuse.portal', 'fuse.snapfuse', 'hugetlbfs', 'mqueue', 'nsfs',
  'overlay', 'proc', 'pstore', 'ramfs', 'rpc_pipefs', 'securityfs', 'selinuxfs', 'squashfs', 'sysfs', 'tmpfs',
  'tracefs', 'nfsd', 'iso9660', 'udf', 'aufs', 'shiftfs', 'devfs',
]);

/** Network filesystems: statfs on a hung server blocks, and they are another machine's disks. */
export const NETWORK_FILESYSTEMS: ReadonlySet<string> = new Set([
  'nfs', 'nfs4', 'cifs', 'smb3', 'smbfs', 'fuse.sshfs', 'ceph', 'glusterfs', 'fuse.glusterfs', '9p', 'afs',
]);

/**
 * The mounts that are real disks: no pseudo or network filesystem, nothing under /proc or /sys, and one entry
 * per device (bind mounts and btrfs subvolumes repeat it; the shortest mount point wins).
 */
export function realMounts(mounts: MountEntry[]): MountEntry[] {
  const byDevice = new Map<string, MountEntry>();
  for (const mount of mounts) {
    if (PSEUDO_FILESYSTEMS.has(mount.fsType) || NETWORK_FILESYSTEMS.has(mount.fsType)) continue;
    if (/^\/(proc|sys)(\/|$)/.test(mount.mountPoint)) continue;
    const known = byDevice.get(mount.device);
    if (!known || mount.mountPoint.length < known.mountPoint.length) byDevice.set(mount.device, mount);
  }
  return [...byDevice.values()].sort((a, b) => (a.mountPoint < b.mountPoint ? -1 : 1));
}

/** The subset of fs.StatsFs used here (numbers, as `fs.statfs` returns by default). */
export interface StatFs {
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
}

export function diskUsage(mount: MountEntry, stat: StatFs): DiskUsage {
  const totalBytes = stat.blocks * stat.bsize;
  const usedBytes = (stat.blocks - stat.bfree) * stat.bsize;
  const freeBytes = stat.bavail * stat.bsize;
  const usable = usedBytes + freeBytes;
  return {
    mountPoint: mount.mountPoint,
    device: mount.device,
    fsType: mount.fsType,
    totalBytes,
    usedBytes,
    freeBytes,
    usedPercent: usable > 0 ? Math.round((usedBytes / usable) * 1000) / 10 : 0,
  };
}

/** /proc/net/dev: cumulative bytes per interface. */
export function parseNetDev(text: string): Map<string, InterfaceCounters> {
  const out = new Map<string, InterfaceCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    // receive: bytes packets errs drop fifo frame compressed multicast | transmit: bytes …
    if (!name || fields.length < 16) continue;
    out.set(name, { rxBytes: fields[0]!, txBytes: fields[8]! });
  }
  return out;
}

/**
 * Bytes per second per interface between two samples, loopback excluded. An interface that appeared or whose
 * counters went back (reset, driver reload) reports 0 for this period rather than a nonsense spike.
 */
export function networkRates(
  before: Map<string, InterfaceCounters>,
  after: Map<string, InterfaceCounters>,
  elapsedMs: number,
): InterfaceRate[] {
  const out: InterfaceRate[] = [];
  const seconds = elapsedMs / 1000;
  for (const [name, now] of after) {
    if (name === 'lo') continue;
    const then = before.get(name);
    const rate = (a: number, b: number | undefined) =>
      b === undefined || a < b || seconds <= 0 ? 0 : Math.round((a - b) / seconds);
    out.push({ name, rxBytesPerSec: rate(now.rxBytes, then?.rxBytes), txBytesPerSec: rate(now.txBytes, then?.txBytes) });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** /proc/uptime: seconds since boot (first field). */
export function parseUptime(text: string): number {
  const seconds = Number(text.trim().split(/\s+/)[0]);
  if (!Number.isFinite(seconds)) throw new Error('/proc/uptime: unexpected content');
  return Math.floor(seconds);
}

export interface LinuxCollectorOptions {
  /** Where /proc is (tests point it at fixtures). Default `/proc`. */
  procRoot?: string;
  statfs?: (mountPoint: string) => Promise<StatFs>;
  /** The first collect has no previous sample: it takes two this far apart. Default 1000 ms. */
  firstSampleMs?: number;
  now?: () => number;
}

export interface LinuxCollector {
  /** One set of metrics; rates cover the time since the previous call. */
  collect(): Promise<LinuxMetrics>;
}

interface Sample {
  at: number;
  cpu: CpuTimes;
  net: Map<string, InterfaceCounters>;
}

export function createLinuxCollector(options: LinuxCollectorOptions = {}): LinuxCollector {
  const proc = options.procRoot ?? '/proc';
  const statfs = options.statfs ?? ((p: string) => fs.statfs(p));
  const now = options.now ?? Date.now;
  const read = (file: string) => fs.readFile(path.join(proc, file), 'utf8');
  let previous: Sample | undefined;

  const sample = async (): Promise<Sample> => {
    const [stat, netDev] = await Promise.all([read('stat'), read('net/dev')]);
    return { at: now(), cpu: parseProcStat(stat), net: parseNetDev(netDev) };
  };

  const disks = async (): Promise<DiskUsage[]> => {
    const mounts = realMounts(parseMounts(await read('mounts')));
    const usage = await Promise.all(
      mounts.map(async (mount) => {
        try {
          return diskUsage(mount, await statfs(mount.mountPoint));
        } catch {
          return undefined; // unmounted meanwhile, or not ours to read
        }
      }),
    );
    return usage.filter((d): d is DiskUsage => d !== undefined && d.totalBytes > 0);
  };

  return {
    async collect() {
      if (!previous) {
        previous = await sample();
        await new Promise((resolve) => setTimeout(resolve, options.firstSampleMs ?? 1000));
      }
      const current = await sample();
      const [load, mem, uptime, disksNow] = await Promise.all([read('loadavg'), read('meminfo'), read('uptime'), disks()]);
      const memory = parseMemInfo(mem);
      const metrics: LinuxMetrics = {
        collectedAt: new Date(current.at).toISOString(),
        cpuPercent: cpuPercent(previous.cpu, current.cpu),
        load: parseLoadAvg(load),
        memory: { totalBytes: memory.totalBytes, usedBytes: memory.usedBytes, availableBytes: memory.availableBytes },
        swap: { totalBytes: memory.swapTotalBytes, usedBytes: memory.swapUsedBytes },
        disks: disksNow,
        network: networkRates(previous.net, current.net, current.at - previous.at),
        uptimeSeconds: parseUptime(uptime),
      };
      previous = current;
      return metrics;
    },
  };
}
