/**
 * Business-hours calendar for ticket SLAs, as pure functions: working intervals per weekday in a time
 * zone, minus public holidays. Instants are UTC ISO strings in and out; durations are integer business
 * minutes. Runs inside Temporal workflows: no clock, no I/O; time-zone data comes from Luxon (Intl).
 *
 * How local times become instants (the only place DST matters):
 * - A working interval is the real time between its two local endpoints on that date, so a day keeps its
 *   local hours after a DST change, and an interval that contains the change is an hour shorter or longer.
 * - A local time is read as the first instant at which the local clock shows that time or later: a time
 *   skipped by a spring-forward change is the instant of the change (02:30 on the last Sunday of March in
 *   Paris is 03:00 CEST), and a time shown twice by a fall-back change is its first occurrence.
 * - '24:00' is accepted as the end of an interval (midnight at the end of the day); not as a start.
 * Intervals are half-open: a working day 09:00–18:00 contains 09:00 and not 18:00.
 */
import { DateTime, IANAZone } from 'luxon';
import { AppError } from '../errors';

type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export interface BusinessCalendar {
  /** IANA zone, e.g. 'Europe/Paris'. */
  timeZone: string;
  /** Working intervals per ISO weekday 1 (Mon) … 7 (Sun), local times 'HH:mm' ('24:00' as an end), non-overlapping, sorted; [] = closed. */
  week: Record<IsoWeekday, { start: string; end: string }[]>;
  /** Closed local dates 'YYYY-MM-DD' (public holidays). */
  holidays: string[];
}

const workingDay = () => [
  { start: '09:00', end: '12:30' },
  { start: '13:30', end: '18:00' },
];

/** Europe/Paris, Monday to Friday 09:00–12:30 and 13:30–18:00, no holidays. Frozen: copy it to change it. */
export const DEFAULT_CALENDAR: BusinessCalendar = deepFreeze({
  timeZone: 'Europe/Paris',
  week: { 1: workingDay(), 2: workingDay(), 3: workingDay(), 4: workingDay(), 5: workingDay(), 6: [], 7: [] },
  holidays: [],
});

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEKDAYS: readonly IsoWeekday[] = [1, 2, 3, 4, 5, 6, 7];
const NO_WORKING_TIME = 'the calendar has no working time in the week';

/** Minutes since local midnight of 'HH:mm' (00:00–23:59, or '24:00' when it may end an interval), else null. */
function clockMinutes(text: unknown, asEnd: boolean): number | null {
  if (typeof text !== 'string') return null;
  if (text === '24:00') return asEnd ? 1440 : null;
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** Days since 1970-01-01 of a real date 'YYYY-MM-DD', else null. */
function epochDayOf(date: unknown): number | null {
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const ms = Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  return new Date(ms).toISOString().slice(0, 10) === date ? ms / DAY : null;
}

function structuralProblems(c: BusinessCalendar): string[] {
  const reasons: string[] = [];
  if (typeof c?.timeZone !== 'string' || !IANAZone.isValidZone(c.timeZone)) reasons.push(`unknown time zone: ${String(c?.timeZone)}`);
  for (const day of WEEKDAYS) {
    const intervals: unknown = c?.week?.[day];
    if (!Array.isArray(intervals)) {
      reasons.push(`weekday ${day}: a list of intervals is required ([] when closed)`);
      continue;
    }
    let previousEnd: number | null = null;
    intervals.forEach((interval: { start?: unknown; end?: unknown } | null, index) => {
      const label = `weekday ${day}, interval ${index + 1}`;
      const start = clockMinutes(interval?.start, false);
      const end = clockMinutes(interval?.end, true);
      if (start === null) reasons.push(`${label}: start ${String(interval?.start)} is not a time HH:mm from 00:00 to 23:59`);
      if (end === null) reasons.push(`${label}: end ${String(interval?.end)} is not a time HH:mm from 00:01 to 24:00`);
      if (start === null || end === null) return;
      if (end <= start) reasons.push(`${label}: ends (${String(interval?.end)}) at or before it starts (${String(interval?.start)})`);
      else if (previousEnd !== null && start < previousEnd) reasons.push(`${label}: overlaps or comes before the previous interval`);
      previousEnd = Math.max(previousEnd ?? 0, end);
    });
  }
  if (!Array.isArray(c?.holidays)) reasons.push('holidays: a list of dates YYYY-MM-DD is required');
  else for (const date of c.holidays) if (epochDayOf(date) === null) reasons.push(`holiday ${String(date)} is not a date YYYY-MM-DD`);
  return reasons;
}

/** Why a calendar cannot be used, in words; [] when it is valid. A calendar never open is invalid too. */
export function validateCalendar(c: BusinessCalendar): string[] {
  const reasons = structuralProblems(c);
  if (reasons.length === 0 && WEEKDAYS.every((day) => c.week[day].length === 0)) reasons.push(NO_WORKING_TIME);
  return reasons;
}

interface Compiled {
  zone: IANAZone;
  /** Index 1…7: [startMinute, endMinute] local, sorted. */
  week: [number, number][][];
  holidays: Set<number>;
  hasWorkingTime: boolean;
}

function compile(c: BusinessCalendar): Compiled {
  const reasons = structuralProblems(c);
  if (reasons.length > 0) throw AppError.invalid(`invalid business calendar: ${reasons.join('; ')}`);
  const week: [number, number][][] = [[]];
  for (const day of WEEKDAYS) week[day] = c.week[day].map((i) => [clockMinutes(i.start, false)!, clockMinutes(i.end, true)!]);
  return {
    zone: IANAZone.create(c.timeZone),
    week,
    holidays: new Set(c.holidays.map((d) => epochDayOf(d)!)),
    hasWorkingTime: week.some((intervals) => intervals.length > 0),
  };
}

function parseInstant(iso: string, what: string): number {
  const parsed = typeof iso === 'string' ? DateTime.fromISO(iso, { zone: 'utc' }) : null;
  if (!parsed?.isValid) throw AppError.invalid(`${what} is not an ISO date-time: ${String(iso)}`);
  return parsed.toMillis();
}

const toIso = (ms: number) => new Date(ms).toISOString();

/** ISO weekday of a day number (1970-01-01, day 0, was a Thursday). */
const weekdayOf = (day: number) => ((((day + 3) % 7) + 7) % 7) + 1;

/** The local date (as a day number) shown in the zone at an instant. */
const localDay = (cal: Compiled, ms: number) => Math.floor((ms + cal.zone.offset(ms) * MINUTE) / DAY);

/**
 * The first instant at which the local clock shows `wall` (local time as milliseconds since the local
 * epoch) or later, knowing the offsets (minutes) in force before and after the one change there may be
 * around it. Shown twice (fall back): the earlier; never shown (spring forward): the instant of the change.
 */
function firstInstantShowing(zone: IANAZone, wall: number, before: number, after: number): number {
  const readings = [wall - before * MINUTE, wall - after * MINUTE].filter((ms, i) => zone.offset(ms) === (i === 0 ? before : after));
  if (readings.length > 0) return Math.min(...readings);
  // Skipped: the change happened between these two readings. Find its second (changes fall on whole seconds).
  let lo = Math.min(wall - before * MINUTE, wall - after * MINUTE);
  let hi = Math.max(wall - before * MINUTE, wall - after * MINUTE);
  const offsetBefore = zone.offset(lo);
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (zone.offset(mid) === offsetBefore) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The working intervals of one local date as [startMs, endMs) instants, in order ([] on a holiday). */
function dayIntervals(cal: Compiled, day: number): [number, number][] {
  const local = cal.week[weekdayOf(day)]!;
  if (local.length === 0 || cal.holidays.has(day)) return [];
  const midnight = day * DAY;
  // Every reading of this date's local times lies within a day of it; with the same offset on either side
  // there is no change to care about (no zone changes its clocks twice within three days).
  const before = cal.zone.offset(midnight - DAY);
  const after = cal.zone.offset(midnight + 2 * DAY);
  const instant = before === after ? (wall: number) => wall - before * MINUTE : (wall: number) => firstInstantShowing(cal.zone, wall, before, after);
  const intervals: [number, number][] = [];
  for (const [start, end] of local) {
    const from = instant(midnight + start * MINUTE);
    const to = instant(midnight + end * MINUTE);
    if (to > from) intervals.push([from, to]); // an interval inside a skipped hour vanishes
  }
  return intervals;
}

/** Working intervals that end after `fromMs`, in order, for ever (the calendar must have working time). */
function* intervalsAfter(cal: Compiled, fromMs: number): Generator<[number, number]> {
  // Earlier dates are over: their intervals end by the first instant showing this date's midnight.
  let day = localDay(cal, fromMs);
  let closedDays = 0;
  const maxClosedDays = 7 * (cal.holidays.size + 3);
  for (;;) {
    const intervals = dayIntervals(cal, day++);
    if (intervals.length === 0) {
      if (++closedDays > maxClosedDays) throw AppError.invalid(NO_WORKING_TIME);
      continue;
    }
    closedDays = 0;
    for (const interval of intervals) if (interval[1] > fromMs) yield interval;
  }
}

function wholeMinutes(minutes: number): number {
  if (!Number.isSafeInteger(minutes) || minutes < 0) throw AppError.invalid(`business minutes must be a whole number ≥ 0, not ${minutes}`);
  return minutes;
}

/**
 * The instant `minutes` business minutes after `fromIso` (UTC ISO in, UTC ISO out, as toISOString()).
 * With minutes > 0 it is the earliest such instant, so it may be the end of an interval (Friday 18:00,
 * not Monday 09:00). With 0: fromIso itself inside working time, the next opening outside it.
 * Throws (AppError invalid_input) on an invalid calendar, one without working time, or minutes that
 * are not a whole number ≥ 0.
 */
export function addBusinessMinutes(fromIso: string, minutes: number, c: BusinessCalendar): string {
  const cal = compile(c);
  const from = parseInstant(fromIso, 'fromIso');
  let remaining = wholeMinutes(minutes) * MINUTE;
  if (!cal.hasWorkingTime) throw AppError.invalid(NO_WORKING_TIME);
  for (const [start, end] of intervalsAfter(cal, from)) {
    const at = Math.max(start, from);
    if (remaining <= end - at) return toIso(at + remaining);
    remaining -= end - at;
  }
  throw new Error('unreachable: intervalsAfter never ends');
}

/** Whole business minutes between two instants, rounded down (0 if to <= from). */
export function businessMinutesBetween(fromIso: string, toIso: string, c: BusinessCalendar): number {
  const cal = compile(c);
  const from = parseInstant(fromIso, 'fromIso');
  const to = parseInstant(toIso, 'toIso');
  if (to <= from || !cal.hasWorkingTime) return 0;
  let total = 0;
  // One date further: after a fall back across midnight, an instant can show a date the clock has already left.
  for (let day = localDay(cal, from), last = localDay(cal, to) + 1; day <= last; day++) {
    for (const [start, end] of dayIntervals(cal, day)) total += Math.max(0, Math.min(end, to) - Math.max(start, from));
  }
  return Math.floor(total / MINUTE);
}

/** Is this instant inside working time (interval start included, end excluded). */
export function isBusinessTime(iso: string, c: BusinessCalendar): boolean {
  const cal = compile(c);
  const at = parseInstant(iso, 'iso');
  const day = localDay(cal, at);
  for (let d = day; d <= day + 1; d++) if (dayIntervals(cal, d).some(([start, end]) => start <= at && at < end)) return true;
  return false;
}

/** Easter Sunday of a Gregorian year (anonymous Gregorian algorithm, Meeus/Jones/Butcher), as a day number. */
function easterSunday(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const h = (19 * a + b - Math.floor(b / 4) - Math.floor((b - Math.floor((b + 8) / 25) + 1) / 3) + 15) % 30;
  const l = (32 + 2 * (b % 4) + 2 * Math.floor(c / 4) - h - (c % 4)) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return Date.UTC(year, month - 1, day) / DAY;
}

/**
 * The eleven French public holidays of a year, 'YYYY-MM-DD', sorted: 1 January, Easter Monday, 1 May,
 * 8 May, Ascension, Whit Monday, 14 July, 15 August, 1 November, 11 November, 25 December. Not the two
 * extra days of Alsace-Moselle (Good Friday, 26 December): add them to the calendar where they apply.
 */
export function frenchPublicHolidays(year: number): string[] {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) throw AppError.invalid(`year must be a whole number from 1583 to 9999, not ${year}`);
  const easter = easterSunday(year);
  const fixed = ['01-01', '05-01', '05-08', '07-14', '08-15', '11-01', '11-11', '12-25'].map((md) => `${year}-${md}`);
  const movable = [1, 39, 50].map((days) => new Date((easter + days) * DAY).toISOString().slice(0, 10));
  return [...fixed, ...movable].sort();
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
