import { computed, onBeforeUnmount, ref } from 'vue';
import type { MachineCommand } from '@vigie/core';
import { getCommand } from '@/api/rmm';
import { isFinalCommand } from './rmm-format';

const POLL_MS = 1000;
/** How long a script cancelled while it ran is still followed, for its agent's report (what it wrote). */
const REPORT_WAIT_MS = 15_000;

/** Cancelled while running: the agent's report of the stopped script comes a moment after the cancel. */
const awaitsReport = (c: MachineCommand) => c.status === 'cancelled' && !!c.startedAt && c.durationMs === null;

/**
 * Follows one command live: reads `GET /commands/:id` every second until it is final (succeeded, failed,
 * expired or cancelled), then stops; a script cancelled while it ran is followed a little longer, until its
 * output arrives. A failed read is shown and tried again at the next tick; tracking another command, `stop()`
 * or the component going away ends it.
 */
export function useCommandProgress(onFinal?: (command: MachineCommand) => void) {
  const command = ref<MachineCommand | null>(null);
  const error = ref<unknown>(null);
  const final = computed(() => !!command.value && isFinalCommand(command.value));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let finalSeen = false;
  let reportDeadline = 0;
  const followed = (c: MachineCommand) => !isFinalCommand(c) || (awaitsReport(c) && Date.now() < reportDeadline);

  function stop(): void {
    generation += 1;
    clearTimeout(timer);
  }

  function schedule(mine: number): void {
    timer = setTimeout(() => void poll(mine), POLL_MS);
  }

  async function poll(mine: number): Promise<void> {
    const id = command.value?.id;
    if (!id) return;
    try {
      const next = await getCommand(id);
      if (mine !== generation) return;
      command.value = next;
      error.value = null;
      if (isFinalCommand(next) && !finalSeen) {
        finalSeen = true;
        onFinal?.(next);
      }
      if (!followed(next)) return;
    } catch (err) {
      if (mine !== generation) return;
      error.value = err;
      if (command.value && !followed(command.value)) return;
    }
    schedule(mine);
  }

  /** Shows `initial` at once and follows it until it is final. */
  function track(initial: MachineCommand): void {
    stop();
    command.value = initial;
    error.value = null;
    finalSeen = isFinalCommand(initial);
    reportDeadline = Date.now() + REPORT_WAIT_MS;
    if (followed(initial)) schedule(generation);
  }

  function clear(): void {
    stop();
    command.value = null;
    error.value = null;
  }

  onBeforeUnmount(stop);
  return { command, error, final, track, stop, clear };
}
