import type { Logger } from 'pino';
import { ALERT_REPEAT_SECONDS, evaluateOffline, type AlertReading } from '@vigie/core';
import { alertsRepo, type Db, type OfflineTransition } from '@vigie/db';
import type { AlertSignal } from './evaluate';

export interface OfflineSweepResult {
  breach: number;
  repeat: number;
  clear: number;
  failed: number;
}

function readingOf(t: OfflineTransition, now: string): AlertReading {
  const { breached, ...reading } = evaluateOffline({}, { kind: 'presence', lastSeenAt: t.lastSeenAt, now, offlineAfterSeconds: t.offlineAfterSeconds });
  if (t.transition !== 'clear') return reading;
  // Still silent but cleared: the machine or the rule was disabled, or the machine left the rule's scope.
  if (breached) return { ...reading, detail: `Surveillance arrêtée (machine ou règle désactivée) ; ${reading.detail}` };
  return { ...reading, detail: `De nouveau en ligne (dernier signal ${t.lastSeenAt})` };
}

/**
 * One pass of offline detection over every tenant: Postgres says which offline rules change state (a machine
 * silent past its threshold without an open alert, one still silent and not told for a while, an open alert
 * whose machine spoke again), and each is signalled. Decided from Postgres, so a pass is cheap (one query when
 * nothing changes), idempotent, and a restart loses nothing.
 */
export async function sweepOffline(db: Db, signal: AlertSignal, log: Logger, repeatEverySeconds = ALERT_REPEAT_SECONDS): Promise<OfflineSweepResult> {
  const result: OfflineSweepResult = { breach: 0, repeat: 0, clear: 0, failed: 0 };
  const now = new Date().toISOString();
  for (const t of await alertsRepo.offlineTransitions(db, repeatEverySeconds)) {
    try {
      await signal({ tenantId: t.tenantId, machineId: t.machineId, ruleId: t.ruleId }, { state: t.transition === 'clear' ? 'clear' : 'breached', at: now, reading: readingOf(t, now) });
      result[t.transition]++;
    } catch (err) {
      result.failed++;
      log.warn({ err, ...t }, 'offline alert signal failed; the next sweep tries again');
    }
  }
  return result;
}

/** Sweeps every `everyMs`, skipping a tick while the previous pass still runs; stop() waits for it. */
export function startOfflineSweep(opts: { db: Db; signal: AlertSignal; log: Logger; everyMs?: number; repeatEverySeconds?: number }): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const pass = async () => {
    try {
      const r = await sweepOffline(opts.db, opts.signal, opts.log, opts.repeatEverySeconds);
      if (r.breach || r.clear || r.failed) opts.log.info(r, 'offline sweep');
    } catch (err) {
      opts.log.warn({ err }, 'offline sweep failed');
    } finally {
      running = null;
    }
  };
  const timer = setInterval(() => {
    running ??= pass();
  }, opts.everyMs ?? 15_000);
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
