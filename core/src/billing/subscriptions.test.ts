import { checkRunPeriodStart, runPeriodContaining, subscriptionLine, type SubscriptionToBill } from './subscriptions';

const sub = (extra: Partial<SubscriptionToBill> = {}): SubscriptionToBill => ({
  contractName: 'Infogérance',
  billingBasis: 'per_machine',
  billingPeriod: 'monthly',
  unitPriceCents: 3_000,
  startDate: '2026-01-01',
  endDate: null,
  ...extra,
});
const november = { frequency: 'monthly' as const, period: runPeriodContaining('monthly', '2026-11-15') };

describe('run periods', () => {
  it('are calendar months, quarters and years', () => {
    expect(runPeriodContaining('monthly', '2026-02-14')).toEqual({ start: '2026-02-01', end: '2026-02-28', endExclusive: '2026-03-01' });
    expect(runPeriodContaining('quarterly', '2026-11-30')).toEqual({ start: '2026-10-01', end: '2026-12-31', endExclusive: '2027-01-01' });
    expect(runPeriodContaining('yearly', '2028-02-29')).toEqual({ start: '2028-01-01', end: '2028-12-31', endExclusive: '2029-01-01' });
  });
  it('start on the first day of their period, or are refused', () => {
    expect(checkRunPeriodStart('quarterly', '2026-04-01').end).toBe('2026-06-30');
    expect(() => checkRunPeriodStart('quarterly', '2026-05-01')).toThrow('a quarterly billing period starts on 2026-04-01');
    expect(() => checkRunPeriodStart('monthly', '2026-05-02')).toThrow('starts on 2026-05-01');
  });
});

describe('subscription lines', () => {
  it('bill the whole period at the unit price times the quantity counted', () => {
    expect(subscriptionLine(sub(), november, 12)).toEqual({
      description: 'Infogérance — 12 poste(s), du 01/11/2026 au 30/11/2026',
      quantityMilli: 12_000,
      unitCode: 'C62',
      unitPriceCents: 3_000,
      daysUsed: 30,
      daysInPeriod: 30,
    });
  });
  it('prorate a start inside the period by days: 20 of 30 days of 30 € is 20 €', () => {
    const line = subscriptionLine(sub({ startDate: '2026-11-11' }), november, 3)!;
    expect(line).toMatchObject({ unitPriceCents: 2_000, quantityMilli: 3_000, daysUsed: 20 });
    expect(line.description).toBe('Infogérance — 3 poste(s), du 11/11/2026 au 30/11/2026 (prorata 20/30 j)');
  });
  it('prorate an end inside the period, the last day included: 10 of 30 days of 10 € is 3.33 €', () => {
    expect(subscriptionLine(sub({ unitPriceCents: 1_000, endDate: '2026-11-10' }), november, 1)).toMatchObject({ unitPriceCents: 333, daysUsed: 10 });
  });
  it('scale a monthly price to a quarterly run and a flat fee to one unit', () => {
    const q4 = { frequency: 'quarterly' as const, period: runPeriodContaining('quarterly', '2026-10-01') };
    expect(subscriptionLine(sub({ billingBasis: 'flat', unitPriceCents: 50_000 }), q4, 1)).toMatchObject({ unitPriceCents: 150_000, quantityMilli: 1_000, description: expect.stringContaining('forfait, du 01/10/2026 au 31/12/2026') });
  });
  it('bill nothing outside the contract, for no quantity, and refuse a yearly subscription in a monthly run', () => {
    expect(subscriptionLine(sub({ startDate: '2026-12-01' }), november, 5)).toBeNull();
    expect(subscriptionLine(sub({ endDate: '2026-10-31' }), november, 5)).toBeNull();
    expect(subscriptionLine(sub(), november, 0)).toBeNull();
    expect(() => subscriptionLine(sub({ billingPeriod: 'yearly' }), november, 1)).toThrow('cannot be billed by a monthly run');
    expect(() => subscriptionLine(sub(), november, -1)).toThrow('whole number');
  });
});
