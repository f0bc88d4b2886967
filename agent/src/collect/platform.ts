import path from 'node:path';
import { createLinuxCollector } from './linux';
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

/** The metrics, state and event sources of one operating system. */
export function platformSources(opts: PlatformSourceOptions): PlatformSources {
  if (opts.platform === 'linux') {
    const metrics = createLinuxCollector();
    return {
      collectMetrics: () => metrics.collect(),
      collectState: createStateCollector({ watch: opts.watch, log: opts.log }),
      readEvents: journalEventSource({ cursorFile: path.join(opts.dataDir, EVENTS_CURSOR_FILE), log: opts.log }),
    };
  }
  return {};
}
