import { computed, ref, watch } from 'vue';
import { defineStore } from 'pinia';
import type { TimeEntry, Timer } from '@vigie/core';
import { ApiError } from '@/api/http';
import { getTimer, startTimer, stopTimer, type StartedTimer } from '@/api/time';
import { randomKey } from '@/utils/ids';
import { useAuthStore } from './auth';

/**
 * The signed-in technician's running timer. It lives on the server (GET /timer), so a reload, another tab
 * or another device shows the same one; the header widget and the ticket page read it from here.
 */
export const useTimerStore = defineStore('timer', () => {
  const auth = useAuthStore();
  const timer = ref<Timer | null>(null);
  /** false until the first answer, and while the time API is not there (404): no widget then. */
  const available = ref(false);
  const now = ref(Date.now());
  /** The last entry a timer became (stopped here or by a switch): the ticket's time panel reloads on it. */
  const lastEntry = ref<TimeEntry | null>(null);
  let ticking: ReturnType<typeof setInterval> | undefined;

  /** Seconds since the timer started (ticks every second while one runs). */
  const elapsedSeconds = computed(() => (timer.value ? Math.max(0, (now.value - Date.parse(timer.value.startedAt)) / 1000) : 0));

  watch(timer, (running) => {
    clearInterval(ticking);
    ticking = undefined;
    if (!running) return;
    now.value = Date.now();
    ticking = setInterval(() => (now.value = Date.now()), 1000);
  });

  async function refresh(): Promise<void> {
    if (!auth.isStaff) {
      timer.value = null;
      return;
    }
    try {
      timer.value = await getTimer();
      available.value = true;
    } catch (err) {
      // 404: the time API is not deployed; anything else: keep what we had, the next refresh will tell.
      if (err instanceof ApiError && err.status === 404) available.value = false;
    }
  }

  /** Starts on a ticket; a 409 (one runs elsewhere) is the caller's to handle (offer to switch). */
  async function start(ticketId: string, switchTimer = false): Promise<StartedTimer> {
    const started = await startTimer(ticketId, switchTimer);
    if (started.stoppedEntry) lastEntry.value = started.stoppedEntry;
    timer.value = { ticketId: started.ticketId, ticketNumber: started.ticketNumber, ticketSubject: started.ticketSubject, startedAt: started.startedAt };
    available.value = true;
    return started;
  }

  /** Stops into a pending time entry; "no timer is running" (stopped elsewhere) clears the widget too. */
  async function stop(body: { description?: string; billable: boolean }, idempotencyKey = randomKey()): Promise<TimeEntry> {
    try {
      const entry = await stopTimer(body, idempotencyKey);
      timer.value = null;
      lastEntry.value = entry;
      return entry;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) await refresh();
      throw err;
    }
  }

  return { timer, available, lastEntry, elapsedSeconds, refresh, start, stop };
});
