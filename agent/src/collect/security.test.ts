import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner, RunResult } from '../exec';
import { listProcesses, processMatches } from './processes';
import { activeUnits, detectSecurityProducts, LINUX_SECURITY_PRODUCTS } from './security';

const ok = (stdout: string, code = 0): RunResult => ({ code, signal: null, stdout, stderr: '', timedOut: false, truncated: false });

/** A fake `systemctl is-active`: every unit inactive except those listed. */
function systemctl(active: string[], calls: string[][] = []): CommandRunner {
  return async (file, args) => {
    calls.push([file, ...args]);
    const states = args.slice(1).map((unit) => (active.includes(unit.replace(/\.service$/, '')) ? 'active' : 'inactive'));
    return ok(`${states.join('\n')}\n`, states.every((s) => s === 'active') ? 0 : 3);
  };
}

const noSystemd: CommandRunner = async () => {
  throw Object.assign(new Error('spawn systemctl ENOENT'), { code: 'ENOENT' });
};

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-root-'));
  fs.mkdirSync(path.join(root, 'proc'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function install(...files: string[]) {
  for (const file of files) {
    fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), '');
  }
}

function run(pid: number, comm: string, cmdline = `${comm}\0`) {
  fs.mkdirSync(path.join(root, 'proc', String(pid)));
  fs.writeFileSync(path.join(root, 'proc', String(pid), 'comm'), `${comm}\n`);
  fs.writeFileSync(path.join(root, 'proc', String(pid), 'cmdline'), cmdline);
}

describe('detectSecurityProducts', () => {
  it('reports nothing, unprotected, on a bare machine', async () => {
    run(1, 'systemd', '/sbin/init\0splash\0');
    const calls: string[][] = [];
    expect(await detectSecurityProducts({ root, runner: systemctl([], calls) })).toEqual({ products: [], protected: false });
    // One systemctl call for the whole catalogue.
    expect(calls).toHaveLength(1);
    expect(calls[0]!.slice(0, 3)).toEqual(['systemctl', 'is-active', 'clamav-daemon.service']);
  });

  it('CrowdStrike installed and its daemon running: protected', async () => {
    install('opt/CrowdStrike/falconctl');
    run(812, 'falcond', '/opt/CrowdStrike/falcond\0');
    const status = await detectSecurityProducts({ root, runner: systemctl([]) });
    expect(status).toEqual({
      products: [{ id: 'crowdstrike-falcon', name: 'CrowdStrike Falcon', installed: true, running: true }],
      protected: true,
    });
  });

  it('ClamAV installed but its daemon stopped: installed, not running, not protected', async () => {
    install('usr/bin/clamscan', 'usr/bin/freshclam');
    run(300, 'freshclam', '/usr/bin/freshclam\0-d\0');
    const status = await detectSecurityProducts({ root, runner: systemctl(['clamav-freshclam']) });
    expect(status).toEqual({ products: [{ id: 'clamav', name: 'ClamAV', installed: true, running: false }], protected: false });
  });

  it('an active unit means running (and installed) even where the files are not where expected', async () => {
    const status = await detectSecurityProducts({ root, runner: systemctl(['mdatp', 'clamd@scan']) });
    expect(status.products.map((p) => [p.id, p.installed, p.running])).toEqual([
      ['clamav', true, true],
      ['microsoft-defender', true, true],
    ]);
    expect(status.protected).toBe(true);
  });

  it('without systemd, processes still tell: a comm cut at 15 characters matches', async () => {
    install('opt/sentinelone/bin/sentinelctl', 'opt/ds_agent/ds_agent');
    run(1, 'sh', '/bin/sh\0');
    run(40, 'sentinelone-wat', 'sentinelone-watchdog\0');
    const status = await detectSecurityProducts({ root, runner: noSystemd });
    expect(status.products).toEqual([
      { id: 'sentinelone', name: 'SentinelOne', installed: true, running: true },
      { id: 'trend-micro', name: 'Trend Micro Deep Security Agent', installed: true, running: false },
    ]);
  });

  it('takes an injected process list', async () => {
    const status = await detectSecurityProducts({
      root,
      runner: noSystemd,
      processes: async () => [{ pid: 9, comm: 'wdavdaemon', exe: 'wdavdaemon' }],
    });
    expect(status).toEqual({
      products: [{ id: 'microsoft-defender', name: 'Microsoft Defender for Endpoint', installed: true, running: true }],
      protected: true,
    });
  });

  it('every catalogue entry has an id, a name and a way to be found', () => {
    const ids = LINUX_SECURITY_PRODUCTS.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of LINUX_SECURITY_PRODUCTS) expect(p.paths.length + p.units.length + p.processes.length).toBeGreaterThan(0);
  });
});

describe('activeUnits', () => {
  it('ignores an answer that does not have one line per unit', async () => {
    const garbled: CommandRunner = async () => ok('active\n', 1);
    expect(await activeUnits(garbled, ['a', 'b'])).toEqual(new Set());
  });
});

describe('processes', () => {
  it('lists /proc entries, skipping vanished ones', async () => {
    run(7, 'bash', '/usr/bin/bash\0-l\0');
    run(12, 'kworker/0:1', '');
    fs.mkdirSync(path.join(root, 'proc', '99')); // exited between readdir and read
    fs.mkdirSync(path.join(root, 'proc', 'self'));
    expect(await listProcesses(path.join(root, 'proc'))).toEqual([
      { pid: 7, comm: 'bash', exe: 'bash' },
      { pid: 12, comm: 'kworker/0:1', exe: '' },
    ]);
  });

  it('matches by comm, by argv[0] and by a comm cut at 15 characters', () => {
    expect(processMatches({ pid: 1, comm: 'node', exe: 'vigie-agent' }, 'vigie-agent')).toBe(true);
    expect(processMatches({ pid: 1, comm: 'falcon-sensor-b', exe: '' }, 'falcon-sensor-bpf')).toBe(true);
    expect(processMatches({ pid: 1, comm: 'clamd', exe: 'clamd' }, 'clam')).toBe(false);
  });

  it('reads this machine', async () => {
    if (process.platform !== 'linux') return;
    const procs = await listProcesses();
    expect(procs.some((p) => p.pid === process.pid)).toBe(true);
  });
});
