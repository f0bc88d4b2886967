/**
 * Subscription invoices of a billing run. Runs are calendar-aligned per tenant: a monthly run covers a
 * calendar month, a quarterly one a calendar quarter, a yearly one a calendar year; a subscription is
 * billed in advance, for the period the run opens, by its own billing period (a monthly subscription in a
 * quarterly run is billed for the three months). Quantities are counted at run time (machines, users or
 * sites of the client; 1 when flat), and a contract that starts or ends inside the period pays the days
 * it covers (see `prorate`).
 */
import { AppError } from '../errors';
import { addDays, daysBetween, type LocalDate } from './calendar';
import { billingPeriod, MONTHS_PER_PERIOD, prorate, type BillingFrequency } from './proration';

/** A subscription is billed by a run whose period is a whole number of its own (a yearly one waits for a yearly run). */
export const billedByRun = (billingPeriod: BillingFrequency, runFrequency: BillingFrequency): boolean => MONTHS_PER_PERIOD[runFrequency] % MONTHS_PER_PERIOD[billingPeriod] === 0;

export interface RunPeriod {
  start: LocalDate;
  /** Last day, inclusive (what the invoice prints). */
  end: LocalDate;
  endExclusive: LocalDate;
}

/** The calendar period of a frequency that contains `date`: its month, quarter or year. */
export function runPeriodContaining(frequency: BillingFrequency, date: LocalDate): RunPeriod {
  const year = date.slice(0, 4);
  const month = Number(date.slice(5, 7));
  const firstMonth = frequency === 'monthly' ? month : frequency === 'quarterly' ? month - ((month - 1) % 3) : 1;
  const start = `${year}-${String(firstMonth).padStart(2, '0')}-01`;
  const { endExclusive } = billingPeriod(frequency, start);
  return { start, end: addDays(endExclusive, -1), endExclusive };
}

/** Throws unless `start` is the first day of a period of that frequency. */
export function checkRunPeriodStart(frequency: BillingFrequency, start: LocalDate): RunPeriod {
  const period = runPeriodContaining(frequency, start);
  if (period.start !== start) throw AppError.invalid(`a ${frequency} billing period starts on ${period.start}, not ${start}`, [{ path: 'periodStart', message: `first day of the ${frequency === 'monthly' ? 'month' : frequency === 'quarterly' ? 'quarter' : 'year'}` }]);
  return period;
}

export type BillingBasis = 'per_machine' | 'per_user' | 'per_site' | 'flat';

export interface SubscriptionToBill {
  contractName: string;
  billingBasis: BillingBasis;
  /** The subscription's own period: its unit price is per this period. */
  billingPeriod: BillingFrequency;
  unitPriceCents: number;
  startDate: LocalDate;
  /** Last day of service, inclusive; null: open-ended. */
  endDate: LocalDate | null;
}

export interface SubscriptionLine {
  description: string;
  /** Thousandths of the unit (machines, users, sites, or 1). */
  quantityMilli: number;
  unitCode: 'C62';
  /** The price of one unit for the run's period, prorated when the contract covers only part of it. */
  unitPriceCents: number;
  /** Days covered / days in the period (for the description and checks). */
  daysUsed: number;
  daysInPeriod: number;
}

const BASIS_LABEL: Record<BillingBasis, string> = { per_machine: 'poste(s)', per_user: 'utilisateur(s)', per_site: 'site(s)', flat: 'forfait' };
const frDate = (d: LocalDate) => d.split('-').reverse().join('/');

/**
 * The line billing a subscription for a run period, or null when nothing is due: the contract does not
 * cover any day of the period, or the quantity counted is zero. The unit price is scaled from the
 * subscription's period to the run's (a 30 €/month seat in a quarterly run is 90 €), then prorated by
 * days covered, rounded once per unit.
 */
export function subscriptionLine(sub: SubscriptionToBill, run: { frequency: BillingFrequency; period: RunPeriod }, quantity: number): SubscriptionLine | null {
  if (!Number.isSafeInteger(quantity) || quantity < 0) throw AppError.invalid(`a quantity must be a whole number ≥ 0, not ${quantity}`);
  if (!billedByRun(sub.billingPeriod, run.frequency))
    throw AppError.invalid(`a ${sub.billingPeriod} subscription cannot be billed by a ${run.frequency} run (its period is longer)`);
  if (quantity === 0) return null;
  const periodsInRun = MONTHS_PER_PERIOD[run.frequency] / MONTHS_PER_PERIOD[sub.billingPeriod];
  const toExclusive = sub.endDate === null ? null : addDays(sub.endDate, 1);
  if (daysBetween(run.period.start, toExclusive ?? run.period.endExclusive) <= 0 || daysBetween(sub.startDate, run.period.endExclusive) <= 0) return null;
  const share = prorate({
    period: { start: run.period.start, endExclusive: run.period.endExclusive },
    quantityMilli: 1000 * periodsInRun,
    unitPriceCents: sub.unitPriceCents,
    from: sub.startDate,
    toExclusive,
  });
  if (share.daysUsed === 0) return null;
  const partial = share.daysUsed < share.daysInPeriod;
  const first = daysBetween(run.period.start, sub.startDate) > 0 ? sub.startDate : run.period.start;
  const last = toExclusive && daysBetween(toExclusive, run.period.endExclusive) > 0 ? sub.endDate! : run.period.end;
  const what = sub.billingBasis === 'flat' ? 'forfait' : `${quantity} ${BASIS_LABEL[sub.billingBasis]}`;
  return {
    description: `${sub.contractName} — ${what}, du ${frDate(first)} au ${frDate(last)}${partial ? ` (prorata ${share.daysUsed}/${share.daysInPeriod} j)` : ''}`.slice(0, 500),
    quantityMilli: quantity * 1000,
    unitCode: 'C62',
    unitPriceCents: share.amountCents,
    daysUsed: share.daysUsed,
    daysInPeriod: share.daysInPeriod,
  };
}
