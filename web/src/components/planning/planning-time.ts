import type { Intervention } from '@/api/planning';

/**
 * Wall-clock dates and times in the tenant's time zone (the planning is the MSP's day, whatever the
 * browser's zone), and back to instants. Dates are YYYY-MM-DD, times HH:MM.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  return f;
}

export function browserZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** A zone Intl knows, else the browser's. */
export function safeZone(timeZone: string | null | undefined): string {
  if (!timeZone) return browserZone();
  try {
    partsFormatter(timeZone);
    return timeZone;
  } catch {
    return browserZone();
  }
}

export interface WallTime {
  date: string;
  time: string;
  /** Minutes since local midnight. */
  minutes: number;
}

export function wallTime(instant: string | number | Date, timeZone: string): WallTime {
  const parts = Object.fromEntries(partsFormatter(timeZone).formatToParts(new Date(instant)).map((p) => [p.type, p.value]));
  const hour = Number(parts.hour) % 24;
  const minute = Number(parts.minute);
  return {
    date: `${parts.year}-${parts.month}-${parts.day}`,
    time: `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`,
    minutes: hour * 60 + minute,
  };
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const p = Object.fromEntries(partsFormatter(timeZone).formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** The instant (UTC ISO) of a wall-clock date and time in the zone (a time skipped by a clock change moves forward). */
export function instantOf(date: string, time: string, timeZone: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let ms = guess - offsetAt(guess, timeZone);
  const second = guess - offsetAt(ms, timeZone);
  if (second !== ms) ms = second;
  return new Date(ms).toISOString();
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** ISO weekday, 1 = Monday. */
export function isoWeekday(date: string): number {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return day === 0 ? 7 : day;
}

export function startOfWeek(date: string): string {
  return addDays(date, 1 - isoWeekday(date));
}

export function startOfMonth(date: string): string {
  return `${date.slice(0, 7)}-01`;
}

export function daysBetween(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function todayIn(timeZone: string): string {
  return wallTime(Date.now(), timeZone).date;
}

export function minutesToTime(minutes: number): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  return `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/** The wall-clock start and end of an intervention, and its position in the day. */
export function placed(item: Intervention, timeZone: string): { start: WallTime; end: WallTime } {
  return { start: wallTime(item.startAt, timeZone), end: wallTime(item.endAt, timeZone) };
}

export const STATUS_COLOR: Record<Intervention['status'], string> = { planned: 'primary', done: 'positive', cancelled: 'grey-6' };
export const MODE_ICON: Record<Intervention['mode'], string> = { remote: 'computer', onsite: 'directions_car' };
