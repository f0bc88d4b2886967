import { divRoundHalfUp, type SubscriptionTerms } from '@vigie/core';

/**
 * What time is worth, as pure integer arithmetic: minutes × cents per hour / 60, rounded half up to the
 * cent (79.1666… → 7917 for 50 min at 95 €/h). Covered minutes are worth 0 to the client.
 */
export function minutesValueCents(minutes: number, hourlyRateCents: number): number {
  return divRoundHalfUp(minutes * hourlyRateCents, 60);
}

export const PERIOD_MONTHS: Record<SubscriptionTerms['billingPeriod'], number> = { monthly: 1, quarterly: 3, yearly: 12 };

const daysIn = (year: number, month0: number) => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `date` plus `months` calendar months, the day clamped to the month's length: from a start on the 31st,
 * periods begin on the 28th/29th in February and on the 31st again in March.
 */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const index = y * 12 + (m - 1) + months;
  const year = Math.floor(index / 12);
  const month0 = index - year * 12;
  return `${pad(year, 4)}-${pad(month0 + 1)}-${pad(Math.min(d, daysIn(year, month0)))}`;
}

/**
 * The billing period [from, to) that contains `date`, periods of `months` months counted from the
 * contract's start date (always from the start, so clamped days do not drift). ISO dates compare as strings.
 */
export function billingPeriodOf(startDate: string, months: number, date: string): { from: string; to: string } {
  const [y0, m0] = startDate.split('-').map(Number) as [number, number];
  const [y, m] = date.split('-').map(Number) as [number, number];
  let k = Math.floor(((y - y0) * 12 + (m - m0)) / months);
  while (addMonths(startDate, k * months) > date) k--;
  while (addMonths(startDate, (k + 1) * months) <= date) k++;
  return { from: addMonths(startDate, k * months), to: addMonths(startDate, (k + 1) * months) };
}

/** Of `minutes`, how many the included allowance still covers after `used` minutes this period. */
export function coveredByAllowance(minutes: number, includedMinutes: number, usedMinutes: number): number {
  return Math.min(minutes, Math.max(0, includedMinutes - usedMinutes));
}

/** A timer's elapsed time as an entry: whole minutes rounded up, at least 1, at most one day (1440). */
export function timerMinutes(startedAt: string, stoppedAt: string): number {
  const elapsed = Date.parse(stoppedAt) - Date.parse(startedAt);
  return Math.min(24 * 60, Math.max(1, Math.ceil(elapsed / 60_000)));
}
