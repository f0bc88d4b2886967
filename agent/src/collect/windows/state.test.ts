import fs from 'node:fs';
import path from 'node:path';
import { machineInventorySchema } from '@vigie/core';
import type { CommandRunner, RunResult } from '../../exec';
import { createWindowsStateCollector, parseStateJson, stateScript, windowsSnapshot } from './state';

const text = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const fixture = (name: string): unknown => JSON.parse(text(name));
const result = (stdout: string): RunResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false });
const AT = new Date('2024-06-10T08:00:00Z');
const WATCH = { services: ['Spooler', 'W3SVC'], processes: ['nginx'] };

describe('the state script', () => {
  it('lists services only when some are watched, and asks Defender only without Security Center', () => {
    const withServices = stateScript({ services: true });
    expect(withServices).toContain('$r.services = @(Get-CimInstance -ClassName Win32_Service');
    expect(stateScript({ services: false })).not.toContain('Win32_Service');
    expect(withServices).toContain('Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct');
    expect(withServices).toMatch(/if \(\$r\.errors\.Contains\('securityCenter'\)\) \{ try \{ \$r\.defender = Get-MpComputerStatus/);
    expect(withServices).not.toMatch(/["\r\n]/);
  });
});

describe('Windows state snapshots', () => {
  it('a client: watched services and processes, Security Center products with real-time protection', () => {
    const parts = parseStateJson(fixture('state-client.json'));
    const snapshot = windowsSnapshot(parts, WATCH, AT);
    expect(snapshot.services.map((s) => [s.name, s.activeState, s.active])).toEqual([
      ['Spooler', 'failed', false],
      ['W3SVC', 'activating', false],
    ]);
    expect(snapshot.processes).toEqual([{ name: 'nginx', running: true, pids: [7312, 7320] }]);
    expect(snapshot.security.map((p) => [p.id, p.running, p.realtimeProtection])).toEqual([
      ['microsoft-defender', false, false],
      ['crowdstrike-falcon', true, true],
      ['acme-antivirus-pro-2024', true, true],
    ]);
    expect(snapshot.unavailable).toEqual([]);
    // Only the schema's fields go out (definitionsUpToDate and source stay in the agent).
    expect(Object.keys(snapshot.security[0]!).sort()).toEqual(['id', 'installed', 'name', 'realtimeProtection', 'running']);
    expect(machineInventorySchema.parse({ seq: 1, ...snapshot })).toEqual({ seq: 1, ...snapshot });
  });

  it('a server: no Security Center, Defender from Get-MpComputerStatus, an EDR from its process, one service as an object', () => {
    const snapshot = windowsSnapshot(parseStateJson(fixture('state-server.json')), { services: ['W3SVC'], processes: [] }, AT);
    expect(snapshot.services).toMatchObject([{ name: 'W3SVC', unit: 'W3SVC', active: true }]);
    expect(snapshot.security.map((p) => [p.id, p.running, p.realtimeProtection])).toEqual([
      ['microsoft-defender', true, true],
      ['sentinelone', true, null],
    ]);
    expect(snapshot.unavailable).toEqual([]);
    expect(machineInventorySchema.safeParse({ seq: 2, ...snapshot }).success).toBe(true);
  });

  it('a server without Defender: products from the processes only', () => {
    const snapshot = windowsSnapshot(parseStateJson(fixture('state-server-no-defender.json')), { services: [], processes: [] }, AT);
    expect(snapshot.security.map((p) => p.id)).toEqual(['eset']);
    expect(snapshot.unavailable).toEqual([]);
  });

  it('every source failed: unavailable, not "stopped" or "no antivirus"', () => {
    const snapshot = windowsSnapshot(parseStateJson(fixture('state-all-failed.json')), WATCH, AT);
    expect(snapshot.unavailable).toEqual(['services', 'processes', 'security']);
    expect(snapshot.services.every((s) => s.loadState === 'unknown')).toBe(true);
    expect(snapshot.security).toEqual([]);
    // With nothing to watch, a failed process list is not reported unavailable (as on Linux).
    expect(windowsSnapshot(parseStateJson(fixture('state-all-failed.json')), { services: [], processes: [] }, AT).unavailable).toEqual(['security']);
  });
});

describe('createWindowsStateCollector', () => {
  it('one PowerShell per snapshot, the watch list read each time, failures logged when they change', async () => {
    const outputs = [text('state-client.json'), text('state-server.json'), text('state-server.json'), text('state-all-failed.json')];
    const scripts: string[] = [];
    const runner: CommandRunner = async (_file, args) => {
      scripts.push(args[args.length - 1]!);
      return result(outputs.shift()!);
    };
    let watch = { services: [] as string[], processes: ['nginx'] };
    const logs: unknown[] = [];
    const collect = createWindowsStateCollector({ watch: () => watch, log: (msg, fields) => logs.push([msg, fields]), runner });

    expect((await collect()).processes).toEqual([{ name: 'nginx', running: true, pids: [7312, 7320] }]);
    expect(scripts[0]).not.toContain('Win32_Service');
    watch = { services: ['W3SVC'], processes: [] };
    expect((await collect()).services).toMatchObject([{ name: 'W3SVC', active: true }]);
    expect(scripts[1]).toContain('Win32_Service');
    await collect();
    // Windows Server's missing Security Center is expected when Defender answered: nothing logged so far.
    expect(logs).toEqual([]);
    const broken = await collect();
    expect(broken.unavailable).toEqual(['services', 'security']);
    expect(logs).toEqual([['some Windows state sources failed', { errors: expect.objectContaining({ services: 'Access denied ', defender: expect.any(String) }) }]]);
  });

  it('no PowerShell at all: every source unavailable', async () => {
    const runner: CommandRunner = async () => {
      throw Object.assign(new Error('spawn powershell.exe ENOENT'), { code: 'ENOENT' });
    };
    const logs: string[] = [];
    const snapshot = await createWindowsStateCollector({ watch: () => WATCH, log: (msg) => logs.push(msg), runner })();
    expect(snapshot.unavailable).toEqual(['services', 'processes', 'security']);
    expect(logs).toEqual(['some Windows state sources failed']);
  });
});
