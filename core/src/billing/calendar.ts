/**
 * Calendar dates of billing ('YYYY-MM-DD', no time, no zone): issue dates, due dates, service periods.
 * The caller turns an instant into the tenant's local date before calling; here a date is a whole day and
 * the arithmetic is on day numbers (days since 1970-01-01), so nothing depends on a clock or a time zone.
 */
import { AppError } from '../errors';

/** A calendar date 'YYYY-MM-DD'. */
export type LocalDate = string;

const DAY_MS = 86_400_000;

/** Day number (days since 1970-01-01) of a real date 'YYYY-MM-DD'; throws `invalid_input` otherwise. */
export function dayNumber(date: LocalDate, what = 'date'): number {
  if (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date)) {
    const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
    if (new Date(ms).toISOString().slice(0, 10) === date) return ms / DAY_MS;
  }
  throw AppError.invalid(`${what} is not a date YYYY-MM-DD: ${String(date)}`);
}

export const dateOfDay = (day: number): LocalDate => new Date(day * DAY_MS).toISOString().slice(0, 10);

export const addDays = (date: LocalDate, days: number): LocalDate => dateOfDay(dayNumber(date) + days);

/** Days from `from` to `to` (negative when `to` is earlier). */
export const daysBetween = (from: LocalDate, to: LocalDate): number => dayNumber(to, 'to') - dayNumber(from, 'from');

/** Last day of the month of `date`. */
export function endOfMonth(date: LocalDate): LocalDate {
  dayNumber(date);
  const y = Number(date.slice(0, 4));
  const m = Number(date.slice(5, 7));
  return dateOfDay(Date.UTC(y, m, 0) / DAY_MS); // day 0 of the next month
}

/** Same day `months` months later. Only for days 1–28, which exist in every month (no clamping to decide). */
export function addMonths(date: LocalDate, months: number): LocalDate {
  dayNumber(date);
  const d = Number(date.slice(8, 10));
  if (d > 28) throw AppError.invalid(`addMonths needs a day of month from 1 to 28, not ${date}`);
  const index = Number(date.slice(0, 4)) * 12 + Number(date.slice(5, 7)) - 1 + months;
  const y = Math.floor(index / 12);
  return `${String(y).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}-${date.slice(8, 10)}`;
}

/** 'DD/MM/YYYY', the form printed on French invoices. */
export const frenchDate = (date: LocalDate): string => {
  dayNumber(date);
  return `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}`;
};

/** The calendar date of an instant in a time zone (the tenant's): issue dates, due dates, "today". */
export function localDateIn(ms: number, timeZone: string): LocalDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}
