import fc from 'fast-check';
import { businessMinutesBetween, DEFAULT_CALENDAR, frenchPublicHolidays, type BusinessCalendar } from '../tickets/business-hours';
import type { Absence } from './availability';
import { findConflicts, slotEnd, type ConflictContext, type PlannedSlot } from './conflicts';

const FRANCE_2027: BusinessCalendar = { ...DEFAULT_CALENDAR, holidays: frenchPublicHolidays(2027) };
const allDay = () => [{ start: '00:00', end: '24:00' }];
const ALWAYS_PARIS: BusinessCalendar = { timeZone: 'Europe/Paris', week: { 1: allDay(), 2: allDay(), 3: allDay(), 4: allDay(), 5: allDay(), 6: allDay(), 7: allDay() }, holidays: [] };
const nineToFive = () => [{ start: '09:00', end: '17:00' }];
/** New York, Monday to Friday 09:00–17:00; Wed 5 May 2027 closed (a company day off, say). */
const NEW_YORK: BusinessCalendar = { timeZone: 'America/New_York', week: { 1: nineToFive(), 2: nineToFive(), 3: nineToFive(), 4: nineToFive(), 5: nineToFive(), 6: [], 7: [] }, holidays: ['2027-05-05'] };

const slot = (id: string, start: string, durationMinutes: number, technicianIds: string[], status: PlannedSlot['status'] = 'planned'): PlannedSlot => ({ id, start, durationMinutes, technicianIds, status });

const context = (over: Partial<ConflictContext> = {}): ConflictContext => ({
  slots: [],
  absencesByTechnician: {},
  calendarsByTechnician: { alice: FRANCE_2027, bob: FRANCE_2027, carol: NEW_YORK },
  ...over,
});

// Instants in UTC with the Paris time beside them (CET = UTC+1 until 28 Mar 2027, CEST = UTC+2 after).
describe('examples', () => {
  // Tue 19 Jan 2027 10:00–12:00 CET, within working hours (09:00–12:30).
  const candidate = slot('new', '2027-01-19T09:00:00Z', 120, ['alice']);

  it('finds nothing in a free calendar', () => {
    expect(findConflicts(candidate, context())).toEqual([]);
    expect(slotEnd(candidate)).toBe('2027-01-19T11:00:00.000Z');
  });

  it('reports the overlap with another slot of the same technician, as the time they share', () => {
    const other = slot('s1', '2027-01-19T10:00:00Z', 30, ['alice']); // 11:00–11:30 CET
    expect(findConflicts(candidate, context({ slots: [other] }))).toEqual([
      { kind: 'overlap', technicianId: 'alice', withSlotId: 's1', from: '2027-01-19T10:00:00.000Z', to: '2027-01-19T10:30:00.000Z' },
    ]);
    const longer = slot('s2', '2027-01-19T08:00:00Z', 600, ['alice']); // 09:00–19:00 CET covers it all
    expect(findConflicts(candidate, context({ slots: [longer, other] })).map((c) => c.kind === 'overlap' && [c.withSlotId, c.from, c.to])).toEqual([
      ['s2', '2027-01-19T09:00:00.000Z', '2027-01-19T11:00:00.000Z'],
      ['s1', '2027-01-19T10:00:00.000Z', '2027-01-19T10:30:00.000Z'],
    ]);
  });

  it('does not count touching slots as overlapping', () => {
    const before = slot('before', '2027-01-19T08:00:00Z', 60, ['alice']); // 09:00–10:00 CET
    const after = slot('after', '2027-01-19T11:00:00Z', 60, ['alice']); // 12:00–13:00 CET
    expect(findConflicts(candidate, context({ slots: [before, after] }))).toEqual([]);
    const oneMinuteMore = slot('before', '2027-01-19T08:00:00Z', 61, ['alice']);
    expect(findConflicts(candidate, context({ slots: [oneMinuteMore] }))).toHaveLength(1);
  });

  it('never conflicts with cancelled slots, with itself, or with other technicians’ slots', () => {
    const cancelled = slot('s1', '2027-01-19T09:00:00Z', 120, ['alice'], 'cancelled');
    const itselfBeforeTheMove = slot('new', '2027-01-19T10:00:00Z', 120, ['alice']);
    const bobs = slot('s2', '2027-01-19T09:00:00Z', 120, ['bob']);
    expect(findConflicts(candidate, context({ slots: [cancelled, itselfBeforeTheMove, bobs] }))).toEqual([]);
    // A cancelled candidate conflicts with nothing; a done slot still took the time.
    expect(findConflicts({ ...candidate, status: 'cancelled' }, context({ slots: [bobs, slot('s3', '2027-01-19T09:00:00Z', 120, ['alice'])] }))).toEqual([]);
    expect(findConflicts(candidate, context({ slots: [slot('s3', '2027-01-19T09:00:00Z', 120, ['alice'], 'done')] }))).toHaveLength(1);
  });

  it('checks each technician of a shared slot', () => {
    const pair = slot('new', '2027-01-19T09:00:00Z', 120, ['alice', 'bob', 'alice']);
    const bobAndCarol = slot('s1', '2027-01-19T08:30:00Z', 60, ['bob', 'carol']); // 09:30–10:30 CET
    const aliceAndBob = slot('s2', '2027-01-19T10:30:00Z', 60, ['alice', 'bob']); // 11:30–12:30 CET
    expect(findConflicts(pair, context({ slots: [bobAndCarol, aliceAndBob] }))).toEqual([
      { kind: 'overlap', technicianId: 'alice', withSlotId: 's2', from: '2027-01-19T10:30:00.000Z', to: '2027-01-19T11:00:00.000Z' },
      { kind: 'overlap', technicianId: 'bob', withSlotId: 's1', from: '2027-01-19T09:00:00.000Z', to: '2027-01-19T09:30:00.000Z' },
      { kind: 'overlap', technicianId: 'bob', withSlotId: 's2', from: '2027-01-19T10:30:00.000Z', to: '2027-01-19T11:00:00.000Z' },
    ]);
  });

  it('reports approved and requested absences, telling them apart, and not rejected ones', () => {
    const absences: Absence[] = [
      { id: 'ab1', start: '2027-01-19T10:30:00Z', end: '2027-01-19T17:00:00Z', kind: 'sick', status: 'approved' }, // from 11:30 CET
      { id: 'ab2', start: '2027-01-18T00:00:00Z', end: '2027-01-23T00:00:00Z', kind: 'holiday', status: 'requested' },
      { id: 'ab3', start: '2027-01-19T09:00:00Z', end: '2027-01-19T11:00:00Z', kind: 'training', status: 'rejected' },
      { id: 'ab4', start: '2027-01-19T11:00:00Z', end: '2027-01-19T12:00:00Z', kind: 'other', status: 'approved' }, // touches the end
    ];
    expect(findConflicts(candidate, context({ absencesByTechnician: { alice: absences } }))).toEqual([
      { kind: 'absence', technicianId: 'alice', absenceId: 'ab2', absenceKind: 'holiday', absenceStatus: 'requested', from: '2027-01-19T09:00:00.000Z', to: '2027-01-19T11:00:00.000Z' },
      { kind: 'absence', technicianId: 'alice', absenceId: 'ab1', absenceKind: 'sick', absenceStatus: 'approved', from: '2027-01-19T10:30:00.000Z', to: '2027-01-19T11:00:00.000Z' },
    ]);
    expect(findConflicts(candidate, context({ absencesByTechnician: { bob: absences } }))).toEqual([]);
  });

  it('counts the minutes outside working hours', () => {
    // 17:00–19:00 CET: one hour after closing. 12:00–14:00: the lunch break. Saturday: all of it.
    expect(findConflicts(slot('x', '2027-01-19T16:00:00Z', 120, ['alice']), context())).toEqual([{ kind: 'outside_hours', technicianId: 'alice', minutesOutside: 60 }]);
    expect(findConflicts(slot('x', '2027-01-19T11:00:00Z', 120, ['alice']), context())).toEqual([{ kind: 'outside_hours', technicianId: 'alice', minutesOutside: 60 }]);
    expect(findConflicts(slot('x', '2027-01-23T09:00:00Z', 90, ['alice']), context())).toEqual([{ kind: 'outside_hours', technicianId: 'alice', minutesOutside: 90 }]);
  });

  it('reports public holidays by local date, once and not also as time outside hours', () => {
    // Thu 6 May 2027 is Ascension; 10:00–12:00 CEST = 08:00Z.
    expect(findConflicts(slot('x', '2027-05-06T08:00:00Z', 120, ['alice']), context())).toEqual([{ kind: 'holiday', technicianId: 'alice', date: '2027-05-06' }]);
    // Thu 00:30 CEST is Wed 22:30Z: a Paris holiday, and a night hour.
    expect(findConflicts(slot('x', '2027-05-05T22:30:00Z', 60, ['alice']), context())).toEqual([
      { kind: 'holiday', technicianId: 'alice', date: '2027-05-06' },
      { kind: 'outside_hours', technicianId: 'alice', minutesOutside: 60 },
    ]);
    // Wed 17:00 → Fri 10:00 CEST, a two-day job: Wed 60 in hours, Thu the holiday, Fri 60 in hours.
    expect(findConflicts(slot('x', '2027-05-05T15:00:00Z', 41 * 60, ['alice']), context())).toEqual([
      { kind: 'holiday', technicianId: 'alice', date: '2027-05-06' },
      { kind: 'outside_hours', technicianId: 'alice', minutesOutside: 41 * 60 - 120 - 480 }, // Thursday's 480 are the holiday's, not outside hours
    ]);
    // The same instant in New York is Wed 5 May 18:30 EDT: Carol's day off and after her hours; Alice's holiday is not hers.
    expect(findConflicts(slot('x', '2027-05-05T22:30:00Z', 60, ['alice', 'carol']), context())).toEqual([
      { kind: 'holiday', technicianId: 'alice', date: '2027-05-06' },
      { kind: 'outside_hours', technicianId: 'alice', minutesOutside: 60 },
      { kind: 'holiday', technicianId: 'carol', date: '2027-05-05' },
      { kind: 'outside_hours', technicianId: 'carol', minutesOutside: 60 },
    ]);
  });

  it('counts real minutes across the spring clock change', () => {
    // Sat 27 Mar 23:00 CET (22:00Z) + 240 real minutes ends Sun 28 Mar 04:00 CEST (02:00Z): on the wall clock 23:00 + 4 h
    // would read 03:00, but 02:00–03:00 does not exist that night.
    const night = slot('night', '2027-03-27T22:00:00Z', 240, ['alice']);
    expect(slotEnd(night)).toBe('2027-03-28T02:00:00.000Z');
    const fromThree = slot('s1', '2027-03-28T01:00:00Z', 120, ['alice']); // Sun 03:00 CEST
    const fromFour = slot('s2', '2027-03-28T02:00:00Z', 120, ['alice']); // Sun 04:00 CEST: touches the end
    const always = context({ calendarsByTechnician: { alice: ALWAYS_PARIS } });
    expect(findConflicts(night, { ...always, slots: [fromThree, fromFour] })).toEqual([
      { kind: 'overlap', technicianId: 'alice', withSlotId: 's1', from: '2027-03-28T01:00:00.000Z', to: '2027-03-28T02:00:00.000Z' },
    ]);
    expect(findConflicts(fromFour, { ...always, slots: [night] })).toEqual([]);
    // Office hours follow the local clock: 07:00Z is 08:00 CET the Monday before and 09:00 CEST the Monday after.
    expect(findConflicts(slot('x', '2027-03-22T07:00:00Z', 60, ['alice']), context())).toEqual([{ kind: 'outside_hours', technicianId: 'alice', minutesOutside: 60 }]);
    expect(findConflicts(slot('x', '2027-03-29T07:00:00Z', 60, ['bob']), context({ calendarsByTechnician: { bob: DEFAULT_CALENDAR } }))).toEqual([]);
  });

  it('counts real minutes across the autumn clock change', () => {
    // Sun 31 Oct 2027, 02:00–03:00 happens twice in Paris. 01:30 CEST (23:30Z) + 120 ends 02:30 CET (01:30Z);
    // a slot at 02:15 CET (01:15Z), the second time round, overlaps its last quarter of an hour.
    const night = slot('night', '2027-10-30T23:30:00Z', 120, ['alice']);
    const always = context({ calendarsByTechnician: { alice: ALWAYS_PARIS } });
    expect(findConflicts(night, { ...always, slots: [slot('s1', '2027-10-31T01:15:00Z', 30, ['alice'])] })).toEqual([
      { kind: 'overlap', technicianId: 'alice', withSlotId: 's1', from: '2027-10-31T01:15:00.000Z', to: '2027-10-31T01:30:00.000Z' },
    ]);
  });

  it('refuses what it cannot check', () => {
    expect(() => findConflicts(slot('x', '2027-01-19T09:00:00Z', 60, ['dave']), context())).toThrow('no working calendar for technician dave');
    expect(() => findConflicts(slot('x', '2027-01-19T09:00:00Z', 0, ['alice']), context())).toThrow('whole number');
    expect(() => findConflicts(slot('x', '2027-01-19T09:00:00Z', 1.5, ['alice']), context())).toThrow('whole number');
    expect(() => findConflicts(slot('x', 'tuesday', 60, ['alice']), context())).toThrow('ISO');
  });
});

// ---------------------------------------------------------------- properties

const T0 = Date.parse('2027-03-22T00:00:00Z'); // the week of the spring change in Europe
const iso = (ms: number) => new Date(ms).toISOString();
const slotArb = fc.record({
  id: fc.constantFrom('a', 'b', 'c'),
  start: fc.integer({ min: 0, max: 7 * 24 * 4 }).map((quarters) => iso(T0 + quarters * 15 * 60_000)),
  durationMinutes: fc.integer({ min: 1, max: 600 }),
  technicianIds: fc.uniqueArray(fc.constantFrom('t1', 't2', 't3'), { maxLength: 3 }),
  status: fc.constantFrom('planned' as const, 'done' as const, 'cancelled' as const),
});
const calendars = { t1: ALWAYS_PARIS, t2: DEFAULT_CALENDAR, t3: NEW_YORK };
const noAbsences = { slots: [], absencesByTechnician: {}, calendarsByTechnician: calendars };
const span = (s: PlannedSlot) => [Date.parse(s.start), Date.parse(s.start) + s.durationMinutes * 60_000] as const;

describe('properties (fast-check)', () => {
  it('a slot conflicts with another iff they are different, neither is cancelled, they share a technician and their intervals intersect', () => {
    fc.assert(
      fc.property(slotArb, slotArb, (a, b) => {
        const [a0, a1] = span(a);
        const [b0, b1] = span(b);
        const shared = a.technicianIds.filter((t) => b.technicianIds.includes(t));
        const expected = a.id !== b.id && a.status !== 'cancelled' && b.status !== 'cancelled' && a0 < b1 && b0 < a1 ? shared : [];
        const overlaps = findConflicts(a, { ...noAbsences, slots: [b] }).filter((c) => c.kind === 'overlap');
        expect(overlaps.map((c) => c.technicianId)).toEqual(expected);
        // The same both ways, over the same time.
        const back = findConflicts(b, { ...noAbsences, slots: [a] }).filter((c) => c.kind === 'overlap');
        expect(back.map((c) => c.kind === 'overlap' && [c.from, c.to]).sort()).toEqual(overlaps.map((c) => c.kind === 'overlap' && [c.from, c.to]).sort());
      }),
      { numRuns: 1000 },
    );
  });

  it('an absence conflicts iff it is not rejected and intersects the slot, over the time they share', () => {
    const absenceArb = fc.record({
      id: fc.constant('ab'),
      start: fc.integer({ min: 0, max: 7 * 24 * 4 }).map((q) => iso(T0 + q * 15 * 60_000)),
      // At least a minute: the API refuses an absence that ends when it starts (an empty one overlaps nothing).
      minutes: fc.integer({ min: 1, max: 3 * 1440 }),
      kind: fc.constantFrom('holiday' as const, 'sick' as const, 'training' as const, 'other' as const),
      status: fc.constantFrom('requested' as const, 'approved' as const, 'rejected' as const),
    }).map(({ minutes, ...a }): Absence => ({ ...a, end: iso(Date.parse(a.start) + minutes * 60_000) }));
    fc.assert(
      fc.property(slotArb, absenceArb, (s, absence) => {
        const [s0, s1] = span(s);
        const [a0, a1] = [Date.parse(absence.start), Date.parse(absence.end)];
        const found = findConflicts(s, { ...noAbsences, absencesByTechnician: { t1: [absence], t2: [absence], t3: [absence] } }).filter((c) => c.kind === 'absence');
        const hit = s.status !== 'cancelled' && absence.status !== 'rejected' && a0 < s1 && s0 < a1;
        expect(found.map((c) => c.technicianId)).toEqual(hit ? s.technicianIds : []);
        for (const c of found) if (c.kind === 'absence') expect([c.from, c.to, c.absenceStatus]).toEqual([iso(Math.max(a0, s0)), iso(Math.min(a1, s1)), absence.status]);
      }),
      { numRuns: 500 },
    );
  });

  it('minutes outside hours and business minutes make up the slot', () => {
    fc.assert(
      fc.property(slotArb, (s) => {
        const conflicts = findConflicts(s, noAbsences);
        for (const t of s.status === 'cancelled' ? [] : s.technicianIds) {
          const outside = conflicts.find((c) => c.kind === 'outside_hours' && c.technicianId === t);
          const inside = businessMinutesBetween(s.start, slotEnd(s), calendars[t as keyof typeof calendars]);
          expect(outside?.kind === 'outside_hours' ? outside.minutesOutside : 0).toBe(s.durationMinutes - inside);
        }
      }),
      { numRuns: 300 },
    );
  });
});
