import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  cpuPercent,
  createLinuxCollector,
  diskUsage,
  networkRates,
  parseLoadAvg,
  parseMemInfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
  parseUptime,
  realMounts,
} from './linux';

const STAT_1 = `cpu  1183788 12809 302578 2659056 14489 0 7019 1162 0 0
cpu0 570954 6641 140361 1367096 2062 0 2401 580 0 0
cpu1 612833 6167 162216 1291960 12426 0 4618 582 0 0
intr 123 0 0
ctxt 456
btime 1700000000
`;
// 400 jiffies later: 100 busy (user 60, system 30, steal 10), 300 idle (idle 280, iowait 20).
const STAT_2 = `cpu  1183848 12809 302608 2659336 14509 0 7019 1172 0 0
cpu0 570984 6641 140376 1367236 2072 0 2401 585 0 0
`;

const MEMINFO = `MemTotal:       24684084 kB
MemFree:        15907364 kB
MemAvailable:   21686348 kB
Buffers:          155044 kB
Cached:          5275020 kB
SwapCached:            0 kB
Active(anon):     123456 kB
SwapTotal:       2097148 kB
SwapFree:        1048574 kB
SReclaimable:     300000 kB
`;

const MOUNTS = `sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
udev /dev devtmpfs rw,nosuid,relatime,size=8131408k,nr_inodes=2032852,mode=755 0 0
tmpfs /run tmpfs rw,nosuid,nodev,noexec,relatime,size=1631600k,mode=755 0 0
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0
cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0
/dev/loop0 /snap/core22/1380 squashfs ro,nodev,relatime,errors=continue 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0
/dev/mapper/data /srv/my\\040data xfs rw,relatime 0 0
/dev/mapper/data /var/lib/bind-of-data xfs rw,relatime 0 0
overlay /var/lib/docker/overlay2/abc/merged overlay rw,relatime,lowerdir=/x 0 0
nas:/export /mnt/nas nfs4 rw,relatime,vers=4.2 0 0
tank/home /home zfs rw,xattr,noacl 0 0
/dev/sdb1 /run/media/alice/USB vfat rw,nosuid,nodev 0 0
`;

const NET_DEV_1 = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 3659438988 4667275    0    0    0     0          0         0 3659438988 4667275    0    0    0     0       0          0
  eth0: 7540854776  268498    0    0    0     0          0         0 35461637  222353    0    0    0     0       0          0
wlp2s0:   1000000     100    0    0    0     0          0         0   500000     50    0    0    0     0       0          0
`;
const NET_DEV_2 = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo: 3659538988 4667375    0    0    0     0          0         0 3659538988 4667375    0    0    0     0       0          0
  eth0: 7541854776  269498    0    0    0     0          0         0 35561637  223353    0    0    0     0       0          0
wlp2s0:      2000      10    0    0    0     0          0         0     1000      5    0    0    0     0       0          0
docker0:      100       1    0    0    0     0          0         0      100      1    0    0    0     0       0          0
`;

describe('pure /proc parsers', () => {
  it('CPU % from two /proc/stat samples', () => {
    const a = parseProcStat(STAT_1);
    const b = parseProcStat(STAT_2);
    expect(b.total - a.total).toBe(400);
    expect(cpuPercent(a, b)).toBe(25);
    expect(cpuPercent(a, a)).toBe(0);
    expect(() => parseProcStat('intr 1 2 3')).toThrow('cpu');
  });

  it('load averages', () => {
    expect(parseLoadAvg('3.20 2.25 1.43 4/424 6456\n')).toEqual({ one: 3.2, five: 2.25, fifteen: 1.43 });
    expect(() => parseLoadAvg('')).toThrow();
  });

  it('memory from MemAvailable, swap from SwapFree', () => {
    expect(parseMemInfo(MEMINFO)).toEqual({
      totalBytes: 24684084 * 1024,
      availableBytes: 21686348 * 1024,
      usedBytes: (24684084 - 21686348) * 1024,
      swapTotalBytes: 2097148 * 1024,
      swapUsedBytes: (2097148 - 1048574) * 1024,
    });
  });

  it('memory on an old kernel without MemAvailable', () => {
    const old = MEMINFO.split('\n').filter((l) => !l.startsWith('MemAvailable')).join('\n');
    const available = 15907364 + 155044 + 5275020 + 300000;
    expect(parseMemInfo(old).usedBytes).toBe((24684084 - available) * 1024);
  });

  it('keeps real disks only, one per device, with escaped names decoded', () => {
    const mounts = realMounts(parseMounts(MOUNTS));
    expect(mounts.map((m) => [m.mountPoint, m.fsType])).toEqual([
      ['/', 'ext4'],
      ['/boot/efi', 'vfat'],
      ['/home', 'zfs'],
      ['/run/media/alice/USB', 'vfat'],
      ['/srv/my data', 'xfs'],
    ]);
  });

  it('disk usage as df computes it', () => {
    const usage = diskUsage(
      { device: '/dev/sda1', mountPoint: '/', fsType: 'ext4', options: [] },
      { bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 },
    );
    expect(usage).toEqual({
      mountPoint: '/',
      device: '/dev/sda1',
      fsType: 'ext4',
      totalBytes: 4096_000,
      usedBytes: 700 * 4096,
      freeBytes: 250 * 4096,
      usedPercent: 73.7,
    });
  });

  it('network throughput per interface, loopback skipped, resets and new interfaces at 0', () => {
    const rates = networkRates(parseNetDev(NET_DEV_1), parseNetDev(NET_DEV_2), 10_000);
    expect(rates).toEqual([
      { name: 'docker0', rxBytesPerSec: 0, txBytesPerSec: 0 },
      { name: 'eth0', rxBytesPerSec: 100_000, txBytesPerSec: 10_000 },
      { name: 'wlp2s0', rxBytesPerSec: 0, txBytesPerSec: 0 },
    ]);
  });

  it('uptime in whole seconds', () => {
    expect(parseUptime('21082.91 26590.56\n')).toBe(21082);
  });
});

describe('createLinuxCollector', () => {
  let root: string;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-proc-'));
    fs.mkdirSync(path.join(root, 'net'));
    for (const [file, text] of Object.entries({
      stat: STAT_1,
      'net/dev': NET_DEV_1,
      loadavg: '0.50 0.40 0.30 1/100 42\n',
      meminfo: MEMINFO,
      uptime: '3600.00 7000.00\n',
      mounts: MOUNTS,
    })) {
      fs.writeFileSync(path.join(root, file), text);
    }
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('reads a fake /proc, takes rates since the previous collect and skips unreadable disks', async () => {
    let clock = 1_000_000;
    const collector = createLinuxCollector({
      procRoot: root,
      firstSampleMs: 1,
      now: () => clock,
      statfs: async (mountPoint) => {
        if (mountPoint === '/home') throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
        return { bsize: 4096, blocks: 1000, bfree: 500, bavail: 400 };
      },
    });
    const first = await collector.collect();
    expect(first.cpuPercent).toBe(0);
    expect(first.disks.map((d) => d.mountPoint)).toEqual(['/', '/boot/efi', '/run/media/alice/USB', '/srv/my data']);
    expect(first.load).toEqual({ one: 0.5, five: 0.4, fifteen: 0.3 });
    expect(first.uptimeSeconds).toBe(3600);

    fs.writeFileSync(path.join(root, 'stat'), STAT_2);
    fs.writeFileSync(path.join(root, 'net/dev'), NET_DEV_2);
    clock += 10_000;
    const second = await collector.collect();
    expect(second.cpuPercent).toBe(25);
    expect(second.network.find((n) => n.name === 'eth0')).toEqual({ name: 'eth0', rxBytesPerSec: 100_000, txBytesPerSec: 10_000 });
    expect(second.collectedAt).toBe(new Date(clock).toISOString());
  });
});

describe('on this machine', () => {
  const linux = process.platform === 'linux' ? it : it.skip;
  linux('reports plausible values', async () => {
    const metrics = await createLinuxCollector({ firstSampleMs: 200 }).collect();
    expect(metrics.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(metrics.cpuPercent).toBeLessThanOrEqual(100);
    expect(metrics.load.one).toBeGreaterThanOrEqual(0);
    expect(metrics.memory.totalBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(metrics.memory.usedBytes).toBeLessThanOrEqual(metrics.memory.totalBytes);
    expect(metrics.memory.usedBytes + metrics.memory.availableBytes).toBe(metrics.memory.totalBytes);
    expect(metrics.swap.usedBytes).toBeLessThanOrEqual(metrics.swap.totalBytes);
    expect(metrics.uptimeSeconds).toBeGreaterThan(0);
    expect(metrics.network.some((n) => n.name === 'lo')).toBe(false);
    for (const n of metrics.network) expect(n.rxBytesPerSec).toBeGreaterThanOrEqual(0);
    for (const disk of metrics.disks) {
      expect(disk.totalBytes).toBeGreaterThan(0);
      expect(disk.usedBytes + disk.freeBytes).toBeLessThanOrEqual(disk.totalBytes);
      expect(disk.usedPercent).toBeGreaterThanOrEqual(0);
      expect(disk.usedPercent).toBeLessThanOrEqual(100);
    }
    // Unless the root filesystem is itself virtual (a container's overlay), it is a real disk.
    const rootMount = parseMounts(fs.readFileSync('/proc/mounts', 'utf8')).filter((m) => m.mountPoint === '/').pop();
    if (rootMount && realMounts([rootMount]).length === 1) {
      expect(metrics.disks.some((d) => d.mountPoint === '/')).toBe(true);
    }
    expect(Math.abs(Date.parse(metrics.collectedAt) - Date.now())).toBeLessThan(60_000);
  });
});
