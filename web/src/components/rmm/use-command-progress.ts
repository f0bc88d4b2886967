import { computed, onBeforeUnmount, ref } from 'vue';
import type { MachineCommand } from '@vigie/core';
import { getCommand } from '@/api/rmm';
import { isFinalCommand } from './rmm-format';

const POLL_MS = 1000;

/**
 * Follows one command live: reads `GET /commands/:id` every second until it is final (succeeded, failed or
 * expired), then stops. A failed read is shown and tried again at the next tick; tracking another command,
 * `stop()` or the component going away ends it.
 */
export function useCommandProgress(onFinal?: (command: MachineCommand) => void) {
  const command = ref<MachineCommand | null>(null);
  const error = ref<unknown>(null);
  const final = computed(() => !!command.value && isFinalCommand(command.value));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

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
      if (isFinalCommand(next)) {
        onFinal?.(next);
        return;
      }
    } catch (err) {
      if (mine !== generation) return;
      error.value = err;
    }
    schedule(mine);
  }

  /** Shows `initial` at once and follows it until it is final. */
  function track(initial: MachineCommand): void {
    stop();
    command.value = initial;
    error.value = null;
    if (!isFinalCommand(initial)) schedule(generation);
  }

  function clear(): void {
    stop();
    command.value = null;
    error.value = null;
  }

  onBeforeUnmount(stop);
  return { command, error, final, track, stop, clear };
}
