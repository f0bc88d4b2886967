/**
 * Durations are integer minutes everywhere; people type hours. Accepted: "10", "7,5" / "7.5" (decimal
 * hours, at most two decimals), "1 h 30", "1h30", "1:30" (hours and minutes), with an optional sign (+, -, −).
 * Anything else is NaN. Decimal hours are rounded to the minute (0,33 h = 20 min).
 */
export function parseHoursToMinutes(text: string): number {
  const compact = text.trim().replace(/[\s\u00a0\u202f]/g, '').replace(/\u2212/g, '-').toLowerCase();
  const signed = /^([+-]?)(.*)$/.exec(compact)!;
  const sign = signed[1] === '-' ? -1 : 1;
  const body = signed[2]!;
  let minutes: number;
  const hm = /^(\d{1,6})(?:h|:)(\d{1,2})?(?:min|m)?$/.exec(body);
  const decimal = /^(\d{1,6})(?:[.,](\d{1,2}))?h?$/.exec(body);
  if (hm) {
    const mins = Number(hm[2] ?? '0');
    if (mins >= 60) return Number.NaN;
    minutes = Number(hm[1]) * 60 + mins;
  } else if (decimal) {
    const fraction = (decimal[2] ?? '').padEnd(2, '0');
    // Hundredths of an hour to minutes without going through a float: 0,25 h = 25 × 60 / 100 = 15 min.
    minutes = Number(decimal[1]) * 60 + Math.round((Number(fraction) * 60) / 100);
  } else {
    return Number.NaN;
  }
  return sign * minutes;
}

/**
 * Minutes back to the text of an input: decimal hours when exact ("10", "7,5", "1,25"), else hours and
 * minutes ("1 h 20"), which parseHoursToMinutes reads back to the same minutes.
 */
export function minutesToHoursInput(minutes: number, locale: string): string {
  const sign = minutes < 0 ? '-' : '';
  const abs = Math.abs(minutes);
  const h = Math.floor(abs / 60);
  const m = abs % 60;
  if (m === 0) return `${sign}${h}`;
  if ((m * 100) % 60 === 0) {
    const hundredths = String((m * 100) / 60).padStart(2, '0').replace(/0$/, '');
    return `${sign}${h}${locale.startsWith('fr') ? ',' : '.'}${hundredths}`;
  }
  return `${sign}${h} h ${String(m).padStart(2, '0')}`;
}

/** The blank-or-hours value of an optional hours input: null when empty, NaN when unreadable. */
export function optionalHours(text: string | null | undefined): number | null {
  return text === null || text === undefined || text.trim() === '' ? null : parseHoursToMinutes(text);
}

/**
 * Minutes for reading: "12 h 30" in French, "12 h 30 min" in English, "10 h" for whole hours, "1 000 h"
 * grouped; signed adds "+" to positive amounts; negative ones take a real minus sign (−).
 */
export function formatHours(minutes: number, locale: string, signed = false): string {
  const sign = minutes < 0 ? '\u2212' : signed && minutes > 0 ? '+' : '';
  const abs = Math.abs(Math.round(minutes));
  const h = new Intl.NumberFormat(locale).format(Math.floor(abs / 60));
  const m = abs % 60;
  if (m === 0) return `${sign}${h} h`;
  return locale.startsWith('fr') ? `${sign}${h} h ${String(m).padStart(2, '0')}` : `${sign}${h} h ${m} min`;
}

/** Minutes as decimal hours for an axis or a compact label: "12,5 h", "−2 h". */
export function formatDecimalHours(minutes: number, locale: string): string {
  const value = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(Math.abs(minutes) / 60);
  return `${minutes < 0 ? '\u2212' : ''}${value} h`;
}

/**
 * A duration of work as typed in a time entry: hours as parseHoursToMinutes reads them ("1 h 30", "1,5",
 * "2"), or minutes with their unit ("90 min", "45 mn", "45m"). NaN when unreadable or not positive.
 */
export function parseDurationToMinutes(text: string): number {
  const compact = text.trim().replace(/[\s\u00a0\u202f]/g, '').toLowerCase();
  const minutesOnly = /^(\d{1,5})(?:min|mn|m)$/.exec(compact);
  const minutes = minutesOnly ? Number(minutesOnly[1]) : parseHoursToMinutes(compact);
  return Number.isFinite(minutes) && minutes > 0 ? minutes : Number.NaN;
}

/** An elapsed time as a clock: "0:07:42", "1:30:05". */
export function formatClock(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
