import { CANCELLABLE_COMMAND_STATUSES, FINAL_COMMAND_STATUSES, type AlertSeverity, type AlertStatus, type CommandStatus, type MachineCommand, type Role } from '@vigie/core';
import { relativeTime } from '@/components/fleet/fleet-format';

/** Colours and icons of the chips, the same on the machine page and the alert lists. */
export const COMMAND_STATUS_COLOR: Record<CommandStatus, string> = {
  queued: 'grey-6',
  sent: 'blue-grey-6',
  running: 'blue-7',
  succeeded: 'positive',
  failed: 'negative',
  expired: 'orange-9',
  cancelled: 'grey-8',
};
export const COMMAND_STATUS_ICON: Record<CommandStatus, string> = {
  queued: 'schedule',
  sent: 'send',
  running: 'autorenew',
  succeeded: 'check_circle',
  failed: 'error',
  expired: 'timer_off',
  cancelled: 'cancel',
};
export const ALERT_SEVERITY_COLOR: Record<AlertSeverity, string> = { info: 'blue-6', warning: 'orange-9', critical: 'negative' };
export const ALERT_SEVERITY_ICON: Record<AlertSeverity, string> = { info: 'info', warning: 'warning', critical: 'report' };
export const ALERT_STATUS_COLOR: Record<AlertStatus, string> = { open: 'negative', resolved: 'positive' };

/**
 * "il y a 2 minutes" for a past moment. A time the server wrote a moment ago may be a little ahead of the
 * page's clock (refreshed every few seconds, maybe slightly off): it reads "maintenant", never "dans 2 s".
 */
export const sinceText = (iso: string | null | undefined, now: number, locale: string) => (iso ? relativeTime(iso, Math.max(now, Date.parse(iso)), locale) : '');

export const isFinalCommand = (command: Pick<MachineCommand, 'status'>) => FINAL_COMMAND_STATUSES.includes(command.status);
export const isCancellableCommand = (command: Pick<MachineCommand, 'status'>) => CANCELLABLE_COMMAND_STATUSES.includes(command.status);

/** What a command did, in a few words beside its name: the script's first line, the service, the delay. */
export function commandDetail(command: Pick<MachineCommand, 'name' | 'params'>): string {
  const p = command.params;
  if (command.name === 'run-script') {
    const first = String(p.script ?? '').split('\n').find((line) => line.trim()) ?? '';
    return first.length > 60 ? `${first.slice(0, 59)}…` : first;
  }
  if (command.name === 'restart-service') return String(p.service ?? '');
  return '';
}

/** A number in the interface language: 1.5 → "1,5" in French. */
export const formatNumber = (value: number, locale: string, digits = 2) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);

/** Milliseconds in words: "850 ms", "2,4 s", "3 min 05 s". */
export function formatDurationMs(ms: number | null | undefined, locale: string): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${formatNumber(ms / 1000, locale, 1)} s`;
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

export type DurationUnit = 's' | 'min' | 'h';
export const DURATION_UNITS: readonly DurationUnit[] = ['s', 'min', 'h'];
export const UNIT_SECONDS: Record<DurationUnit, number> = { s: 1, min: 60, h: 3600 };

/** Seconds in the largest unit that divides them: 300 → 5 min, 7200 → 2 h, 90 → 90 s. */
export function splitSeconds(seconds: number): { value: number; unit: DurationUnit } {
  if (seconds > 0 && seconds % 3600 === 0) return { value: seconds / 3600, unit: 'h' };
  if (seconds > 0 && seconds % 60 === 0) return { value: seconds / 60, unit: 'min' };
  return { value: seconds, unit: 's' };
}

/** Seconds in words: "0 s", "5 min", "2 min 30 s", "1 h 30 min". */
export function secondsText(seconds: number, locale: string): string {
  if (seconds <= 0 || !Number.isFinite(seconds)) return '0 s';
  const h = Math.floor(seconds / 3600);
  const min = Math.floor((seconds % 3600) / 60);
  const s = Math.round((seconds % 60) * 100) / 100;
  return [h ? `${formatNumber(h, locale)} h` : '', min ? `${min} min` : '', s ? `${formatNumber(s, locale)} s` : ''].filter(Boolean).join(' ');
}

/** Who manages machines and alert rules (the API's own rule): disable, enable, delete, tags, rules. */
export const RMM_MANAGERS: readonly Role[] = ['admin', 'manager'];
