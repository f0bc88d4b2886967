import fc from 'fast-check';
import { DateTime } from 'luxon';
import {
  addBusinessMinutes as add,
  businessMinutesBetween as between,
  DEFAULT_CALENDAR,
  frenchPublicHolidays,
  isBusinessTime,
  validateCalendar,
  type BusinessCalendar,
} from './business-hours';

type Day = { start: string; end: string }[];
const calendar = (timeZone: string, days: Partial<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, Day>>, holidays: string[] = []): BusinessCalendar => ({
  timeZone,
  week: { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [], ...days },
  holidays,
});
const everyDay = (day: Day) => ({ 1: day, 2: day, 3: day, 4: day, 5: day, 6: day, 7: day });
const FRANCE_2027: BusinessCalendar = { ...DEFAULT_CALENDAR, holidays: frenchPublicHolidays(2027) };
const ALWAYS_PARIS = calendar('Europe/Paris', everyDay([{ start: '00:00', end: '24:00' }]));

// Expected instants are written in UTC, with the Paris (or other) local time they stand for beside them.
describe('examples', () => {
  it('has a valid default calendar that nobody can change by accident', () => {
    expect(validateCalendar(DEFAULT_CALENDAR)).toEqual([]);
    expect(() => DEFAULT_CALENDAR.week[1].push({ start: '19:00', end: '20:00' })).toThrow();
  });

  it('carries Friday evening over the weekend', () => {
    // Fri 15 Jan 2027 17:00 CET + 120: 60 until 18:00, then 60 from Monday 09:00.
    expect(add('2027-01-15T16:00:00Z', 120, DEFAULT_CALENDAR)).toBe('2027-01-18T09:00:00.000Z'); // Mon 10:00 CET
    expect(add('2027-01-15T16:30:00Z', 120, DEFAULT_CALENDAR)).toBe('2027-01-18T09:30:00.000Z'); // Fri 17:30 → Mon 10:30
    expect(between('2027-01-15T16:00:00Z', '2027-01-18T09:00:00Z', DEFAULT_CALENDAR)).toBe(120);
  });

  it('ends at closing time rather than at the next opening', () => {
    expect(add('2027-01-15T16:00:00Z', 60, DEFAULT_CALENDAR)).toBe('2027-01-15T17:00:00.000Z'); // Fri 18:00 CET
    expect(isBusinessTime('2027-01-15T16:59:59.999Z', DEFAULT_CALENDAR)).toBe(true);
    expect(isBusinessTime('2027-01-15T17:00:00Z', DEFAULT_CALENDAR)).toBe(false);
    expect(isBusinessTime('2027-01-15T08:00:00Z', DEFAULT_CALENDAR)).toBe(true); // 09:00 opens
  });

  it('skips the lunch break', () => {
    // Tue 19 Jan 11:30 CET + 120: 60 until 12:30, 60 from 13:30.
    expect(add('2027-01-19T10:30:00Z', 120, DEFAULT_CALENDAR)).toBe('2027-01-19T13:30:00.000Z'); // 14:30 CET
    expect(isBusinessTime('2027-01-19T11:45:00Z', DEFAULT_CALENDAR)).toBe(false); // 12:45 CET
    expect(between('2027-01-19T10:30:00Z', '2027-01-19T13:30:00Z', DEFAULT_CALENDAR)).toBe(120);
  });

  it('adds zero: the same instant inside working time, the next opening outside it', () => {
    expect(add('2027-01-19T10:30:00Z', 0, DEFAULT_CALENDAR)).toBe('2027-01-19T10:30:00.000Z');
    expect(add('2027-01-19T11:45:00Z', 0, DEFAULT_CALENDAR)).toBe('2027-01-19T12:30:00.000Z'); // 12:45 → 13:30 CET
    expect(add('2027-01-16T10:00:00Z', 0, DEFAULT_CALENDAR)).toBe('2027-01-18T08:00:00.000Z'); // Saturday → Mon 09:00
    expect(add('2027-01-15T17:00:00Z', 0, DEFAULT_CALENDAR)).toBe('2027-01-18T08:00:00.000Z'); // Fri 18:00 → Mon 09:00
  });

  it('counts from the next working day when the ticket arrives on a public holiday', () => {
    // Thu 6 May 2027 is Ascension; 10:00 CEST + 30 → Fri 7 May 09:30 CEST.
    expect(add('2027-05-06T08:00:00Z', 30, FRANCE_2027)).toBe('2027-05-07T07:30:00.000Z');
    expect(add('2027-05-06T08:00:00Z', 30, DEFAULT_CALENDAR)).toBe('2027-05-06T08:30:00.000Z');
    expect(isBusinessTime('2027-05-06T08:00:00Z', FRANCE_2027)).toBe(false);
    expect(between('2027-05-05T15:00:00Z', '2027-05-07T07:30:00Z', FRANCE_2027)).toBe(60 + 30); // Wed 17:00 → Fri 09:30
  });

  it('keeps local hours across the March change in Paris (and Easter Monday 2027 falls the day after)', () => {
    // Fri 26 Mar 2027 17:00 CET = 16:00Z; Sun 28 Mar 02:00 CET → 03:00 CEST.
    expect(add('2027-03-26T16:00:00Z', 120, DEFAULT_CALENDAR)).toBe('2027-03-29T08:00:00.000Z'); // Mon 10:00 CEST
    expect(add('2027-03-26T16:00:00Z', 120, FRANCE_2027)).toBe('2027-03-30T08:00:00.000Z'); // Tue 10:00 CEST
    expect(between('2027-03-26T08:00:00Z', '2027-03-29T16:00:00Z', DEFAULT_CALENDAR)).toBe(960); // Fri 09:00 CET → Mon 18:00 CEST
    expect(isBusinessTime('2027-03-29T07:00:00Z', DEFAULT_CALENDAR)).toBe(true); // 09:00 CEST
    expect(isBusinessTime('2027-03-29T06:59:00Z', DEFAULT_CALENDAR)).toBe(false);
  });

  it('keeps local hours across the October change in Paris', () => {
    // Fri 29 Oct 2027 17:00 CEST = 15:00Z; Sun 31 Oct 03:00 CEST → 02:00 CET; Mon 1 Nov is All Saints.
    expect(add('2027-10-29T15:00:00Z', 120, DEFAULT_CALENDAR)).toBe('2027-11-01T09:00:00.000Z'); // Mon 10:00 CET
    expect(add('2027-10-29T15:00:00Z', 120, FRANCE_2027)).toBe('2027-11-02T09:00:00.000Z'); // Tue 10:00 CET
    expect(isBusinessTime('2027-11-01T08:00:00Z', DEFAULT_CALENDAR)).toBe(true); // 09:00 CET
    expect(isBusinessTime('2027-11-01T07:30:00Z', DEFAULT_CALENDAR)).toBe(false); // 08:30 CET
  });

  it('counts real minutes on the days of the change when working through it', () => {
    // 24/7: Sat 27 Mar 00:00 CET → Mon 29 Mar 00:00 CEST is 47 hours; the same in October is 49.
    expect(between('2027-03-26T23:00:00Z', '2027-03-28T22:00:00Z', ALWAYS_PARIS)).toBe(47 * 60);
    expect(between('2027-10-29T22:00:00Z', '2027-10-31T23:00:00Z', ALWAYS_PARIS)).toBe(49 * 60);
    expect(add('2027-03-27T23:00:00Z', 24 * 60, ALWAYS_PARIS)).toBe('2027-03-28T23:00:00.000Z'); // Sun 00:00 CET → Mon 01:00 CEST
    const nightShift = calendar('Europe/Paris', { 7: [{ start: '01:00', end: '04:00' }] });
    expect(between('2027-03-27T12:00:00Z', '2027-03-28T12:00:00Z', nightShift)).toBe(120); // 01:00 CET → 04:00 CEST
    expect(between('2027-10-30T12:00:00Z', '2027-10-31T12:00:00Z', nightShift)).toBe(240); // 01:00 CEST → 04:00 CET
    expect(between('2027-06-05T12:00:00Z', '2027-06-06T12:00:00Z', nightShift)).toBe(180);
  });

  it('starts a skipped local time at the change, and ends a repeated one at its first occurrence', () => {
    // Sun 28 Mar 2027: 02:30 does not exist in Paris; the interval opens at 03:00 CEST = 01:00Z.
    const fromSkipped = calendar('Europe/Paris', { 7: [{ start: '02:30', end: '05:00' }] });
    expect(between('2027-03-27T12:00:00Z', '2027-03-28T12:00:00Z', fromSkipped)).toBe(120);
    expect(isBusinessTime('2027-03-28T00:59:00Z', fromSkipped)).toBe(false);
    expect(isBusinessTime('2027-03-28T01:00:00Z', fromSkipped)).toBe(true);
    expect(add('2027-03-27T12:00:00Z', 0, fromSkipped)).toBe('2027-03-28T01:00:00.000Z');
    // Sun 31 Oct 2027: 02:30 happens twice; the interval ends at the first, 02:30 CEST = 00:30Z.
    const toRepeated = calendar('Europe/Paris', { 7: [{ start: '00:00', end: '02:30' }] });
    expect(between('2027-10-30T12:00:00Z', '2027-10-31T12:00:00Z', toRepeated)).toBe(150);
    expect(isBusinessTime('2027-10-31T00:29:00Z', toRepeated)).toBe(true);
    expect(isBusinessTime('2027-10-31T01:15:00Z', toRepeated)).toBe(false); // 02:15 CET, the second time round
  });

  it('handles zones that change at midnight', () => {
    // Santiago, Sun 5 Sep 2027: 00:00 −04 is skipped (→ 01:00 −03 at 04:00Z); 00:00–06:00 is 5 hours.
    const santiago = calendar('America/Santiago', { 7: [{ start: '00:00', end: '06:00' }] });
    expect(between('2027-09-04T12:00:00Z', '2027-09-05T12:00:00Z', santiago)).toBe(300);
    expect(add('2027-09-04T12:00:00Z', 0, santiago)).toBe('2027-09-05T04:00:00.000Z');
    // Beirut, Sun 31 Oct 2027 00:00 +03 (21:00Z) goes back to Sat 23:00 +02: Saturday ends at 22:00Z.
    const beirut = calendar('Asia/Beirut', { 6: [{ start: '20:00', end: '24:00' }], 7: [{ start: '00:00', end: '01:00' }] });
    expect(between('2027-10-30T12:00:00Z', '2027-10-30T22:00:00Z', beirut)).toBe(300); // Sat 20:00 +03 = 17:00Z
    expect(isBusinessTime('2027-10-30T21:30:00Z', beirut)).toBe(true); // Sat 23:30 +02, the second time round
    expect(add('2027-10-30T17:00:00Z', 330, beirut)).toBe('2027-10-30T22:30:00.000Z'); // on into Sunday 00:30 +02
  });

  it('works in other zones, with their own DST dates', () => {
    const newYork = calendar('America/New_York', { 1: [{ start: '08:00', end: '17:00' }], 2: [{ start: '08:00', end: '17:00' }], 3: [{ start: '08:00', end: '17:00' }], 4: [{ start: '08:00', end: '17:00' }], 5: [{ start: '08:00', end: '17:00' }] });
    // Fri 12 Mar 2027 16:00 EST = 21:00Z; DST starts Sun 14 Mar; Mon 15 Mar 09:00 EDT = 13:00Z.
    expect(add('2027-03-12T21:00:00Z', 120, newYork)).toBe('2027-03-15T13:00:00.000Z');
    expect(between('2027-03-08T13:00:00Z', '2027-03-12T22:00:00Z', newYork)).toBe(5 * 540);
    expect(isBusinessTime('2027-03-15T12:00:00Z', newYork)).toBe(true); // 08:00 EDT
    expect(isBusinessTime('2027-03-15T11:59:00Z', newYork)).toBe(false);
  });

  it('joins touching intervals, including over midnight', () => {
    const overnight = calendar('Europe/Paris', { 1: [{ start: '22:00', end: '24:00' }], 2: [{ start: '00:00', end: '02:00' }, { start: '02:00', end: '03:00' }] });
    expect(validateCalendar(overnight)).toEqual([]);
    expect(add('2027-01-18T22:00:00Z', 210, overnight)).toBe('2027-01-19T01:30:00.000Z'); // Mon 23:00 CET → Tue 02:30 CET
    expect(isBusinessTime('2027-01-18T23:00:00Z', overnight)).toBe(true); // Tue 00:00
  });

  it('goes a long way quickly', () => {
    // Mon 4 Jan 2027 09:00 CET: 10 000 = 20 working days (480 each) + 400 → Mon 1 Feb 16:40 CET.
    expect(add('2027-01-04T08:00:00Z', 10_000, DEFAULT_CALENDAR)).toBe('2027-02-01T15:40:00.000Z');
    const started = performance.now();
    const far = add('2027-01-04T08:00:00Z', 1_000_000, FRANCE_2027); // about eight years
    expect(between('2027-01-04T08:00:00Z', far, FRANCE_2027)).toBe(1_000_000);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('rounds partial minutes down and ignores reversed spans', () => {
    expect(between('2027-01-19T08:00:00Z', '2027-01-19T08:01:59.999Z', DEFAULT_CALENDAR)).toBe(1);
    expect(between('2027-01-19T09:00:00Z', '2027-01-19T08:00:00Z', DEFAULT_CALENDAR)).toBe(0);
    expect(add('2027-01-19T08:00:30Z', 1, DEFAULT_CALENDAR)).toBe('2027-01-19T08:01:30.000Z');
    expect(add('2027-01-19T09:00:00+01:00', 0, DEFAULT_CALENDAR)).toBe('2027-01-19T08:00:00.000Z');
  });

  it('explains what is wrong with a calendar, and refuses to use it', () => {
    expect(validateCalendar(calendar('Mars/Olympus', { 1: [{ start: '09:00', end: '17:00' }] }))).toEqual(['unknown time zone: Mars/Olympus']);
    const bad = calendar(
      'Europe/Paris',
      {
        1: [{ start: '9:00', end: '12:00' }],
        2: [{ start: '14:00', end: '13:00' }],
        3: [{ start: '09:00', end: '12:00' }, { start: '11:00', end: '13:00' }],
        4: [{ start: '24:00', end: '24:00' }],
        5: [{ start: '09:00', end: '25:00' }],
      },
      ['2027-02-30', '14/07/2027'],
    );
    const reasons = validateCalendar(bad);
    expect(reasons).toHaveLength(7);
    expect(reasons.join('\n')).toMatch(/weekday 1, interval 1: start 9:00/);
    expect(reasons.join('\n')).toMatch(/weekday 2, interval 1: ends \(13:00\) at or before/);
    expect(reasons.join('\n')).toMatch(/weekday 3, interval 2: overlaps/);
    expect(reasons.join('\n')).toMatch(/weekday 4, interval 1: start 24:00/);
    expect(reasons.join('\n')).toMatch(/weekday 5, interval 1: end 25:00/);
    expect(reasons.join('\n')).toMatch(/holiday 2027-02-30/);
    expect(() => add('2027-01-19T08:00:00Z', 10, bad)).toThrow('invalid business calendar');
    expect(() => between('2027-01-19T08:00:00Z', '2027-01-20T08:00:00Z', bad)).toThrow('invalid business calendar');
    expect(() => isBusinessTime('2027-01-19T08:00:00Z', bad)).toThrow('invalid business calendar');
  });

  it('has no working time in a calendar that is never open', () => {
    const closed = calendar('Europe/Paris', {});
    expect(validateCalendar(closed)).toEqual(['the calendar has no working time in the week']);
    expect(() => add('2027-01-19T08:00:00Z', 0, closed)).toThrow('no working time');
    expect(between('2027-01-19T08:00:00Z', '2027-02-19T08:00:00Z', closed)).toBe(0);
    expect(isBusinessTime('2027-01-19T08:00:00Z', closed)).toBe(false);
  });

  it('refuses negative or fractional minutes and instants that are not ISO', () => {
    expect(() => add('2027-01-19T08:00:00Z', -1, DEFAULT_CALENDAR)).toThrow('whole number');
    expect(() => add('2027-01-19T08:00:00Z', 1.5, DEFAULT_CALENDAR)).toThrow('whole number');
    expect(() => add('19/01/2027', 1, DEFAULT_CALENDAR)).toThrow('ISO');
    expect(() => isBusinessTime('', DEFAULT_CALENDAR)).toThrow('ISO');
  });

  it('lists the French public holidays', () => {
    expect(frenchPublicHolidays(2027)).toEqual([
      '2027-01-01', // Jour de l'an
      '2027-03-29', // lundi de Pâques (Pâques le 28 mars)
      '2027-05-01', // fête du Travail
      '2027-05-06', // Ascension
      '2027-05-08', // Victoire 1945
      '2027-05-17', // lundi de Pentecôte
      '2027-07-14', // fête nationale
      '2027-08-15', // Assomption
      '2027-11-01', // Toussaint
      '2027-11-11', // Armistice
      '2027-12-25', // Noël
    ]);
    const easterMondays: Record<number, string> = { 2024: '2024-04-01', 2025: '2025-04-21', 2026: '2026-04-06', 2028: '2028-04-17', 2038: '2038-04-26', 2285: '2285-03-23' };
    for (const [year, monday] of Object.entries(easterMondays)) expect(frenchPublicHolidays(Number(year))).toContain(monday);
    expect(frenchPublicHolidays(2025)).toContain('2025-05-29'); // Ascension
    expect(frenchPublicHolidays(2025)).toContain('2025-06-09'); // Whit Monday
    expect(() => frenchPublicHolidays(2027.5)).toThrow();
  });
});

// ---------------------------------------------------------------- properties

const clock = (minutes: number) => (minutes === 1440 ? '24:00' : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`);
const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));

/** A day's intervals from distinct marks taken in pairs: sorted, non-overlapping, '24:00' possible as an end. */
const dayArb = (marks: number[]) =>
  fc.uniqueArray(fc.constantFrom(...marks), { maxLength: 6 }).map((picked) => {
    const sorted = [...picked].sort((a, b) => a - b);
    const day: Day = [];
    for (let i = 0; i + 1 < sorted.length; i += 2) day.push({ start: clock(sorted[i]!), end: clock(sorted[i + 1]!) });
    return day;
  });

const HALF_HOURS = Array.from({ length: 49 }, (_, i) => i * 30);
/** Marks that never fall within the DST changes of SAFE_ZONES (all between 01:00 and 03:00 local). */
const SAFE_MARKS = [0, ...HALF_HOURS.filter((m) => m >= 240)];
const ALL_ZONES = ['Europe/Paris', 'America/New_York', 'America/Santiago', 'Asia/Beirut', 'America/Havana', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'UTC'];
const SAFE_ZONES = ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];

const T_MIN = Date.parse('2026-01-01T00:00:00Z');
const T_MAX = Date.parse('2028-12-31T00:00:00Z');
const DAY_MS = 86_400_000;

const calendarArb = (zones: string[], marks: number[]): fc.Arbitrary<BusinessCalendar> =>
  fc
    .record({
      timeZone: fc.constantFrom(...zones),
      week: fc.record({ 1: dayArb(marks), 2: dayArb(marks), 3: dayArb(marks), 4: dayArb(marks), 5: dayArb(marks), 6: dayArb(marks), 7: dayArb(marks) }),
      holidays: fc.uniqueArray(fc.integer({ min: 0, max: (T_MAX - T_MIN) / DAY_MS + 60 }).map((d) => new Date(T_MIN + d * DAY_MS).toISOString().slice(0, 10)), { maxLength: 40 }),
    })
    .filter((c) => Object.values(c.week).some((day) => day.length > 0));

/** Night times, where clocks change: intervals that start or end in a skipped or repeated hour. */
const NIGHT_MARKS = [0, 30, 60, 90, 120, 150, 180, 210, 240, 1380, 1410, 1440];

/** The default and French calendars, anything at all, and calendars open at night when clocks change. */
const anyCalendarArb = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(DEFAULT_CALENDAR, { ...DEFAULT_CALENDAR, holidays: [2026, 2027, 2028, 2029].flatMap(frenchPublicHolidays) }, ALWAYS_PARIS) },
  { weight: 3, arbitrary: calendarArb(ALL_ZONES, HALF_HOURS) },
  { weight: 2, arbitrary: calendarArb(ALL_ZONES, NIGHT_MARKS) },
);

/** Days around which some zone of ALL_ZONES changes its clocks in 2027. */
const CHANGE_DAYS = ['2027-03-14', '2027-03-28', '2027-04-04', '2027-09-05', '2027-09-26', '2027-10-03', '2027-10-31', '2027-11-07'].map(Date.parse);
const near = (within: number) => fc.tuple(fc.constantFrom(...CHANGE_DAYS), fc.integer({ min: -within, max: within })).map(([day, delta]) => day + delta);
/** Instants in ms: uniform over three years, within four days or within 30 hours of a clock change; on a whole minute or not. */
const msArb = (aligned: boolean) =>
  fc
    .oneof(fc.integer({ min: T_MIN, max: T_MAX }), near(4 * DAY_MS), near(30 * 3_600_000))
    .map((ms) => (aligned ? ms - (ms % 60_000) : ms));
const instantArb = fc.oneof(msArb(true), msArb(false)).map((ms) => new Date(ms).toISOString());

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

describe('properties (fast-check)', () => {
  it('adds exactly the minutes it is asked for, at the earliest instant that has them', () => {
    fc.assert(
      fc.property(anyCalendarArb, instantArb, fc.integer({ min: 0, max: 6_000 }), (c, a, m) => {
        const end = add(a, m, c);
        expect(ms(end)).toBeGreaterThanOrEqual(ms(a));
        expect(between(a, end, c)).toBe(m);
        if (m > 0) expect(between(a, iso(ms(end) - 1), c)).toBe(m - 1);
      }),
      { numRuns: 300 },
    );
  });

  it('is additive once a first step has been taken: add(add(a, m1), m2) = add(a, m1 + m2) for m2 > 0', () => {
    fc.assert(
      fc.property(anyCalendarArb, instantArb, fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 3_000 }), (c, a, m1, m2) => {
        expect(add(add(a, m1, c), m2, c)).toBe(add(a, m1 + m2, c));
      }),
      { numRuns: 200 },
    );
  });

  it('adding zero stays put inside working time and moves to the next opening outside it', () => {
    fc.assert(
      fc.property(anyCalendarArb, instantArb, (c, a) => {
        const opening = add(a, 0, c);
        if (isBusinessTime(a, c)) expect(opening).toBe(iso(ms(a)));
        else {
          expect(ms(opening)).toBeGreaterThan(ms(a));
          expect(isBusinessTime(opening, c)).toBe(true);
          expect(between(a, opening, c)).toBe(0);
          expect(isBusinessTime(iso(ms(opening) - 1), c)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('is monotonic in the start, in the minutes and in the end', () => {
    fc.assert(
      fc.property(anyCalendarArb, instantArb, instantArb, fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 0, max: 3_000 }), (c, x, y, m1, m2) => {
        const [a, b] = ms(x) <= ms(y) ? [x, y] : [y, x];
        const [small, large] = m1 <= m2 ? [m1, m2] : [m2, m1];
        expect(ms(add(a, small, c))).toBeLessThanOrEqual(ms(add(b, small, c)));
        expect(ms(add(a, small, c))).toBeLessThanOrEqual(ms(add(a, large, c)));
        const later = add(b, large, c);
        expect(between(a, later, c)).toBeGreaterThanOrEqual(between(b, later, c));
        expect(between(a, later, c)).toBeGreaterThanOrEqual(between(a, b, c));
      }),
      { numRuns: 100 },
    );
  });

  it('splits a span into parts that add up, on whole minutes', () => {
    fc.assert(
      fc.property(anyCalendarArb, fc.array(msArb(true), { minLength: 3, maxLength: 3 }), (c, times) => {
        const [a, b, d] = [...times].sort((x, y) => x - y).map(iso) as [string, string, string];
        expect(between(a, d, c)).toBe(between(a, b, c) + between(b, d, c));
        expect(between(a, d, c)).toBeLessThanOrEqual((ms(d) - ms(a)) / 60_000);
      }),
      { numRuns: 100 },
    );
  });

  it('isBusinessTime agrees with a one-minute span on whole minutes, and no minute counts twice', () => {
    fc.assert(
      fc.property(anyCalendarArb, msArb(true), (c, t) => {
        const minute = between(iso(t), iso(t + 60_000), c);
        expect(minute).toBeLessThanOrEqual(1);
        expect(isBusinessTime(iso(t), c)).toBe(minute === 1);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the local wall clock, minute by minute, when no interval starts or ends during a clock change', () => {
    const wallClock = (t: number, c: BusinessCalendar) => {
      const local = DateTime.fromMillis(t, { zone: c.timeZone });
      if (c.holidays.includes(local.toISODate()!)) return false;
      const minute = local.hour * 60 + local.minute;
      return c.week[local.weekday as 1].some((i) => toMinutes(i.start) <= minute && minute < toMinutes(i.end));
    };
    fc.assert(
      fc.property(calendarArb(SAFE_ZONES, SAFE_MARKS), msArb(true), fc.integer({ min: 0, max: 2 * 24 * 60 }), (c, start, span) => {
        let count = 0;
        for (let i = 0; i < span; i++) if (wallClock(start + i * 60_000, c)) count++;
        expect(between(iso(start), iso(start + span * 60_000), c)).toBe(count);
        expect(isBusinessTime(iso(start), c)).toBe(wallClock(start, c));
      }),
      { numRuns: 60 },
    );
  });

  /** Night calendars in zones that change their clocks, with instants within four hours of a change. */
  const CHANGES: Record<string, string[]> = {
    'Europe/Paris': ['2027-03-28', '2027-10-31'],
    'America/New_York': ['2027-03-14', '2027-11-07'],
    'America/Santiago': ['2027-04-04', '2027-09-05'],
    'Asia/Beirut': ['2027-03-28', '2027-10-31'],
    'America/Havana': ['2027-03-14', '2027-11-07'],
    'Australia/Lord_Howe': ['2027-04-04', '2027-10-03'],
    'Pacific/Chatham': ['2027-04-04', '2027-09-26'],
  };
  const nightArb = calendarArb(Object.keys(CHANGES), NIGHT_MARKS).chain((c) =>
    fc.record({
      c: fc.constant(c),
      t: fc.tuple(fc.constantFrom(...CHANGES[c.timeZone]!), fc.integer({ min: -240, max: 240 })).map(
        ([date, minutes]) => DateTime.fromISO(`${date}T02:00`, { zone: c.timeZone }).toMillis() + minutes * 60_000,
      ),
    }),
  );
  /** The local clock reading at an instant, as milliseconds since the local epoch. */
  const clockAt = (t: number, zone: string) => {
    const local = DateTime.fromMillis(t, { zone });
    return Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  };
  /** The documented rule, by brute force: working time iff the latest local time shown so far is in a working interval. */
  const inWorkingInterval = (clockMs: number, c: BusinessCalendar) => {
    const date = new Date(clockMs).toISOString().slice(0, 10);
    const weekday = (((new Date(clockMs).getUTCDay() + 6) % 7) + 1) as 1;
    const minute = (clockMs % DAY_MS) / 60_000;
    return !c.holidays.includes(date) && c.week[weekday].some((i) => toMinutes(i.start) <= minute && minute < toMinutes(i.end));
  };

  it('follows its rule for skipped and repeated local times: a local time is the first instant the clock shows it or later', () => {
    fc.assert(
      fc.property(nightArb, fc.integer({ min: 0, max: 300 }), ({ c, t }, m) => {
        let latest = -Infinity;
        for (let u = t - 3 * 3_600_000; u <= t; u += 60_000) latest = Math.max(latest, clockAt(u, c.timeZone)); // clocks never go back 3 h
        expect(isBusinessTime(iso(t), c)).toBe(inWorkingInterval(latest, c));
        expect(between(iso(t), iso(t + 60_000), c)).toBeLessThanOrEqual(1);
        expect(between(iso(t), add(iso(t), m, c), c)).toBe(m);
      }),
      { numRuns: 400 },
    );
  });
});
