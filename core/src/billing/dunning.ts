/**
 * The dunning ladder of an unpaid invoice: steps at fixed offsets (in days) after the due date, sent in
 * order, one at a time. The invoice workflow asks for the next step, sleeps until its date, sends it,
 * records it and asks again; a payment ends the ladder at once.
 *
 * Rules: the next step is the first step after the last one sent (steps are never sent backwards, and a
 * step skipped by a manual send is not sent later). When the workflow was late (several steps already
 * due), it sends the next one now and the others follow one by one: a formal notice never arrives without
 * the reminders before it.
 */
import { AppError } from '../errors';
import { addDays, dayNumber, type LocalDate } from './calendar';

export type DunningKind = 'reminder' | 'second_reminder' | 'formal_notice';

export interface DunningStep {
  /** Days after the due date (may be negative for a courtesy reminder before it). */
  offsetDays: number;
  kind: DunningKind;
}

/** The usual ladder: +7 reminder, +15 second reminder, +30 formal notice (mise en demeure). */
export const DEFAULT_DUNNING_STEPS: readonly DunningStep[] = [
  { offsetDays: 7, kind: 'reminder' },
  { offsetDays: 15, kind: 'second_reminder' },
  { offsetDays: 30, kind: 'formal_notice' },
];

export type DunningNext =
  | {
      status: 'scheduled';
      step: DunningStep;
      /** The date the step is scheduled for (due date + offset). */
      scheduledOn: LocalDate;
      /** When to send it: its scheduled date, or `now` when that date has passed. */
      sendOn: LocalDate;
      /** `sendOn` is today: send it now. */
      dueNow: boolean;
    }
  | { status: 'done'; reason: 'paid' | 'all_sent' };

/** Throws `invalid_input` unless offsets are whole and strictly increasing and each kind appears once. */
export function checkDunningSteps(steps: readonly DunningStep[]): void {
  steps.forEach((s, i) => {
    if (!Number.isSafeInteger(s.offsetDays)) throw AppError.invalid(`dunning step ${i}: offset must be a whole number of days, not ${s.offsetDays}`);
    if (i > 0 && s.offsetDays <= steps[i - 1]!.offsetDays) throw AppError.invalid(`dunning step ${i}: offsets must be strictly increasing`);
    if (steps.findIndex((t) => t.kind === s.kind) !== i) throw AppError.invalid(`dunning step ${i}: kind ${s.kind} appears twice`);
  });
}

/**
 * The next dunning step of an invoice due on `dueDate`, on local date `now`, or `done` once paid
 * (`paidAt` not null) or when every step after the last one sent has been sent. `sentSteps`: kinds already sent.
 */
export function dunningSteps(dueDate: LocalDate, steps: readonly DunningStep[], now: LocalDate, paidAt: LocalDate | null, sentSteps: readonly DunningKind[]): DunningNext {
  checkDunningSteps(steps);
  const today = dayNumber(now, 'now');
  dayNumber(dueDate, 'dueDate');
  if (paidAt !== null) {
    dayNumber(paidAt, 'paidAt');
    return { status: 'done', reason: 'paid' };
  }
  const sent = new Set(sentSteps);
  const unknown = sentSteps.find((k) => !steps.some((s) => s.kind === k));
  if (unknown) throw AppError.invalid(`sent dunning step ${unknown} is not in the schedule`);
  const lastSent = Math.max(-1, ...steps.map((s, i) => (sent.has(s.kind) ? i : -1)));
  const step = steps[lastSent + 1];
  if (!step) return { status: 'done', reason: 'all_sent' };
  const scheduledOn = addDays(dueDate, step.offsetDays);
  const sendOn = dayNumber(scheduledOn) < today ? now : scheduledOn;
  return { status: 'scheduled', step, scheduledOn, sendOn, dueNow: sendOn === now };
}

/** Unpaid after its due date. */
export const isOverdue = (dueDate: LocalDate, now: LocalDate, paidAt: LocalDate | null): boolean => paidAt === null && dayNumber(now, 'now') > dayNumber(dueDate, 'dueDate');
