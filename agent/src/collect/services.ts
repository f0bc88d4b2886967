import { execRunner, type CommandRunner } from '../exec';
import { isValidUnitName, normalizeUnit } from '../systemd';
import { listProcesses, processMatches, type ProcessInfo } from './processes';

/**
 * The state of the services and processes a policy names as critical (the "service stopped" alert rule).
 * systemd is asked once for all units (`systemctl show`, one block per unit); processes come from /proc, for
 * programs that are not systemd services or machines without systemd.
 */

export interface ServiceState {
  /** The name as the policy gave it. */
  name: string;
  /** The unit systemd resolved it to (an alias such as `sshd` resolves to `ssh.service` on Debian). */
  unit: string;
  /** `loaded`, `not-found`, `masked`…; `unknown` when systemd could not be asked, `invalid` for a bad name. */
  loadState: string;
  /** `active`, `inactive`, `failed`, `activating`…, or `unknown`. */
  activeState: string;
  subState: string;
  /** `enabled`, `disabled`, `static`…, '' when systemd has none. */
  unitFileState: string;
  exists: boolean;
  active: boolean;
}

export interface ProcessState {
  name: string;
  running: boolean;
  pids: number[];
}

export interface WatchedState {
  services: ServiceState[];
  processes: ProcessState[];
}

const SHOW_PROPERTIES = 'Id,Names,LoadState,ActiveState,SubState,UnitFileState';

/** `systemctl show` output: blocks of `Key=value` lines separated by blank lines, one block per unit. */
export function parseSystemctlShow(text: string): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  let current: Record<string, string> | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      current = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    if (!current) blocks.push((current = {}));
    current[line.slice(0, eq)] = line.slice(eq + 1).trim();
  }
  return blocks;
}

const unknownState = (name: string, unit: string, loadState: string): ServiceState => ({
  name,
  unit,
  loadState,
  activeState: 'unknown',
  subState: 'unknown',
  unitFileState: '',
  exists: false,
  active: false,
});

/** Asks systemd for the state of `names` (units, `.service` implied). Never throws for a missing systemd. */
export async function serviceStates(names: readonly string[], runner: CommandRunner = execRunner): Promise<ServiceState[]> {
  const valid = names.filter(isValidUnitName);
  const units = valid.map(normalizeUnit);
  let blocks: Record<string, string>[] = [];
  if (units.length > 0) {
    try {
      const result = await runner('systemctl', ['show', '-p', SHOW_PROPERTIES, ...units], { timeoutMs: 15_000 });
      blocks = parseSystemctlShow(result.stdout);
    } catch {
      blocks = [];
    }
  }
  return names.map((name) => {
    if (!isValidUnitName(name)) return unknownState(name, name, 'invalid');
    const unit = normalizeUnit(name);
    // Matched by name (Id or one of its aliases), not by position: a unit systemd refuses leaves no block.
    const block = blocks.find((b) => b.Id === unit || (b.Names ?? '').split(' ').includes(unit));
    if (!block) return unknownState(name, unit, 'unknown');
    const loadState = block.LoadState ?? 'unknown';
    const activeState = block.ActiveState ?? 'unknown';
    return {
      name,
      unit: block.Id ?? unit,
      loadState,
      activeState,
      subState: block.SubState ?? 'unknown',
      unitFileState: block.UnitFileState ?? '',
      exists: loadState !== 'not-found' && loadState !== 'unknown',
      active: activeState === 'active' || activeState === 'reloading',
    };
  });
}

/** Which of `names` run, from a process list. */
export function processStates(names: readonly string[], processes: readonly ProcessInfo[]): ProcessState[] {
  return names.map((name) => {
    const pids = processes.filter((p) => processMatches(p, name)).map((p) => p.pid);
    return { name, running: pids.length > 0, pids };
  });
}

export interface WatchOptions {
  services?: readonly string[];
  processes?: readonly string[];
  runner?: CommandRunner;
  procRoot?: string;
}

export async function collectWatched(options: WatchOptions): Promise<WatchedState> {
  const processNames = options.processes ?? [];
  const [services, list] = await Promise.all([
    serviceStates(options.services ?? [], options.runner),
    processNames.length > 0 ? listProcesses(options.procRoot) : Promise.resolve([]),
  ]);
  return { services, processes: processStates(processNames, list) };
}
