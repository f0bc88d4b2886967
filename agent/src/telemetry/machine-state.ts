import { execRunner, type CommandRunner } from '../exec';
import { createJournalReader, type JournalBatch, type SystemEvent } from '../collect/events';
import { listProcesses } from '../collect/processes';
import { detectSecurityProducts, type SecurityProduct } from '../collect/security';
import { processStates, serviceStates, type ProcessState, type ServiceState } from '../collect/services';

/**
 * The machine's state as the agent reports it (kind `inventory`: watched services and processes, antivirus/EDR
 * products) and its critical system events (kind `events`). On a machine without systemd, /proc or journald a
 * source is reported "unavailable" in every snapshot (so the server does not read it as "everything stopped"),
 * and logged once.
 */

export type StateSource = 'services' | 'processes' | 'security';

/** What goes out as `inventory` (the sequence number is added when it is queued). */
export interface StateSnapshot {
  collectedAt: string;
  services: Omit<ServiceState, 'unitFileState'>[];
  processes: ProcessState[];
  security: (SecurityProduct & { realtimeProtection: boolean | null })[];
  unavailable: StateSource[];
}

/** What goes out as `events`, one entry per journal entry. */
export interface ReportedEvent {
  at: string;
  priority: number;
  severity: SystemEvent['severity'];
  source: string;
  unit?: string;
  message: string;
  pid?: number;
}

export interface WatchList {
  services: readonly string[];
  processes: readonly string[];
}

/** `nginx, postgresql` → ['nginx', 'postgresql'] (the command line's list, until a policy sends one); absent → watch nothing. */
export function nameList(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(',').map((n) => n.trim()).filter(Boolean))];
}

export type Log = (msg: string, fields?: Record<string, unknown>) => void;

/** systemd could not be asked at all: every watched service came back `unknown` (no systemctl, no bus). */
export function systemdUnavailable(services: readonly ServiceState[]): boolean {
  return services.length > 0 && services.every((s) => s.loadState === 'unknown');
}

/** The snapshot from what the collectors returned (undefined: that collector could not run). */
export function buildSnapshot(parts: {
  collectedAt: Date;
  services: readonly ServiceState[];
  processes: readonly ProcessState[] | undefined;
  security: readonly SecurityProduct[] | undefined;
}): StateSnapshot {
  const unavailable: StateSource[] = [];
  if (systemdUnavailable(parts.services)) unavailable.push('services');
  if (!parts.processes) unavailable.push('processes');
  if (!parts.security) unavailable.push('security');
  return {
    collectedAt: parts.collectedAt.toISOString(),
    services: parts.services.map(({ unitFileState: _unitFileState, ...s }) => s),
    processes: [...(parts.processes ?? [])],
    // Linux products are detected by files and daemons: whether real-time protection is on is not known.
    security: (parts.security ?? []).map((p) => ({ ...p, realtimeProtection: null })),
    unavailable,
  };
}

/** Logs a source's unavailability once, and its return once. */
function onceLogger(log: Log, what: string) {
  const down = new Set<string>();
  return (sources: readonly string[]) => {
    for (const s of sources) if (!down.has(s)) log(`${what} unavailable on this machine; reported as such`, { source: s });
    for (const s of down) if (!sources.includes(s)) log(`${what} available again`, { source: s });
    down.clear();
    for (const s of sources) down.add(s);
  };
}

export interface StateCollectorOptions {
  /** Read at every snapshot, so a new policy applies without restarting the collector. */
  watch: () => WatchList;
  log: Log;
  runner?: CommandRunner;
  procRoot?: string;
  root?: string;
}

/** The default state collector: systemd for services, /proc for processes, files + daemons for security products. */
export function createStateCollector(opts: StateCollectorOptions): () => Promise<StateSnapshot> {
  const runner = opts.runner ?? execRunner;
  const announce = onceLogger(opts.log, 'state source');
  const watchedProcesses = async (names: readonly string[]): Promise<ProcessState[] | undefined> => {
    if (!names.length) return [];
    try {
      return processStates(names, await listProcesses(opts.procRoot));
    } catch {
      return undefined;
    }
  };
  return async () => {
    const watch = opts.watch();
    const [services, processes, security] = await Promise.all([
      serviceStates(watch.services, runner),
      watchedProcesses(watch.processes),
      detectSecurityProducts({ runner, ...(opts.root ? { root: opts.root } : {}) }).then(
        (s) => s.products,
        () => undefined,
      ),
    ]);
    const snapshot = buildSnapshot({ collectedAt: new Date(), services, processes, security });
    announce(snapshot.unavailable);
    return snapshot;
  };
}

export function toReportedEvent(e: SystemEvent): ReportedEvent {
  return {
    at: e.at,
    priority: e.priority,
    severity: e.severity,
    source: e.source,
    ...(e.unit ? { unit: e.unit } : {}),
    message: e.message,
    ...(e.pid ? { pid: e.pid } : {}),
  };
}

/** NATS refuses messages over its max payload (1 MiB by default): events go in chunks well under it. */
export const MAX_EVENTS_PER_MESSAGE = 500;
export const MAX_EVENTS_BYTES = 512 * 1024;

/** Splits events into messages of at most `maxCount` events and about `maxBytes` of JSON (at least one each). */
export function chunkEvents<T>(events: readonly T[], maxCount = MAX_EVENTS_PER_MESSAGE, maxBytes = MAX_EVENTS_BYTES): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const e of events) {
    const size = Buffer.byteLength(JSON.stringify(e)) + 1;
    if (current.length && (current.length >= maxCount || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(e);
    bytes += size;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

/** Where system events come from: a read, then a commit once they are in the outbox (see collect/events). */
export interface EventSource {
  read(): Promise<JournalBatch>;
  commit(cursor: string | undefined): void;
}

const NOTHING: JournalBatch = { events: [], cursor: undefined, more: false };

/**
 * journald as an event source that never throws: without journalctl it says so once and stops asking; a
 * journalctl that fails (no permission, broken journal) is logged when its error changes and tried again.
 */
export function journalEventSource(opts: { cursorFile: string; log: Log; runner?: CommandRunner }): EventSource {
  const reader = createJournalReader({ cursorFile: opts.cursorFile, ...(opts.runner ? { runner: opts.runner } : {}) });
  let missing = false;
  let lastError: string | undefined;
  return {
    async read() {
      if (missing) return NOTHING;
      try {
        const batch = await reader.read();
        if (lastError) opts.log('system events available again');
        lastError = undefined;
        return batch;
      } catch (err) {
        const message = (err as Error).message;
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          missing = true;
          opts.log('system events unavailable on this machine (no journalctl); not collected', { err: message });
        } else if (message !== lastError) opts.log('system events unavailable for now', { err: message });
        lastError = message;
        return NOTHING;
      }
    },
    commit: (cursor) => reader.commit(cursor),
  };
}
