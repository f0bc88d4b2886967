import fc from 'fast-check';
import { addDays, addMonths, dateOfDay, dayNumber, daysBetween, endOfMonth, frenchDate } from './calendar';

describe('calendar dates', () => {
  it('parses real dates only', () => {
    expect(dayNumber('1970-01-02')).toBe(1);
    expect(() => dayNumber('2027-02-29')).toThrow(/not a date/);
    expect(() => dayNumber('2027-2-1')).toThrow(/not a date/);
    expect(dayNumber('2028-02-29')).toBe(dayNumber('2028-02-28') + 1);
  });

  it('adds days across months and years', () => {
    expect(addDays('2027-01-31', 1)).toBe('2027-02-01');
    expect(addDays('2027-12-31', 1)).toBe('2028-01-01');
    expect(addDays('2028-03-01', -1)).toBe('2028-02-29');
    expect(daysBetween('2027-01-01', '2028-01-01')).toBe(365);
    expect(daysBetween('2028-01-01', '2029-01-01')).toBe(366);
  });

  it('finds the end of a month, February of leap years included', () => {
    expect(endOfMonth('2027-02-10')).toBe('2027-02-28');
    expect(endOfMonth('2028-02-10')).toBe('2028-02-29');
    expect(endOfMonth('2100-02-01')).toBe('2100-02-28'); // not a leap year
    expect(endOfMonth('2000-02-01')).toBe('2000-02-29');
    expect(endOfMonth('2027-12-31')).toBe('2027-12-31');
  });

  it('adds months on days 1–28 and refuses later days', () => {
    expect(addMonths('2027-11-15', 3)).toBe('2028-02-15');
    expect(addMonths('2027-01-01', 12)).toBe('2028-01-01');
    expect(addMonths('2027-03-01', -3)).toBe('2026-12-01');
    expect(() => addMonths('2027-01-31', 1)).toThrow(/1 to 28/);
  });

  it('prints French dates', () => expect(frenchDate('2027-01-05')).toBe('05/01/2027'));

  it('round-trips day numbers', () => {
    fc.assert(fc.property(fc.integer({ min: -100_000, max: 100_000 }), (d) => dayNumber(dateOfDay(d)) === d));
  });
});
