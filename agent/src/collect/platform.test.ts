import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EVENTS_CURSOR_FILE, platformSources } from './platform';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-platform-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const watch = () => ({ services: ['Spooler'], processes: ['nginx'] });

describe('platformSources', () => {
  it('win32: the PowerShell sources (here, with no powershell.exe, each says so and nothing throws out of state or events)', async () => {
    const logs: [string, Record<string, unknown> | undefined][] = [];
    const sources = platformSources({ platform: 'win32', dataDir: dir, watch, log: (msg, fields) => logs.push([msg, fields]) });
    expect(Object.keys(sources).sort()).toEqual(['collectMetrics', 'collectState', 'readEvents']);

    // The Windows collectors run C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe, which this machine has not.
    await expect(sources.collectMetrics!()).rejects.toMatchObject({ code: 'ENOENT' });
    const snapshot = await sources.collectState!();
    expect(snapshot.unavailable).toEqual(['services', 'processes', 'security']);
    expect(snapshot.services).toMatchObject([{ name: 'Spooler', loadState: 'unknown' }]);
    expect(await sources.readEvents!.read()).toEqual({ events: [], cursor: undefined, more: false });
    expect(logs.map(([msg]) => msg)).toEqual(['some Windows state sources failed', 'Windows events unavailable on this machine (no powershell.exe); not collected']);
    expect(logs[0]![1]).toEqual({ errors: { powershell: expect.stringMatching(/powershell\.exe ENOENT/) } });
    expect(fs.existsSync(path.join(dir, EVENTS_CURSOR_FILE))).toBe(false);
  });

  it('linux: /proc, systemd and journald; any other system: nothing but heartbeats', () => {
    expect(Object.keys(platformSources({ platform: 'linux', dataDir: dir, watch, log: () => undefined })).sort()).toEqual(['collectMetrics', 'collectState', 'readEvents']);
    expect(platformSources({ platform: 'darwin', dataDir: dir, watch, log: () => undefined })).toEqual({});
  });
});
