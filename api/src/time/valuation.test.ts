import { addMonths, billingPeriodOf, coveredByAllowance, minutesValueCents, timerMinutes } from './valuation';

describe('minutesValueCents', () => {
  it('is minutes × rate / 60, rounded half up to the cent', () => {
    expect(minutesValueCents(50, 9_500)).toBe(7_917); // 7916.666…
    expect(minutesValueCents(60, 9_500)).toBe(9_500);
    expect(minutesValueCents(1, 90)).toBe(2); // 1.5 → 2 (half up)
    expect(minutesValueCents(1, 89)).toBe(1); // 1.4833…
    expect(minutesValueCents(7, 6_000)).toBe(700);
    expect(minutesValueCents(0, 12_345)).toBe(0);
    expect(minutesValueCents(45, 0)).toBe(0);
  });

  it('stays exact on large amounts (integers only)', () => {
    expect(minutesValueCents(1_440, 99_999)).toBe(2_399_976);
    expect(minutesValueCents(1_000_000, 1e10 / 1000)).toBe(166_666_666_667);
  });
});

describe('billing periods', () => {
  it('adds months with the day clamped to the month, counted from the start', () => {
    expect(addMonths('2027-01-31', 1)).toBe('2027-02-28');
    expect(addMonths('2028-01-31', 1)).toBe('2028-02-29');
    expect(addMonths('2027-01-31', 2)).toBe('2027-03-31');
    expect(addMonths('2027-11-15', 3)).toBe('2028-02-15');
    expect(addMonths('2027-03-15', -3)).toBe('2026-12-15');
  });

  it('finds the period that contains a date, whatever the start day', () => {
    expect(billingPeriodOf('2027-01-15', 1, '2027-03-14')).toEqual({ from: '2027-02-15', to: '2027-03-15' });
    expect(billingPeriodOf('2027-01-15', 1, '2027-03-15')).toEqual({ from: '2027-03-15', to: '2027-04-15' });
    expect(billingPeriodOf('2027-01-31', 1, '2027-03-01')).toEqual({ from: '2027-02-28', to: '2027-03-31' });
    expect(billingPeriodOf('2027-01-01', 3, '2027-06-30')).toEqual({ from: '2027-04-01', to: '2027-07-01' });
    expect(billingPeriodOf('2027-02-10', 12, '2029-02-09')).toEqual({ from: '2028-02-10', to: '2029-02-10' });
    expect(billingPeriodOf('2027-05-01', 1, '2027-05-01')).toEqual({ from: '2027-05-01', to: '2027-06-01' });
  });
});

describe('allowance and timer', () => {
  it('covers what is left of the allowance, never more than the entry', () => {
    expect(coveredByAllowance(50, 120, 0)).toBe(50);
    expect(coveredByAllowance(50, 120, 100)).toBe(20);
    expect(coveredByAllowance(50, 120, 130)).toBe(0);
  });

  it('rounds a timer up to the whole minute, at least one, at most a day', () => {
    expect(timerMinutes('2027-01-01T10:00:00.000Z', '2027-01-01T10:00:00.200Z')).toBe(1);
    expect(timerMinutes('2027-01-01T10:00:00.000Z', '2027-01-01T10:12:00.000Z')).toBe(12);
    expect(timerMinutes('2027-01-01T10:00:00.000Z', '2027-01-01T10:12:00.001Z')).toBe(13);
    expect(timerMinutes('2027-01-01T10:00:00.000Z', '2027-01-03T10:00:00.000Z')).toBe(1_440);
  });
});
