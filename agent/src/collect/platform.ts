import path from 'node:path';
import { createLinuxCollector } from './linux';
import { windowsEventSource } from './windows/events';
import { createWindowsCollector } from './windows/metrics';
import { createWindowsStateCollector } from './windows/state';
import { createStateCollector, journalEventSource, type EventSource, type Log, type StateSnapshot, type WatchList } from '../telemetry/machine-state';

/** What the agent can read on this operating system; a source missing here is simply not reported. */
export interface PlatformSources {
  collectMetrics?: () => Promise<object>;
  collectState?: () => Promise<StateSnapshot>;
  readEvents?: EventSource;
}

export interface PlatformSourceOptions {
  platform: NodeJS.Platform;
  dataDir: string;
  /** The services and processes to watch, read at every snapshot (a policy can change them). */
  watch: () => WatchList;
  log: Log;
}

/** Where the cursor of the last system events sent is kept (next to the agent's other state). */
export const EVENTS_CURSOR_FILE = 'events.cursor';

/**
 * The metrics, state and event sources of one operating system. Linux reads /proc, systemd and journald;
 * Windows runs Windows PowerShell 5.1 (collect/windows: CIM, Get-Process, Get-WinEvent — written and tested
 * on Linux against recorded-shape fixtures, not yet run on Windows). Anything else reports heartbeats only.
 */
export function platformSources(opts: PlatformSourceOptions): PlatformSources {
  const cursorFile = path.join(opts.dataDir, EVENTS_CURSOR_FILE);
  if (opts.platform === 'linux') {
    const metrics = createLinuxCollector();
    return {
      collectMetrics: () => metrics.collect(),
      collectState: createStateCollector({ watch: opts.watch, log: opts.log }),
      readEvents: journalEventSource({ cursorFile, log: opts.log }),
    };
  }
  if (opts.platform === 'win32') {
    const metrics = createWindowsCollector({ log: opts.log });
    return {
      collectMetrics: () => metrics.collect(),
      collectState: createWindowsStateCollector({ watch: opts.watch, log: opts.log }),
      readEvents: windowsEventSource({ cursorFile, log: opts.log }),
    };
  }
  return {};
}
