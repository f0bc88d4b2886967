import fc from 'fast-check';
import { businessMinutesBetween, DEFAULT_CALENDAR, frenchPublicHolidays, isBusinessTime, type BusinessCalendar } from '../tickets/business-hours';
import { availableMinutes, dailyAvailability, startOfLocalDate, type Absence, type AbsenceStatus } from './availability';

type Day = { start: string; end: string }[];
const calendar = (timeZone: string, days: Partial<Record<1 | 2 | 3 | 4 | 5 | 6 | 7, Day>>, holidays: string[] = []): BusinessCalendar => ({
  timeZone,
  week: { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [], ...days },
  holidays,
});
const everyDay = (day: Day) => ({ 1: day, 2: day, 3: day, 4: day, 5: day, 6: day, 7: day });
const FRANCE_2027: BusinessCalendar = { ...DEFAULT_CALENDAR, holidays: frenchPublicHolidays(2027) };
const ALWAYS_PARIS = calendar('Europe/Paris', everyDay([{ start: '00:00', end: '24:00' }]));
const weekdays = (day: Day) => ({ 1: day, 2: day, 3: day, 4: day, 5: day });
const NEW_YORK = calendar('America/New_York', weekdays([{ start: '08:00', end: '17:00' }]), ['2027-07-05']);

let nextId = 0;
const absence = (start: string, end: string, status: AbsenceStatus = 'approved', kind: Absence['kind'] = 'sick'): Absence => ({ id: `a${++nextId}`, start, end, kind, status });

// Instants are written in UTC with the local time they stand for beside them (Paris: CET = UTC+1, CEST = UTC+2).
// The default calendar is Monday to Friday 09:00–12:30 and 13:30–18:00: 480 minutes a day.
describe('examples', () => {
  // Week of Monday 18 January 2027, CET: Mon 18 00:00 = 2027-01-17T23:00Z … Mon 25 00:00 = 2027-01-24T23:00Z.
  const MON = '2027-01-17T23:00:00Z';
  const NEXT_MON = '2027-01-24T23:00:00Z';

  it('is the business time of the calendar when nobody is away', () => {
    expect(availableMinutes(DEFAULT_CALENDAR, [], MON, NEXT_MON)).toBe(5 * 480);
    expect(availableMinutes(DEFAULT_CALENDAR, [], NEXT_MON, MON)).toBe(0);
    expect(availableMinutes(DEFAULT_CALENDAR, [], MON, MON)).toBe(0);
  });

  it('takes off approved absences only', () => {
    // Wed 20 Jan 09:00–18:00 CET = 08:00Z–17:00Z.
    const wednesday = (status: AbsenceStatus) => absence('2027-01-20T08:00:00Z', '2027-01-20T17:00:00Z', status);
    expect(availableMinutes(DEFAULT_CALENDAR, [wednesday('approved')], MON, NEXT_MON)).toBe(2400 - 480);
    expect(availableMinutes(DEFAULT_CALENDAR, [wednesday('requested')], MON, NEXT_MON)).toBe(2400);
    expect(availableMinutes(DEFAULT_CALENDAR, [wednesday('rejected')], MON, NEXT_MON)).toBe(2400);
  });

  it('takes off only the working part of an absence', () => {
    // Tue 19 Jan 18:00 → Wed 20 Jan 12:00 CET: the evening and night are closed anyway; Wed 09:00–12:00 = 180.
    expect(availableMinutes(DEFAULT_CALENDAR, [absence('2027-01-19T17:00:00Z', '2027-01-20T11:00:00Z')], MON, NEXT_MON)).toBe(2400 - 180);
    // A whole weekend away changes nothing; so does a lunch break (Thu 12:30–13:30).
    expect(availableMinutes(DEFAULT_CALENDAR, [absence('2027-01-22T17:00:00Z', '2027-01-24T23:00:00Z', 'approved', 'holiday')], MON, NEXT_MON)).toBe(2400);
    expect(availableMinutes(DEFAULT_CALENDAR, [absence('2027-01-21T11:30:00Z', '2027-01-21T12:30:00Z', 'approved', 'other')], MON, NEXT_MON)).toBe(2400);
  });

  it('counts a minute covered by several absences once', () => {
    // Sick Wed 09:00–18:00, training Wed 14:00–16:00 (booked earlier), leave Wed 11:00 → Thu 10:00 CET:
    // together Wed 09:00 → Thu 10:00 = 480 + 60.
    const absences = [
      absence('2027-01-20T08:00:00Z', '2027-01-20T17:00:00Z', 'approved', 'sick'),
      absence('2027-01-20T13:00:00Z', '2027-01-20T15:00:00Z', 'approved', 'training'),
      absence('2027-01-20T10:00:00Z', '2027-01-21T09:00:00Z', 'approved', 'holiday'),
    ];
    expect(availableMinutes(DEFAULT_CALENDAR, absences, MON, NEXT_MON)).toBe(2400 - 540);
    expect(availableMinutes(DEFAULT_CALENDAR, [...absences].reverse(), MON, NEXT_MON)).toBe(2400 - 540);
  });

  it('takes nothing more off for an absence on a public holiday', () => {
    // Week of Mon 3 May 2027 (CEST: Mon 00:00 = 2027-05-02T22:00Z); Thu 6 May is Ascension: 4 × 480.
    const from = '2027-05-02T22:00:00Z';
    const to = '2027-05-09T22:00:00Z';
    expect(availableMinutes(FRANCE_2027, [], from, to)).toBe(1920);
    const thursday = absence('2027-05-05T22:00:00Z', '2027-05-06T22:00:00Z', 'approved', 'holiday');
    const thursdayAndFriday = absence('2027-05-05T22:00:00Z', '2027-05-07T22:00:00Z', 'approved', 'holiday');
    expect(availableMinutes(FRANCE_2027, [thursday], from, to)).toBe(1920);
    expect(availableMinutes(FRANCE_2027, [thursdayAndFriday], from, to)).toBe(1440);
  });

  it('keeps to the range asked for', () => {
    // A month away; asked about Tue 19 Jan 10:00–15:00 CET: 150 + 90 business minutes, all absent.
    const month = absence('2027-01-01T00:00:00Z', '2027-02-01T00:00:00Z');
    expect(availableMinutes(DEFAULT_CALENDAR, [], '2027-01-19T09:00:00Z', '2027-01-19T14:00:00Z')).toBe(240);
    expect(availableMinutes(DEFAULT_CALENDAR, [month], '2027-01-19T09:00:00Z', '2027-01-19T14:00:00Z')).toBe(0);
    // Away until 11:00: 90 + 90 left.
    expect(availableMinutes(DEFAULT_CALENDAR, [absence('2027-01-01T00:00:00Z', '2027-01-19T10:00:00Z')], '2027-01-19T09:00:00Z', '2027-01-19T14:00:00Z')).toBe(180);
  });

  it('ignores empty absences and refuses instants that are not ISO', () => {
    expect(availableMinutes(DEFAULT_CALENDAR, [absence('2027-01-20T17:00:00Z', '2027-01-20T08:00:00Z')], MON, NEXT_MON)).toBe(2400);
    expect(() => availableMinutes(DEFAULT_CALENDAR, [absence('20/01/2027', '2027-01-20T17:00:00Z')], MON, NEXT_MON)).toThrow('absence a');
    expect(() => availableMinutes(DEFAULT_CALENDAR, [], 'monday', NEXT_MON)).toThrow('ISO');
    expect(() => availableMinutes({ ...DEFAULT_CALENDAR, timeZone: 'Mars/Olympus' }, [], MON, NEXT_MON)).toThrow('invalid business calendar');
  });

  it('gives the availability of each local date', () => {
    // Sick Tue 4 May 11:00 CEST → Wed 5 May 10:00 CEST; Thu 6 May is Ascension.
    const sick = absence('2027-05-04T09:00:00Z', '2027-05-05T08:00:00Z');
    expect(dailyAvailability(FRANCE_2027, [sick], '2027-05-03', '2027-05-09')).toEqual([
      { date: '2027-05-03', minutes: 480 },
      { date: '2027-05-04', minutes: 120 }, // 09:00–11:00
      { date: '2027-05-05', minutes: 420 }, // 10:00–12:30 (150) + 13:30–18:00 (270)
      { date: '2027-05-06', minutes: 0 }, // Ascension
      { date: '2027-05-07', minutes: 480 },
      { date: '2027-05-08', minutes: 0 }, // Saturday (and 8 May)
      { date: '2027-05-09', minutes: 0 },
    ]);
    expect(dailyAvailability(FRANCE_2027, [sick], '2027-05-04', '2027-05-03')).toEqual([]);
    expect(() => dailyAvailability(FRANCE_2027, [], '2027-02-30', '2027-03-01')).toThrow('YYYY-MM-DD');
  });

  it('reads dates in the calendar’s own time zone', () => {
    // New York (EDT = UTC−4), 08:00–17:00: Mon 5 Jul 2027 is a holiday there.
    // Away Tue 6 Jul 15:00 EDT → Wed 7 Jul 09:00 EDT = 19:00Z → 13:00Z next day: Tue 120, Wed 60 taken off.
    const away = absence('2027-07-06T19:00:00Z', '2027-07-07T13:00:00Z');
    expect(dailyAvailability(NEW_YORK, [away], '2027-07-05', '2027-07-08').map((d) => d.minutes)).toEqual([0, 540 - 120, 540 - 60, 540]);
  });

  it('gives days their real length across clock changes', () => {
    expect(dailyAvailability(ALWAYS_PARIS, [], '2027-03-27', '2027-03-29').map((d) => d.minutes)).toEqual([1440, 1380, 1440]);
    expect(dailyAvailability(ALWAYS_PARIS, [], '2027-10-30', '2027-11-01').map((d) => d.minutes)).toEqual([1440, 1500, 1440]);
    // Office hours keep their local times: 480 every weekday of the week of the change.
    expect(dailyAvailability(DEFAULT_CALENDAR, [], '2027-03-22', '2027-04-02').map((d) => d.minutes)).toEqual([480, 480, 480, 480, 480, 0, 0, 480, 480, 480, 480, 480]);
    // Sick Fri 26 Mar 09:00 CET → Mon 29 Mar 12:30 CEST (08:00Z → 10:30Z): the whole Friday and Monday morning.
    const overTheChange = absence('2027-03-26T08:00:00Z', '2027-03-29T10:30:00Z');
    expect(availableMinutes(DEFAULT_CALENDAR, [overTheChange], '2027-03-21T23:00:00Z', '2027-03-28T22:00:00Z')).toBe(4 * 480);
    expect(dailyAvailability(DEFAULT_CALENDAR, [overTheChange], '2027-03-29', '2027-03-29')).toEqual([{ date: '2027-03-29', minutes: 270 }]);
  });

  it('starts a local date at the first instant its clock shows 00:00 or later', () => {
    expect(startOfLocalDate('2027-03-28', 'Europe/Paris')).toBe('2027-03-27T23:00:00.000Z'); // CET
    expect(startOfLocalDate('2027-03-29', 'Europe/Paris')).toBe('2027-03-28T22:00:00.000Z'); // CEST
    expect(startOfLocalDate('2027-01-01', 'Asia/Kolkata')).toBe('2026-12-31T18:30:00.000Z');
    expect(startOfLocalDate('2027-01-01', 'Pacific/Kiritimati')).toBe('2026-12-31T10:00:00.000Z'); // UTC+14
    expect(startOfLocalDate('2027-01-01', 'Etc/GMT+12')).toBe('2027-01-01T12:00:00.000Z'); // UTC−12
    // Santiago skips 00:00 on Sun 5 Sep 2027 (−04 → −03 at 04:00Z); Beirut goes back from Sun 00:00 +03 to Sat 23:00 +02.
    expect(startOfLocalDate('2027-09-05', 'America/Santiago')).toBe('2027-09-05T04:00:00.000Z');
    expect(startOfLocalDate('2027-10-31', 'Asia/Beirut')).toBe('2027-10-30T22:00:00.000Z');
    expect(() => startOfLocalDate('2027-13-01', 'Europe/Paris')).toThrow('YYYY-MM-DD');
  });
});

// ---------------------------------------------------------------- properties

const HALF_HOURS = Array.from({ length: 49 }, (_, i) => i * 30);
const clock = (minutes: number) => (minutes === 1440 ? '24:00' : `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`);
const dayArb = fc.uniqueArray(fc.constantFrom(...HALF_HOURS), { maxLength: 6 }).map((picked) => {
  const sorted = [...picked].sort((a, b) => a - b);
  const day: Day = [];
  for (let i = 0; i + 1 < sorted.length; i += 2) day.push({ start: clock(sorted[i]!), end: clock(sorted[i + 1]!) });
  return day;
});

const T_MIN = Date.parse('2027-01-01T00:00:00Z');
const T_MAX = Date.parse('2027-12-31T00:00:00Z');
const DAY_MS = 86_400_000;
const ZONES = ['Europe/Paris', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC'];

const calendarArb: fc.Arbitrary<BusinessCalendar> = fc.oneof(
  fc.constantFrom(DEFAULT_CALENDAR, FRANCE_2027, ALWAYS_PARIS, NEW_YORK),
  fc.record({
    timeZone: fc.constantFrom(...ZONES),
    week: fc.record({ 1: dayArb, 2: dayArb, 3: dayArb, 4: dayArb, 5: dayArb, 6: dayArb, 7: dayArb }),
    holidays: fc.uniqueArray(fc.integer({ min: 0, max: 365 }).map((d) => new Date(T_MIN + d * DAY_MS).toISOString().slice(0, 10)), { maxLength: 30 }),
  }),
);

/** Days around which some zone of ZONES changes its clocks in 2027. */
const CHANGE_DAYS = ['2027-03-14', '2027-03-28', '2027-04-04', '2027-09-05', '2027-10-03', '2027-10-31', '2027-11-07'].map(Date.parse);
/** Instants on whole minutes: over the year, or within three days of a clock change. */
const minuteArb = fc
  .oneof(fc.integer({ min: T_MIN, max: T_MAX }), fc.tuple(fc.constantFrom(...CHANGE_DAYS), fc.integer({ min: -3 * DAY_MS, max: 3 * DAY_MS })).map(([d, delta]) => d + delta))
  .map((ms) => ms - (ms % 60_000));
const iso = (ms: number) => new Date(ms).toISOString();

/** Absences near `around` (minutes): up to two days long, of any status. */
const absencesArb = (around: number) =>
  fc.array(
    fc.record({
      id: fc.uuid(),
      start: fc.integer({ min: -3 * 1440, max: 3 * 1440 }).map((m) => iso(around + m * 60_000)),
      minutes: fc.integer({ min: 0, max: 2 * 1440 }),
      kind: fc.constantFrom('holiday' as const, 'sick' as const, 'training' as const, 'other' as const),
      status: fc.constantFrom('requested' as const, 'approved' as const, 'rejected' as const),
    }).map(({ minutes, ...a }): Absence => ({ ...a, end: iso(Date.parse(a.start) + minutes * 60_000) })),
    { maxLength: 5 },
  );

/** A calendar, a range [from, to) of up to four days, and absences around it. */
const caseArb = fc.record({ calendar: calendarArb, from: minuteArb, span: fc.integer({ min: 0, max: 4 * 1440 }) }).chain(({ calendar, from, span }) =>
  fc.record({ calendar: fc.constant(calendar), from: fc.constant(from), to: fc.constant(from + span * 60_000), absences: absencesArb(from) }),
);

describe('properties (fast-check)', () => {
  it('is never negative and never more than the business minutes of the range', () => {
    fc.assert(
      fc.property(caseArb, ({ calendar, from, to, absences }) => {
        const available = availableMinutes(calendar, absences, iso(from), iso(to));
        expect(available).toBeGreaterThanOrEqual(0);
        expect(available).toBeLessThanOrEqual(businessMinutesBetween(iso(from), iso(to), calendar));
        if (!absences.some((a) => a.status === 'approved')) expect(available).toBe(businessMinutesBetween(iso(from), iso(to), calendar));
      }),
      { numRuns: 300 },
    );
  });

  it('adds up over a range split in two', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 1000 }), ({ calendar, from, to, absences }, permille) => {
        const middle = from + Math.round(((to - from) / 60_000) * (permille / 1000)) * 60_000;
        expect(availableMinutes(calendar, absences, iso(from), iso(to))).toBe(
          availableMinutes(calendar, absences, iso(from), iso(middle)) + availableMinutes(calendar, absences, iso(middle), iso(to)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('never grows when an absence is approved or added, and ignores order and repeats', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ calendar, from, to, absences }, pick) => {
        const before = availableMinutes(calendar, absences, iso(from), iso(to));
        const extra: Absence = { id: 'extra', start: iso(from + (pick % 2000) * 60_000), end: iso(from + (pick % 5000) * 60_000), kind: 'sick', status: 'approved' };
        expect(availableMinutes(calendar, [...absences, extra], iso(from), iso(to))).toBeLessThanOrEqual(before);
        const approvedAll = absences.map((a) => ({ ...a, status: 'approved' as const }));
        expect(availableMinutes(calendar, approvedAll, iso(from), iso(to))).toBeLessThanOrEqual(before);
        expect(availableMinutes(calendar, [...absences].reverse().concat(absences), iso(from), iso(to))).toBe(before);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with counting minute by minute', () => {
    fc.assert(
      fc.property(
        caseArb.map((c) => ({ ...c, to: Math.min(c.to, c.from + 600 * 60_000) })),
        ({ calendar, from, to, absences }) => {
          const away = absences.filter((a) => a.status === 'approved').map((a) => [Date.parse(a.start), Date.parse(a.end)] as const);
          let count = 0;
          for (let t = from; t < to; t += 60_000) if (isBusinessTime(iso(t), calendar) && !away.some(([s, e]) => s <= t && t < e)) count++;
          expect(availableMinutes(calendar, absences, iso(from), iso(to))).toBe(count);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('splits into local dates that add up to the whole', () => {
    fc.assert(
      fc.property(caseArb, fc.integer({ min: 0, max: 4 }), ({ calendar, from, absences }, extraDays) => {
        const first = new Date(from).toISOString().slice(0, 10);
        const last = new Date(from + extraDays * DAY_MS).toISOString().slice(0, 10);
        const dayAfter = new Date(from + (extraDays + 1) * DAY_MS).toISOString().slice(0, 10);
        const days = dailyAvailability(calendar, absences, first, last);
        expect(days.map((d) => d.date)).toEqual(Array.from({ length: extraDays + 1 }, (_, i) => new Date(from + i * DAY_MS).toISOString().slice(0, 10)));
        const whole = availableMinutes(calendar, absences, startOfLocalDate(first, calendar.timeZone), startOfLocalDate(dayAfter, calendar.timeZone));
        expect(days.reduce((sum, d) => sum + d.minutes, 0)).toBe(whole);
      }),
      { numRuns: 150 },
    );
  });
});
