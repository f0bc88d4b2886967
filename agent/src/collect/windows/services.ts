import type { ProcessState, ServiceState } from '../services';
import { psArray, psNumber, psString } from './powershell';

/**
 * Watched Windows services and processes, in the types the Linux side produces, so the server reads both
 * alike. The state script lists *every* service (`Win32_Service`) and process (`Get-Process`) and the watched
 * names are matched here: a name from a policy never goes into a PowerShell command line.
 *
 * Windows service states onto systemd's vocabulary (what the server's "service stopped" rule reads):
 *
 * | Win32_Service.State              | activeState    | active |
 * | -------------------------------- | -------------- | ------ |
 * | Running                          | active         | yes    |
 * | Start Pending, Continue Pending  | activating     | no     |
 * | Stop Pending                     | deactivating   | no     |
 * | Paused, Pause Pending            | inactive       | no     |
 * | Stopped, last exit code 0 / 1077 | inactive       | no     |
 * | Stopped, any other exit code     | failed         | no     |
 * | Unknown                          | unknown        | no     |
 *
 * 1077 is ERROR_SERVICE_NEVER_STARTED (a manual service not started since boot). `subState` keeps Windows'
 * own word (`running`, `stopped`, `start-pending`, `paused`…); `unitFileState` the start mode (`auto`,
 * `manual`, `disabled`, `boot`, `system`). `loadState` is `loaded` for a service that exists, `not-found` for
 * one that does not, `unknown` when the services could not be listed, `invalid` for a name Windows cannot have.
 */

export interface WindowsService {
  name: string;
  displayName: string;
  state: string;
  startMode: string;
  exitCode: number | undefined;
  processId: number | undefined;
}

export interface WindowsProcess {
  pid: number;
  /** Get-Process' ProcessName: the executable's name without `.exe`. */
  name: string;
}

/** `@(Get-CimInstance Win32_Service | Select-Object Name, DisplayName, State, StartMode, ExitCode, ProcessId)`. */
export function parseServiceList(v: unknown): WindowsService[] {
  return psArray(v).flatMap((s) => {
    const name = psString(s.Name);
    if (!name) return [];
    return [
      {
        name,
        displayName: psString(s.DisplayName) ?? name,
        state: psString(s.State) ?? 'Unknown',
        startMode: psString(s.StartMode) ?? '',
        exitCode: psNumber(s.ExitCode),
        processId: psNumber(s.ProcessId),
      },
    ];
  });
}

/** `@(Get-Process | Select-Object Id, ProcessName)`; the System Idle Process (pid 0) is left out. */
export function parseProcessList(v: unknown): WindowsProcess[] {
  return psArray(v).flatMap((p) => {
    const pid = psNumber(p.Id);
    const name = psString(p.ProcessName);
    return pid !== undefined && pid > 0 && name ? [{ pid, name }] : [];
  });
}

const ERROR_SERVICE_NEVER_STARTED = 1077;

export function activeStateOf(service: Pick<WindowsService, 'state' | 'exitCode'>): string {
  switch (service.state.toLowerCase()) {
    case 'running':
      return 'active';
    case 'start pending':
    case 'continue pending':
      return 'activating';
    case 'stop pending':
      return 'deactivating';
    case 'paused':
    case 'pause pending':
      return 'inactive';
    case 'stopped':
      return service.exitCode && service.exitCode !== ERROR_SERVICE_NEVER_STARTED ? 'failed' : 'inactive';
    default:
      return 'unknown';
  }
}

/** Windows service names: up to 256 characters, no slash or backslash. */
export const isValidServiceName = (name: string) => name.length > 0 && name.length <= 256 && !/[\\/\p{Cc}]/u.test(name);

const unknownService = (name: string, loadState: string): ServiceState => ({
  name,
  unit: name,
  loadState,
  activeState: 'unknown',
  subState: 'unknown',
  unitFileState: '',
  exists: false,
  active: false,
});

/**
 * The state of each watched name, from the service list (undefined: it could not be read). Windows service
 * names are case-insensitive; a name matches the service's name first, then its display name.
 */
export function windowsServiceStates(names: readonly string[], services: readonly WindowsService[] | undefined): ServiceState[] {
  return names.map((name) => {
    if (!isValidServiceName(name)) return unknownService(name, 'invalid');
    if (!services) return unknownService(name, 'unknown');
    const wanted = name.toLowerCase();
    const service = services.find((s) => s.name.toLowerCase() === wanted) ?? services.find((s) => s.displayName.toLowerCase() === wanted);
    if (!service) return { ...unknownService(name, 'not-found'), activeState: 'inactive', subState: 'dead' };
    const activeState = activeStateOf(service);
    return {
      name,
      unit: service.name,
      loadState: 'loaded',
      activeState,
      subState: service.state.toLowerCase().replace(/\s+/g, '-'),
      unitFileState: service.startMode.toLowerCase(),
      exists: true,
      active: activeState === 'active',
    };
  });
}

/** `nginx`, `nginx.exe` and `NGINX.EXE` are one program on Windows. */
const programName = (name: string) => name.toLowerCase().replace(/\.exe$/, '');

export function windowsProcessStates(names: readonly string[], processes: readonly WindowsProcess[]): ProcessState[] {
  return names.map((name) => {
    const wanted = programName(name);
    const pids = processes.filter((p) => programName(p.name) === wanted).map((p) => p.pid).sort((a, b) => a - b);
    return { name, running: pids.length > 0, pids };
  });
}
