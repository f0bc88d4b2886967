import { onBeforeUnmount, onMounted, ref } from 'vue';
import { FLEET_EVENTS, type FleetMachine } from '@vigie/core';
import { streamFleet } from '@/api/fleet';
import { ApiError } from '@/api/http';

export interface FleetStreamOptions {
  /** Only this machine's events (the machine page). */
  machineId?: () => string | undefined;
  onMachine: (machine: FleetMachine) => void;
  /** Subscribed (again): what changed while not connected is only in a fresh read of the list. */
  onReady?: () => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The live fleet while the component lives: connects to `GET /machines/stream`, reconnects when the server
 * ends the stream (it does every few minutes) or the connection drops, waiting longer after each failure,
 * and gives up only when the session is over or the role may not watch. `connected` drives the "live" badge.
 */
export function useFleetStream(options: FleetStreamOptions) {
  const connected = ref(false);
  let controller: AbortController | null = null;
  let stopped = false;
  let restarting = false;

  async function run(): Promise<void> {
    let failures = 0;
    while (!stopped) {
      controller = new AbortController();
      try {
        await streamFleet(
          (event) => {
            if (event.event === FLEET_EVENTS.ready) {
              connected.value = true;
              failures = 0;
              options.onReady?.();
            } else if (event.event === FLEET_EVENTS.machine) {
              options.onMachine(JSON.parse(event.data) as FleetMachine);
            }
          },
          controller.signal,
          options.machineId?.(),
        );
      } catch (err) {
        if (err instanceof ApiError && (err.status === 401 || err.status === 403)) stopped = true;
        else if (!restarting) failures += 1;
      }
      connected.value = false;
      if (restarting) {
        restarting = false;
        continue;
      }
      if (!stopped) await sleep(failures === 0 ? 500 : Math.min(30_000, 1000 * 2 ** failures));
    }
  }

  /** Reconnects now (e.g. another machine's page). */
  function restart(): void {
    restarting = true;
    controller?.abort();
  }

  onMounted(() => void run());
  onBeforeUnmount(() => {
    stopped = true;
    controller?.abort();
  });
  return { connected, restart };
}
