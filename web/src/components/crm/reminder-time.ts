/** Times of the reminder forms: the browser's local time, as `<input type="datetime-local">` holds it. */

const pad = (n: number) => String(n).padStart(2, '0');

/** A Date as the value of a datetime-local input (local time, minutes). */
export function toLocalInput(date: Date): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A datetime-local value to ISO 8601 (UTC, which the API takes); '' when it is not a date. */
export function localInputToIso(value: string): string {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

/** In one hour from now. */
export const inOneHour = () => new Date(Date.now() + 3_600_000);

/** Tomorrow at 9:00, local time. */
export function tomorrowAtNine(): Date {
  const d = new Date();
  d.setDate(d.getDate() + 1);
  d.setHours(9, 0, 0, 0);
  return d;
}
