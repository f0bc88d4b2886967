/**
 * Internal helpers of the planning functions: parsing instants and dates, and the span of a local date
 * in a time zone. Not exported from the package; the public form of a date's start is `startOfLocalDate`.
 */
import { DateTime } from 'luxon';
import { AppError } from '../errors';
import { addBusinessMinutes, type BusinessCalendar } from '../tickets/business-hours';
import type { Absence } from './availability';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Milliseconds of an ISO date-time (an offset or Z; without one it is read as UTC, like the business-hours functions). */
export function parseInstant(iso: string, what: string): number {
  const parsed = typeof iso === 'string' ? DateTime.fromISO(iso, { zone: 'utc' }) : null;
  if (!parsed?.isValid) throw AppError.invalid(`${what} is not an ISO date-time: ${String(iso)}`);
  return parsed.toMillis();
}

export const isoOf = (ms: number) => new Date(ms).toISOString();

/** Days since 1970-01-01 of a real date 'YYYY-MM-DD'; throws otherwise. */
export function parseDate(date: string, what: string): number {
  if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date)) {
    const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
    if (isoOf(ms).slice(0, 10) === date) return ms / DAY;
  }
  throw AppError.invalid(`${what} is not a date YYYY-MM-DD: ${String(date)}`);
}

export const dateOf = (day: number) => isoOf(day * DAY).slice(0, 10);

/** ISO weekday 1 (Mon) … 7 (Sun) of a day number (1970-01-01, day 0, was a Thursday). */
export const isoWeekdayOf = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1;

/** Whole minutes, ≥ 1 when `positive`, else ≥ 0; throws otherwise. */
export function wholeMinutes(value: number, what: string, positive: boolean): number {
  if (!Number.isSafeInteger(value) || value < (positive ? 1 : 0)) throw AppError.invalid(`${what} must be a whole number of minutes ${positive ? '≥ 1' : '≥ 0'}, not ${value}`);
  return value;
}

/** An absence as [startMs, endMs), or null when it is empty. Throws on instants that are not ISO. */
export function absenceSpan(absence: Absence): [number, number] | null {
  const start = parseInstant(absence.start, `absence ${absence.id}: start`);
  const end = parseInstant(absence.end, `absence ${absence.id}: end`);
  return end > start ? [start, end] : null;
}

const allDay = () => [{ start: '00:00', end: '24:00' }];
const AROUND_THE_CLOCK: BusinessCalendar['week'] = { 1: allDay(), 2: allDay(), 3: allDay(), 4: allDay(), 5: allDay(), 6: allDay(), 7: allDay() };

/**
 * Local dates of one time zone as spans of instants: date d is [start(d), start(d + 1)), where start(d)
 * is the first instant at which the clock shows d 00:00 or later — the rule the business-hours calendar
 * uses for every local time, so a date's working intervals always lie within its span. Memoised per call site.
 */
export function localDays(timeZone: string) {
  const starts = new Map<number, number>();
  /**
   * Asked of the business-hours functions rather than computed again: the opening of a calendar open
   * around the clock and closed the three days before d. Two days before d's UTC midnight the clock
   * shows d − 3 or d − 2 (offsets lie within −12 h … +14 h), so the first opening is d's midnight.
   */
  const start = (day: number): number => {
    let ms = starts.get(day);
    if (ms === undefined) {
      const calendar: BusinessCalendar = { timeZone, week: AROUND_THE_CLOCK, holidays: [dateOf(day - 3), dateOf(day - 2), dateOf(day - 1)] };
      ms = Date.parse(addBusinessMinutes(isoOf((day - 2) * DAY), 0, calendar));
      starts.set(day, ms);
    }
    return ms;
  };
  /** The local date whose span holds the instant: its UTC date, the day before or the day after. */
  const dayAt = (ms: number): number => {
    const utcDay = Math.floor(ms / DAY);
    for (let day = utcDay + 1; day > utcDay - 1; day--) if (start(day) <= ms) return day;
    return utcDay - 1;
  };
  return { start, dayAt };
}
