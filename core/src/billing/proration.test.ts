import fc from 'fast-check';
import { addDays, dayNumber } from './calendar';
import { billingPeriod, nthBillingPeriod, prorate } from './proration';

describe('billing periods', () => {
  it('spans one, three or twelve months', () => {
    expect(billingPeriod('monthly', '2028-02-01')).toEqual({ start: '2028-02-01', endExclusive: '2028-03-01' });
    expect(billingPeriod('quarterly', '2027-11-15')).toEqual({ start: '2027-11-15', endExclusive: '2028-02-15' });
    expect(billingPeriod('yearly', '2027-03-01')).toEqual({ start: '2027-03-01', endExclusive: '2028-03-01' });
    expect(nthBillingPeriod('quarterly', '2027-01-01', 3)).toEqual({ start: '2027-10-01', endExclusive: '2028-01-01' });
    expect(() => billingPeriod('monthly', '2027-01-31')).toThrow(/1 to 28/);
  });
});

describe('proration (hand-computed)', () => {
  const feb2028 = billingPeriod('monthly', '2028-02-01'); // 29 days
  const feb2027 = billingPeriod('monthly', '2027-02-01'); // 28 days

  it('charges a whole period exactly', () => {
    // 12 machines × 9.99 € = 119.88 €; 2.5 users × 3.33 € = 8.325 → 8.33 €
    expect(prorate({ period: feb2028, quantityMilli: 12_000, unitPriceCents: 999, from: null, toExclusive: null })).toEqual({ daysInPeriod: 29, daysUsed: 29, fullCents: 11_988, amountCents: 11_988 });
    expect(prorate({ period: feb2028, quantityMilli: 2_500, unitPriceCents: 333, from: '2028-01-15', toExclusive: '2028-04-01' }).amountCents).toBe(833);
  });

  it('prorates a mid-month start by days, leap February included', () => {
    // From 15 Feb: 2028 → 15 of 29 days, 100 € × 15/29 = 51.7241… → 51.72 €; 2027 → 14 of 28 days, 50.00 €.
    expect(prorate({ period: feb2028, quantityMilli: 1000, unitPriceCents: 10_000, from: '2028-02-15', toExclusive: null })).toEqual({ daysInPeriod: 29, daysUsed: 15, fullCents: 10_000, amountCents: 5_172 });
    expect(prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 10_000, from: '2027-02-15', toExclusive: null })).toEqual({ daysInPeriod: 28, daysUsed: 14, fullCents: 10_000, amountCents: 5_000 });
  });

  it('rounds half up on the exact product', () => {
    // In cents: 58 × 15/29 = 30 exactly; 1 × 15/29 = 0.517… → 1; 1 × 14/28 = 0.5 → 1 (half up); 3 × 14/28 = 1.5 → 2.
    expect(prorate({ period: feb2028, quantityMilli: 1000, unitPriceCents: 58, from: '2028-02-15', toExclusive: null }).amountCents).toBe(30);
    expect(prorate({ period: feb2028, quantityMilli: 1000, unitPriceCents: 1, from: '2028-02-15', toExclusive: null }).amountCents).toBe(1);
    expect(prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 1, from: '2027-02-15', toExclusive: null }).amountCents).toBe(1);
    expect(prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 3, from: '2027-02-15', toExclusive: null }).amountCents).toBe(2);
    // 1.5 users × 0.99 € = 1.485 € whole → 1.49; half of February 2027 → 0.7425 → 0.74 (not half of 1.49 = 0.745 → 0.75).
    expect(prorate({ period: feb2027, quantityMilli: 1500, unitPriceCents: 99, from: '2027-02-15', toExclusive: null })).toMatchObject({ fullCents: 149, amountCents: 74 });
  });

  it('prorates a yearly period over 365 or 366 days and an end mid-period', () => {
    // 1 200 € a year, ending on 31 March inclusive: 2027 → 90/365 × 1 200 = 295.890… → 295.89; 2028 → 91/366 × 1 200 = 298.360… → 298.36
    expect(prorate({ period: billingPeriod('yearly', '2027-01-01'), quantityMilli: 1000, unitPriceCents: 120_000, from: null, toExclusive: '2027-04-01' })).toEqual({ daysInPeriod: 365, daysUsed: 90, fullCents: 120_000, amountCents: 29_589 });
    expect(prorate({ period: billingPeriod('yearly', '2028-01-01'), quantityMilli: 1000, unitPriceCents: 120_000, from: null, toExclusive: '2028-04-01' })).toEqual({ daysInPeriod: 366, daysUsed: 91, fullCents: 120_000, amountCents: 29_836 });
  });

  it('charges nothing outside the period and refuses an inverted span', () => {
    expect(prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 10_000, from: '2027-03-01', toExclusive: null }).amountCents).toBe(0);
    expect(prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 10_000, from: null, toExclusive: '2027-02-01' }).amountCents).toBe(0);
    expect(() => prorate({ period: feb2027, quantityMilli: 1000, unitPriceCents: 1, from: '2027-02-10', toExclusive: '2027-02-09' })).toThrow(/before it starts/);
  });
});

describe('proration (properties)', () => {
  it('consecutive sub-periods add up to the full period within 1 cent per piece', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('monthly' as const, 'quarterly' as const, 'yearly' as const),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 28 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }),
        (frequency, monthOffset, day, quantityMilli, unitPriceCents, cuts) => {
          const anchor = `2024-01-${String(day).padStart(2, '0')}`;
          const period = nthBillingPeriod(frequency, anchor, Math.floor(monthOffset / { monthly: 1, quarterly: 3, yearly: 12 }[frequency]));
          const length = dayNumber(period.endExclusive) - dayNumber(period.start);
          const points = [...new Set(cuts.map((c) => Math.floor(c * length)))].sort((a, b) => a - b).filter((p) => p > 0 && p < length);
          const bounds = [0, ...points, length].map((d) => addDays(period.start, d));
          const pieces = bounds.slice(1).map((to, i) => prorate({ period, quantityMilli, unitPriceCents, from: bounds[i]!, toExclusive: to }));
          const whole = prorate({ period, quantityMilli, unitPriceCents, from: null, toExclusive: null });
          expect(whole.amountCents).toBe(whole.fullCents);
          expect(pieces.reduce((s, p) => s + p.daysUsed, 0)).toBe(length);
          expect(Math.abs(pieces.reduce((s, p) => s + p.amountCents, 0) - whole.fullCents)).toBeLessThanOrEqual(pieces.length);
        },
      ),
    );
  });

  it('is monotone in the days used and never above the full amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 27 }), fc.integer({ min: 0, max: 27 }), fc.integer({ min: 0, max: 10_000_000 }), (a, b, price) => {
        const period = billingPeriod('monthly', '2027-02-01');
        const at = (d: number) => prorate({ period, quantityMilli: 1000, unitPriceCents: price, from: addDays('2027-02-01', d), toExclusive: null }).amountCents;
        return a <= b ? at(a) >= at(b) && at(a) <= price : at(a) <= at(b);
      }),
    );
  });
});
