/**
 * A technician's availability, as pure functions: the business minutes of their working week
 * (a `BusinessCalendar`: time zone, intervals per weekday, public holidays) minus their approved
 * absences. Instants are ISO strings (end exclusive); durations are integer minutes. No clock, no I/O:
 * safe inside Temporal workflows. All time-zone arithmetic is the business-hours module's.
 */
import { AppError } from '../errors';
import { businessMinutesBetween, type BusinessCalendar } from '../tickets/business-hours';
import { absenceSpan, dateOf, isoOf, localDays, parseDate, parseInstant } from './instants';

export const ABSENCE_KINDS = ['holiday', 'sick', 'training', 'other'] as const;
/** 'holiday' is a technician's leave; public holidays are the calendar's `holidays`. */
export type AbsenceKind = (typeof ABSENCE_KINDS)[number];

export const ABSENCE_STATUSES = ['requested', 'approved', 'rejected'] as const;
/** Only approved absences reduce availability; requested ones are still flagged as conflicts. */
export type AbsenceStatus = (typeof ABSENCE_STATUSES)[number];

export interface Absence {
  id: string;
  /** ISO instant, included. */
  start: string;
  /** ISO instant, excluded; an absence that ends at or before its start is empty. */
  end: string;
  kind: AbsenceKind;
  status: AbsenceStatus;
}

/** The union of the approved absences within [from, to), as disjoint sorted spans. */
function approvedAbsenceUnion(absences: Absence[], from: number, to: number): [number, number][] {
  const spans: [number, number][] = [];
  for (const absence of absences) {
    if (absence.status !== 'approved') continue;
    const span = absenceSpan(absence);
    if (span && span[0] < to && span[1] > from) spans.push([Math.max(span[0], from), Math.min(span[1], to)]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  const union: [number, number][] = [];
  for (const span of spans) {
    const last = union[union.length - 1];
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else union.push([...span]);
  }
  return union;
}

/**
 * Business minutes in [fromIso, toIso) outside every approved absence: the calendar's working time
 * (public holidays closed) minus the part of the approved absences that falls in working time, each
 * minute taken off once however many absences cover it. Requested and rejected absences change nothing.
 * To the minute: each stretch left between absences is rounded down, so with instants on whole minutes
 * (as people enter them) the figure is exact. 0 when to <= from.
 * Throws (AppError invalid_input) on an invalid calendar or instants that are not ISO.
 */
export function availableMinutes(calendar: BusinessCalendar, absences: Absence[], fromIso: string, toIso: string): number {
  const total = businessMinutesBetween(fromIso, toIso, calendar); // also validates the calendar
  const from = parseInstant(fromIso, 'fromIso');
  const to = parseInstant(toIso, 'toIso');
  const absent = approvedAbsenceUnion(absences, from, to);
  if (absent.length === 0) return total;
  let available = 0;
  let cursor = from;
  for (const [start, end] of absent) {
    if (start > cursor) available += businessMinutesBetween(isoOf(cursor), isoOf(start), calendar);
    cursor = end;
  }
  if (cursor < to) available += businessMinutesBetween(isoOf(cursor), isoOf(to), calendar);
  return available;
}

/**
 * The instant (UTC ISO) a local date starts in a time zone: the first at which the clock shows that date's
 * 00:00 or later (a midnight skipped by a clock change starts the date at the change). The span of a date
 * is from its start to the next date's start; its working intervals always lie within it.
 */
export function startOfLocalDate(date: string, timeZone: string): string {
  return isoOf(localDays(timeZone).start(parseDate(date, 'date')));
}

export interface DailyAvailability {
  /** Local date in the calendar's time zone. */
  date: string;
  minutes: number;
}

/**
 * `availableMinutes` for each local date from `fromDate` to `toDate` included (dates 'YYYY-MM-DD', in the
 * calendar's time zone), over the span of each date (see `startOfLocalDate`). [] when toDate < fromDate.
 */
export function dailyAvailability(calendar: BusinessCalendar, absences: Absence[], fromDate: string, toDate: string): DailyAvailability[] {
  const first = parseDate(fromDate, 'fromDate');
  const last = parseDate(toDate, 'toDate');
  if (last < first) return [];
  if (typeof calendar?.timeZone !== 'string') throw AppError.invalid('invalid business calendar: a time zone is required');
  const days = localDays(calendar.timeZone);
  const result: DailyAvailability[] = [];
  for (let day = first; day <= last; day++) {
    result.push({ date: dateOf(day), minutes: availableMinutes(calendar, absences, isoOf(days.start(day)), isoOf(days.start(day + 1))) });
  }
  return result;
}
