import { execRunner, type CommandRunner } from '../../exec';
import { buildSnapshot, type Log, type StateSnapshot, type WatchList } from '../../telemetry/machine-state';
import { psErrors, psPart, psScript, runPowerShellJson, isObject } from './powershell';
import { parseDefenderStatus, parseSecurityCenter, windowsSecurityProducts, type WindowsSecurityProduct } from './security';
import { parseProcessList, parseServiceList, windowsProcessStates, windowsServiceStates, type WindowsProcess, type WindowsService } from './services';

/**
 * The Windows `inventory` snapshot (watched services and processes, antivirus/EDR products) from one
 * PowerShell run, in the StateSnapshot the Linux collector sends. A part that fails is reported in the
 * snapshot's `unavailable` like on Linux, and logged when that changes.
 */

/** The state script; the service list (a few hundred entries) is only asked for when services are watched. */
export function stateScript(opts: { services: boolean }): string {
  return psScript([
    '$r = [ordered]@{ errors = [ordered]@{} }',
    ...(opts.services
      ? [psPart('services', '$r.services = @(Get-CimInstance -ClassName Win32_Service | Select-Object Name, DisplayName, State, StartMode, ExitCode, ProcessId)')]
      : []),
    psPart('processes', '$r.processes = @(Get-Process | Select-Object Id, ProcessName)'),
    psPart(
      'securityCenter',
      '$r.securityCenter = @(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | Select-Object displayName, instanceGuid, productState, pathToSignedReportingExe, timestamp)',
    ),
    // Windows Server has no Security Center: Defender is asked directly there (and only there).
    `if ($r.errors.Contains('securityCenter')) { ${psPart(
      'defender',
      '$r.defender = Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled, AMRunningMode, AntivirusSignatureAge',
    )} }`,
  ]);
}

export interface WindowsStateParts {
  /** undefined: not asked, or the part failed (see `errors`). */
  services: WindowsService[] | undefined;
  processes: WindowsProcess[] | undefined;
  security: WindowsSecurityProduct[] | undefined;
  errors: Record<string, string>;
}

/** The state script's JSON. */
export function parseStateJson(json: unknown): WindowsStateParts {
  if (!isObject(json)) throw new Error('state: the script printed no JSON object');
  const errors = psErrors(json.errors);
  const has = (part: string) => part in json && !(part in errors);
  const processes = has('processes') ? parseProcessList(json.processes) : undefined;
  return {
    services: has('services') ? parseServiceList(json.services) : undefined,
    processes,
    security: windowsSecurityProducts({
      securityCenter: has('securityCenter') ? parseSecurityCenter(json.securityCenter) : undefined,
      defender: has('defender') ? parseDefenderStatus(json.defender) : undefined,
      defenderAnswered: has('defender'),
      processes,
    }),
    errors,
  };
}

/** The snapshot from the parts and the watch list. */
export function windowsSnapshot(parts: WindowsStateParts, watch: WatchList, collectedAt: Date): StateSnapshot {
  const snapshot = buildSnapshot({
    collectedAt,
    services: windowsServiceStates(watch.services, parts.services),
    // Like Linux: with nothing to watch, an unreadable process list is not "unavailable".
    processes: watch.processes.length === 0 ? [] : parts.processes ? windowsProcessStates(watch.processes, parts.processes) : undefined,
    security: parts.security,
  });
  // buildSnapshot says null (Linux cannot tell); Windows sources do tell.
  snapshot.security = (parts.security ?? []).map((p) => ({ id: p.id, name: p.name, installed: p.installed, running: p.running, realtimeProtection: p.realtimeProtection }));
  return snapshot;
}

export interface WindowsStateCollectorOptions {
  watch: () => WatchList;
  log: Log;
  runner?: CommandRunner;
}

export function createWindowsStateCollector(opts: WindowsStateCollectorOptions): () => Promise<StateSnapshot> {
  const runner = opts.runner ?? execRunner;
  let reported = '';
  return async () => {
    const watch = opts.watch();
    let parts: WindowsStateParts;
    try {
      parts = parseStateJson(await runPowerShellJson(runner, stateScript({ services: watch.services.length > 0 }), { maxOutputBytes: 4 * 1024 * 1024 }));
    } catch (err) {
      // No PowerShell answer at all: every source is unavailable for this snapshot.
      parts = { services: undefined, processes: undefined, security: undefined, errors: { powershell: (err as Error).message } };
    }
    // No Security Center on Windows Server is expected when Defender answered instead.
    const { securityCenter, ...others } = parts.errors;
    const errors = securityCenter && !('defender' in parts.errors) ? others : parts.errors;
    const failures = JSON.stringify(errors);
    if (failures !== reported) {
      if (Object.keys(errors).length) opts.log('some Windows state sources failed', { errors });
      else if (reported) opts.log('Windows state sources available again');
      reported = failures;
    }
    return windowsSnapshot(parts, watch, new Date());
  };
}
