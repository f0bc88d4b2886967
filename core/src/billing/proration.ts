/**
 * Subscription proration. A billing period is [start, start + 1, 3 or 12 months); a contract active on
 * only part of it pays amount = full × days used / days in period, where full = quantity × unit price and
 * both roundings are half up and explicit: full = round(quantityMilli × unitPriceCents / 1000), prorated
 * = round(quantityMilli × unitPriceCents × daysUsed / (1000 × daysInPeriod)) — one rounding from the exact
 * product, not a rounding of a rounded amount. A whole period gives `full` exactly. Computed in BigInt,
 * so no product can lose precision.
 *
 * Dates are calendar dates; the service span is [from, toExclusive) — a contract ending on 15 March
 * inclusive has `toExclusive` 16 March — and is clipped to the period. Periods are anchored on day 1–28 of
 * a month so every period of a contract starts on the same day.
 */
import { AppError } from '../errors';
import { addMonths, dayNumber, type LocalDate } from './calendar';

export type BillingFrequency = 'monthly' | 'quarterly' | 'yearly';

/** Months in one period of each frequency. */
export const MONTHS_PER_PERIOD: Readonly<Record<BillingFrequency, number>> = { monthly: 1, quarterly: 3, yearly: 12 };

export interface BillingPeriod {
  start: LocalDate;
  /** The first day of the next period. */
  endExclusive: LocalDate;
}

/** The period starting on `start` (day 1–28). */
export function billingPeriod(frequency: BillingFrequency, start: LocalDate): BillingPeriod {
  if (!(frequency in MONTHS_PER_PERIOD)) throw AppError.invalid(`unknown billing frequency ${String(frequency)}`);
  return { start, endExclusive: addMonths(start, MONTHS_PER_PERIOD[frequency]) };
}

/** The `index`-th period (0-based) from an anchor, e.g. the contract's first period. */
export function nthBillingPeriod(frequency: BillingFrequency, anchor: LocalDate, index: number): BillingPeriod {
  return billingPeriod(frequency, addMonths(anchor, MONTHS_PER_PERIOD[frequency] * index));
}

/** round(n / d), half up (away from zero for negatives), exact on BigInts; d > 0. */
function divRoundHalfUpBig(n: bigint, d: bigint): bigint {
  if (n < 0n) return -divRoundHalfUpBig(-n, d);
  return (2n * n + d) / (2n * d);
}

export interface ProrationInput {
  period: BillingPeriod;
  quantityMilli: number;
  unitPriceCents: number;
  /** First day of service (inclusive); null: since before the period. */
  from: LocalDate | null;
  /** Day after the last day of service; null: beyond the period. */
  toExclusive: LocalDate | null;
}

export interface Proration {
  daysInPeriod: number;
  daysUsed: number;
  /** round(quantity × unit price): the amount of a whole period. */
  fullCents: number;
  amountCents: number;
}

export function prorate(input: ProrationInput): Proration {
  const { quantityMilli, unitPriceCents } = input;
  if (!Number.isSafeInteger(quantityMilli) || quantityMilli < 0) throw AppError.invalid(`quantity must be a whole number of thousandths ≥ 0, not ${quantityMilli}`);
  if (!Number.isSafeInteger(unitPriceCents)) throw AppError.invalid(`unit price must be whole cents, not ${unitPriceCents}`);
  const start = dayNumber(input.period.start, 'period.start');
  const end = dayNumber(input.period.endExclusive, 'period.endExclusive');
  if (end <= start) throw AppError.invalid('a billing period must end after it starts');
  const from = input.from === null ? start : dayNumber(input.from, 'from');
  const to = input.toExclusive === null ? end : dayNumber(input.toExclusive, 'toExclusive');
  if (to < from) throw AppError.invalid('service cannot end before it starts');
  const daysInPeriod = end - start;
  const daysUsed = Math.max(0, Math.min(to, end) - Math.max(from, start));
  const product = BigInt(quantityMilli) * BigInt(unitPriceCents);
  const fullCents = Number(divRoundHalfUpBig(product, 1000n));
  const amountCents = daysUsed === daysInPeriod ? fullCents : Number(divRoundHalfUpBig(product * BigInt(daysUsed), 1000n * BigInt(daysInPeriod)));
  return { daysInPeriod, daysUsed, fullCents, amountCents };
}
