import { addBusinessMinutes, businessMinutesBetween, type BusinessCalendar, type SlaState, type SlaTargetState, type TicketStatus } from '@vigie/core';

/**
 * One SLA target's clock, counted in business minutes on the tenant's calendar. Pure and deterministic
 * (the ticket workflow keeps it in memory and carries it over continueAsNew).
 *
 * Time counts only while the clock runs (`since` set): it is paused while the ticket waits on the
 * customer (and, for the first response, while it is resolved), and stops for good when the target is
 * met (first public staff reply, resolution) or the ticket closes. Reopening a resolved ticket restarts
 * its resolution clock where it stopped: time spent resolved does not count, like time spent waiting.
 */
export interface SlaClock {
  /** Business minutes allowed; null: no target (the policy sets none for this priority). */
  target: number | null;
  /** Business minutes counted before `since`. */
  spent: number;
  /** Running since this instant; null while paused or stopped. */
  since: string | null;
  warned: boolean;
  breached: boolean;
  /** Met (or missed, when breached): the clock no longer runs. */
  stopped: boolean;
  /** The breach instant last computed (kept when stopped or breached, null while paused). */
  dueAt: string | null;
}

export type SlaTarget = 'firstResponse' | 'resolution';
export const SLA_TARGETS: readonly SlaTarget[] = ['firstResponse', 'resolution'];

export function newClock(target: number | null, since: string): SlaClock {
  return { target, spent: 0, since, warned: false, breached: false, stopped: false, dueAt: null };
}

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/** Adds the running segment to `spent` and stops counting. */
export function pause(clock: SlaClock, at: string, cal: BusinessCalendar): void {
  if (clock.since === null) return;
  clock.spent += businessMinutesBetween(clock.since, later(at, clock.since), cal);
  clock.since = null;
  if (!clock.breached) clock.dueAt = null;
}

export function resume(clock: SlaClock, at: string): void {
  if (!clock.stopped && clock.since === null) clock.since = at;
}

/** The target is met at `at` (missed if its time was already used up). */
export function stop(clock: SlaClock, at: string, cal: BusinessCalendar): void {
  if (clock.stopped) return;
  const dueAt = clock.dueAt;
  pause(clock, at, cal);
  clock.dueAt = dueAt;
  if (clock.target !== null && clock.spent >= clock.target) clock.breached = true;
  clock.stopped = true;
}

/** A stopped clock counts again (a resolved ticket was reopened); paused until its status lets it run. */
export function reopen(clock: SlaClock): void {
  clock.stopped = false;
}

export const warningMinutes = (target: number, warningPercent: number) => Math.floor((target * warningPercent) / 100);

/** When the clock warns and breaches if nothing changes; null when it is not running or has no target. */
export function deadlines(clock: SlaClock, warningPercent: number, cal: BusinessCalendar): { warnAt: string | null; breachAt: string | null } {
  if (clock.stopped || clock.since === null || clock.target === null) return { warnAt: null, breachAt: null };
  const at = (minutes: number) => (minutes - clock.spent <= 0 ? clock.since! : addBusinessMinutes(clock.since!, minutes - clock.spent, cal));
  return {
    warnAt: clock.warned ? null : at(warningMinutes(clock.target, warningPercent)),
    breachAt: clock.breached ? null : at(clock.target),
  };
}

export function targetState(clock: SlaClock): SlaTargetState {
  if (clock.target === null) return 'none';
  if (clock.stopped) return clock.breached ? 'missed' : 'met';
  if (clock.breached) return 'breached';
  if (clock.since === null) return 'paused';
  return clock.warned ? 'warning' : 'running';
}

/** The ticket's SLA at a glance: the worst of its targets. */
export function overallState(clocks: SlaClock[]): SlaState {
  const withTarget = clocks.filter((c) => c.target !== null);
  if (withTarget.length === 0) return 'none';
  if (withTarget.some((c) => c.breached)) return 'breached';
  if (withTarget.some((c) => c.warned && !c.stopped)) return 'warning';
  return 'ok';
}

/** Statuses in which the clocks run (the ticket is in the provider's hands). */
export const RUNNING_STATUSES: readonly TicketStatus[] = ['open', 'in_progress'];
