import fs from 'node:fs';
import path from 'node:path';
import { activeStateOf, parseProcessList, parseServiceList, windowsProcessStates, windowsServiceStates } from './services';

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;
const CLIENT = fixture('state-client.json');

describe('Windows services onto the systemd vocabulary', () => {
  it('maps every Win32_Service state', () => {
    expect(activeStateOf({ state: 'Running', exitCode: 0 })).toBe('active');
    expect(activeStateOf({ state: 'Start Pending', exitCode: 0 })).toBe('activating');
    expect(activeStateOf({ state: 'Continue Pending', exitCode: 0 })).toBe('activating');
    expect(activeStateOf({ state: 'Stop Pending', exitCode: 0 })).toBe('deactivating');
    expect(activeStateOf({ state: 'Paused', exitCode: 0 })).toBe('inactive');
    expect(activeStateOf({ state: 'Pause Pending', exitCode: 0 })).toBe('inactive');
    expect(activeStateOf({ state: 'Stopped', exitCode: 0 })).toBe('inactive');
    expect(activeStateOf({ state: 'Stopped', exitCode: 1077 })).toBe('inactive');
    expect(activeStateOf({ state: 'Stopped', exitCode: 1067 })).toBe('failed');
    expect(activeStateOf({ state: 'Stopped', exitCode: undefined })).toBe('inactive');
    expect(activeStateOf({ state: 'Unknown', exitCode: 0 })).toBe('unknown');
  });

  it('matches watched names by service name, then display name, case-insensitively', () => {
    const services = parseServiceList(CLIENT.services);
    expect(services).toHaveLength(7);
    const states = windowsServiceStates(['spooler', 'Windows Audio', 'wuauserv', 'W3SVC', 'MSSQL$SQLEXPRESS', 'RemoteRegistry', 'nope', 'bad\\name', ''], services);
    expect(states.map((s) => [s.name, s.unit, s.loadState, s.activeState, s.subState, s.unitFileState, s.exists, s.active])).toEqual([
      ['spooler', 'Spooler', 'loaded', 'failed', 'stopped', 'auto', true, false],
      ['Windows Audio', 'AudioSrv', 'loaded', 'active', 'running', 'auto', true, true],
      ['wuauserv', 'wuauserv', 'loaded', 'inactive', 'stopped', 'manual', true, false],
      ['W3SVC', 'W3SVC', 'loaded', 'activating', 'start-pending', 'auto', true, false],
      ['MSSQL$SQLEXPRESS', 'MSSQL$SQLEXPRESS', 'loaded', 'inactive', 'paused', 'auto', true, false],
      ['RemoteRegistry', 'RemoteRegistry', 'loaded', 'inactive', 'stopped', 'disabled', true, false],
      ['nope', 'nope', 'not-found', 'inactive', 'dead', '', false, false],
      ['bad\\name', 'bad\\name', 'invalid', 'unknown', 'unknown', '', false, false],
      ['', '', 'invalid', 'unknown', 'unknown', '', false, false],
    ]);
  });

  it('says unknown (not stopped) when the service list could not be read', () => {
    expect(windowsServiceStates(['Spooler'], undefined)).toEqual([
      { name: 'Spooler', unit: 'Spooler', loadState: 'unknown', activeState: 'unknown', subState: 'unknown', unitFileState: '', exists: false, active: false },
    ]);
  });

  it('reads one service printed as an object', () => {
    expect(parseServiceList({ Name: 'W3SVC', DisplayName: 'WWW', State: 'Running', StartMode: 'Auto', ExitCode: 0, ProcessId: 2212 })).toEqual([
      { name: 'W3SVC', displayName: 'WWW', state: 'Running', startMode: 'Auto', exitCode: 0, processId: 2212 },
    ]);
  });
});

describe('Windows processes', () => {
  it('matches names with or without .exe, in any case, pid 0 left out', () => {
    const processes = parseProcessList(CLIENT.processes);
    expect(processes.some((p) => p.pid === 0)).toBe(false);
    expect(windowsProcessStates(['nginx.exe', 'SVCHOST', 'node', 'Idle', 'postgres'], processes)).toEqual([
      { name: 'nginx.exe', running: true, pids: [7312, 7320] },
      { name: 'SVCHOST', running: true, pids: [812, 1024] },
      { name: 'node', running: true, pids: [6040] },
      { name: 'Idle', running: false, pids: [] },
      { name: 'postgres', running: false, pids: [] },
    ]);
  });
});
