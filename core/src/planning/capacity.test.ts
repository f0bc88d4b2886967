import fc from 'fast-check';
import { DEFAULT_CALENDAR, frenchPublicHolidays, type BusinessCalendar } from '../tickets/business-hours';
import { availableMinutes, startOfLocalDate, type Absence } from './availability';
import { capacityForecast, dailyWorkload, impliedTicketMinutes, type CapacityInput, type CapacityTechnician, type OpenTicketLoad } from './capacity';
import type { PlannedSlot } from './conflicts';

/** Europe/Paris, Mon–Fri 09:00–12:30 and 13:30–18:00 (480 minutes a day), French public holidays of 2027. */
const FRANCE_2027: BusinessCalendar = { ...DEFAULT_CALENDAR, holidays: frenchPublicHolidays(2027) };
const AVERAGES = { low: 60, normal: 120, high: 240, critical: 480 };

const slot = (id: string, start: string, durationMinutes: number, technicianIds: string[], status: PlannedSlot['status'] = 'planned'): PlannedSlot => ({ id, start, durationMinutes, technicianIds, status });
const ticket = (id: string, over: Partial<OpenTicketLoad>): OpenTicketLoad => ({ id, assigneeId: null, teamId: null, priority: 'normal', estimateMinutes: null, ...over });

/*
 * The hand-computed weeks: Mon 3 May and Mon 10 May 2027, Paris (CEST, UTC+2).
 * Thu 6 May is Ascension (a public holiday for both); Sat 8 May (Victoire 1945) falls on a closed day anyway.
 *
 * Alice (teams support): a requested (not approved) leave on Fri 7 May, a rejected one on Mon 3 May.
 * Bob (teams support, field): sick on Wed 5 May 09:00–18:00 (approved), and a training Wed 14:00–16:00
 * approved before he fell ill, inside the same day (counted once).
 *
 * Slots:
 *   s1 on-site, Alice + Bob, Tue 4 May 10:00–12:00             120 min, week 1, for each of them
 *   s2 remote,  Alice,       Fri 7 May 14:00–15:30              90 min, week 1
 *   s3 cancelled, Bob,       Mon 3 May 10:00–11:00              60 min, not counted
 *   s4 remote,  Bob,         Mon 10 May 00:30–01:00 (local)     30 min, week 2: it starts on Sunday 9 May 22:30 in UTC
 *
 * Open tickets (averages: low 60, normal 120, high 240, critical 480):
 *   t1 assigned to Alice, estimate 300                           → Alice 300
 *   t2 team support, no assignee, high, no estimate: 240         → support 240
 *   t3 no team, no assignee, normal, no estimate: 120            → unassigned 120
 *   t4 assigned to Bob, estimate 45                              → Bob 45
 *   Total 705.
 */
const technicians: CapacityTechnician[] = [
  {
    id: 'alice',
    calendar: FRANCE_2027,
    teamIds: ['support'],
    absences: [
      { id: 'al1', start: '2027-05-07T07:00:00Z', end: '2027-05-07T16:00:00Z', kind: 'holiday', status: 'requested' },
      { id: 'al2', start: '2027-05-03T07:00:00Z', end: '2027-05-03T16:00:00Z', kind: 'holiday', status: 'rejected' },
    ],
  },
  {
    id: 'bob',
    calendar: FRANCE_2027,
    teamIds: ['support', 'field'],
    absences: [
      { id: 'bo1', start: '2027-05-05T07:00:00Z', end: '2027-05-05T16:00:00Z', kind: 'sick', status: 'approved' },
      { id: 'bo2', start: '2027-05-05T12:00:00Z', end: '2027-05-05T14:00:00Z', kind: 'training', status: 'approved' },
    ],
  },
];
const slots = [
  slot('s1', '2027-05-04T08:00:00Z', 120, ['alice', 'bob']),
  slot('s2', '2027-05-07T12:00:00Z', 90, ['alice']),
  slot('s3', '2027-05-03T08:00:00Z', 60, ['bob'], 'cancelled'),
  slot('s4', '2027-05-09T22:30:00Z', 30, ['bob']),
];
const openTickets = [
  ticket('t1', { assigneeId: 'alice', teamId: 'support', estimateMinutes: 300 }),
  ticket('t2', { teamId: 'support', priority: 'high' }),
  ticket('t3', {}),
  ticket('t4', { assigneeId: 'bob', estimateMinutes: 45 }),
];
const input: CapacityInput = { weeks: [{ start: '2027-05-03' }, { start: '2027-05-10' }], technicians, slots, openTickets, averageByPriority: AVERAGES };

describe('examples', () => {
  it('matches the hand-computed weeks', () => {
    /*
     * Available
     *   week 1  Alice: Mon, Tue, Wed, Fri = 4 × 480 = 1920 (Thursday is Ascension; her leave is only requested)
     *           Bob:   Mon, Tue, Fri     = 3 × 480 = 1440 (Wednesday sick; the training within it is not taken twice)
     *   week 2  both:  5 × 480 = 2400
     * Planned
     *   week 1  Alice: s1 120 + s2 90 = 210        Bob: s1 120 (s3 cancelled) = 120
     *   week 2  Alice: 0                           Bob: s4 30
     * Tickets, spread over the 2 weeks (the odd minute to the first week)
     *   Alice's own: t1 300 → 150 + 150            Bob's own: t4 45 → 23 + 22
     *   support's queue: t2 240 over 2 weeks × 2 technicians → 60 each, each week
     *   unassigned: t3 120 → 60 + 60
     *   week 1  Alice 150 + 60 = 210   Bob 23 + 60 = 83
     *   week 2  Alice 150 + 60 = 210   Bob 22 + 60 = 82
     * Teams (sum of their members)
     *   support = Alice + Bob: week 1 available 1920 + 1440 = 3360, planned 210 + 120 = 330, tickets 210 + 83 = 293
     *                          week 2 available 2400 + 2400 = 4800, planned 0 + 30 = 30,    tickets 210 + 82 = 292
     *   field   = Bob:         week 1 1440 / 120 / 83, week 2 2400 / 30 / 82
     * Check: tickets 293 + 60 + 292 + 60 = 705, all of them.
     */
    expect(capacityForecast(input)).toEqual({
      weeks: [
        {
          start: '2027-05-03',
          perTechnician: [
            { technicianId: 'alice', availableMinutes: 1920, plannedMinutes: 210, ticketMinutes: 210 },
            { technicianId: 'bob', availableMinutes: 1440, plannedMinutes: 120, ticketMinutes: 83 },
          ],
          perTeam: [
            { teamId: 'support', availableMinutes: 3360, plannedMinutes: 330, ticketMinutes: 293 },
            { teamId: 'field', availableMinutes: 1440, plannedMinutes: 120, ticketMinutes: 83 },
          ],
          unassignedTicketMinutes: 60,
        },
        {
          start: '2027-05-10',
          perTechnician: [
            { technicianId: 'alice', availableMinutes: 2400, plannedMinutes: 0, ticketMinutes: 210 },
            { technicianId: 'bob', availableMinutes: 2400, plannedMinutes: 30, ticketMinutes: 82 },
          ],
          perTeam: [
            { teamId: 'support', availableMinutes: 4800, plannedMinutes: 30, ticketMinutes: 292 },
            { teamId: 'field', availableMinutes: 2400, plannedMinutes: 30, ticketMinutes: 82 },
          ],
          unassignedTicketMinutes: 60,
        },
      ],
    });
  });

  it('puts the whole backlog on a one-week horizon', () => {
    // Same data, week 1 only: Alice 300 + 240 / 2 = 420, Bob 45 + 120 = 165, unassigned 120.
    const [week] = capacityForecast({ ...input, weeks: [{ start: '2027-05-03' }] }).weeks;
    expect(week!.perTechnician.map((t) => t.ticketMinutes)).toEqual([420, 165]);
    expect(week!.unassignedTicketMinutes).toBe(120);
  });

  it('gives a ticket to its team when its assignee is not in the forecast, and leaves it unassigned when no team can take it', () => {
    const tickets = [
      ticket('a', { assigneeId: 'carol', teamId: 'field', estimateMinutes: 100 }), // Carol left: to field, i.e. Bob
      ticket('b', { assigneeId: 'carol', estimateMinutes: 10 }), // no team: unassigned
      ticket('c', { teamId: 'sales', estimateMinutes: 20 }), // nobody in the forecast is in sales: unassigned
      ticket('d', { teamId: 'support', priority: 'critical', estimateMinutes: 0 }), // estimated at nothing: nothing
    ];
    const [week] = capacityForecast({ ...input, weeks: [{ start: '2027-05-03' }], openTickets: tickets }).weeks;
    expect(week!.perTechnician.map((t) => t.ticketMinutes)).toEqual([0, 100]);
    expect(week!.unassignedTicketMinutes).toBe(30);
  });

  it('splits what does not divide minute by minute, earliest weeks first, then first technicians', () => {
    // Support's queue 7 minutes over 2 weeks × 2 technicians: cells (w1 Alice, w1 Bob, w2 Alice, w2 Bob) = 2, 2, 2, 1.
    const weeks = capacityForecast({ ...input, openTickets: [ticket('t', { teamId: 'support', estimateMinutes: 7 })] }).weeks;
    expect(weeks.map((w) => w.perTechnician.map((t) => t.ticketMinutes))).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(impliedTicketMinutes(ticket('t', { priority: 'low' }), AVERAGES)).toBe(60);
    expect(impliedTicketMinutes(ticket('t', { priority: 'low', estimateMinutes: 5 }), AVERAGES)).toBe(5);
  });

  it('reads each technician’s weeks in their own time zone', () => {
    // Carol in New York (EDT, UTC−4): her week of Mon 3 May starts at 04:00Z; s4 (Sun 9 May 22:30Z) is her Sunday evening.
    const nineToFive = () => [{ start: '09:00', end: '17:00' }];
    const newYork: BusinessCalendar = { timeZone: 'America/New_York', week: { 1: nineToFive(), 2: nineToFive(), 3: nineToFive(), 4: nineToFive(), 5: nineToFive(), 6: [], 7: [] }, holidays: [] };
    const carol: CapacityTechnician = { id: 'carol', calendar: newYork, absences: [], teamIds: [] };
    const weeks = capacityForecast({ ...input, technicians: [...technicians, carol], slots: [{ ...slots[3]!, technicianIds: ['bob', 'carol'] }], openTickets: [] }).weeks;
    expect(weeks.map((w) => w.perTechnician.map((t) => [t.technicianId, t.availableMinutes, t.plannedMinutes]))).toEqual([
      [['alice', 1920, 0], ['bob', 1440, 0], ['carol', 2400, 30]],
      [['alice', 2400, 0], ['bob', 2400, 30], ['carol', 2400, 0]],
    ]);
  });

  it('refuses weeks that do not start on a Monday, and repeated weeks or technicians', () => {
    expect(() => capacityForecast({ ...input, weeks: [{ start: '2027-05-04' }] })).toThrow('not a Monday');
    expect(() => capacityForecast({ ...input, weeks: [{ start: '2027-05-03' }, { start: '2027-05-03' }] })).toThrow('only once');
    expect(() => capacityForecast({ ...input, technicians: [technicians[0]!, technicians[0]!] })).toThrow('given twice');
    expect(() => capacityForecast({ ...input, openTickets: [ticket('t', { estimateMinutes: -5 })] })).toThrow('whole number');
    expect(capacityForecast({ ...input, weeks: [] })).toEqual({ weeks: [] });
  });

  it('gives the daily workload of a technician', () => {
    // Bob, week of 3 May: s3 is cancelled; s1 on Tuesday; sick on Wednesday; Ascension on Thursday; s4 on Monday 10 May local.
    expect(dailyWorkload({ technicianId: 'bob', calendar: FRANCE_2027, absences: technicians[1]!.absences, slots, fromDate: '2027-05-03', toDate: '2027-05-10' })).toEqual([
      { date: '2027-05-03', availableMinutes: 480, plannedMinutes: 0 },
      { date: '2027-05-04', availableMinutes: 480, plannedMinutes: 120 },
      { date: '2027-05-05', availableMinutes: 0, plannedMinutes: 0 },
      { date: '2027-05-06', availableMinutes: 0, plannedMinutes: 0 },
      { date: '2027-05-07', availableMinutes: 480, plannedMinutes: 0 },
      { date: '2027-05-08', availableMinutes: 0, plannedMinutes: 0 },
      { date: '2027-05-09', availableMinutes: 0, plannedMinutes: 0 },
      { date: '2027-05-10', availableMinutes: 480, plannedMinutes: 30 },
    ]);
  });
});

// ---------------------------------------------------------------- properties

const MONDAYS = ['2027-03-22', '2027-03-29', '2027-05-03', '2027-10-25', '2027-11-01'];
const PEOPLE = ['p1', 'p2', 'p3'];
const TEAMS = ['x', 'y'];
const iso = (ms: number) => new Date(ms).toISOString();
const T0 = Date.parse('2027-03-20T00:00:00Z');

const forecastArb = fc.record({
  weeks: fc.uniqueArray(fc.constantFrom(...MONDAYS), { minLength: 1, maxLength: 3 }).map((ws) => ws.map((start) => ({ start }))),
  technicians: fc.uniqueArray(fc.constantFrom(...PEOPLE), { maxLength: 3 }).chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record({
          id: fc.constant(id),
          calendar: fc.constantFrom(FRANCE_2027, { ...DEFAULT_CALENDAR, timeZone: 'America/New_York' }),
          teamIds: fc.uniqueArray(fc.constantFrom(...TEAMS), { maxLength: 2 }),
          absences: fc.array(
            fc.record({
              id: fc.uuid(),
              start: fc.integer({ min: 0, max: 240 * 24 }).map((h) => iso(T0 + h * 3_600_000)),
              hours: fc.integer({ min: 0, max: 100 }),
              kind: fc.constant('sick' as const),
              status: fc.constantFrom('requested' as const, 'approved' as const),
            }).map(({ hours, ...a }): Absence => ({ ...a, end: iso(Date.parse(a.start) + hours * 3_600_000) })),
            { maxLength: 3 },
          ),
        }),
      ),
    ),
  ),
  slots: fc.array(
    fc.record({
      id: fc.uuid(),
      start: fc.integer({ min: 0, max: 240 * 24 * 4 }).map((q) => iso(T0 + q * 900_000)),
      durationMinutes: fc.integer({ min: 1, max: 600 }),
      technicianIds: fc.uniqueArray(fc.constantFrom(...PEOPLE, 'gone'), { maxLength: 3 }),
      status: fc.constantFrom('planned' as const, 'done' as const, 'cancelled' as const),
    }),
    { maxLength: 8 },
  ),
  openTickets: fc.array(
    fc.record({
      id: fc.uuid(),
      assigneeId: fc.constantFrom(null, ...PEOPLE, 'gone'),
      teamId: fc.constantFrom(null, ...TEAMS, 'nobody'),
      priority: fc.constantFrom('low' as const, 'normal' as const, 'high' as const, 'critical' as const),
      estimateMinutes: fc.option(fc.integer({ min: 0, max: 2000 })),
    }),
    { maxLength: 8 },
  ),
  averageByPriority: fc.record({ low: fc.nat(500), normal: fc.nat(500), high: fc.nat(500), critical: fc.nat(500) }),
});

describe('properties (fast-check)', () => {
  it('counts every implied ticket minute exactly once, as evenly as whole minutes allow', () => {
    fc.assert(
      fc.property(forecastArb, (input) => {
        const { weeks } = capacityForecast(input);
        const total = input.openTickets.reduce((sum, t) => sum + impliedTicketMinutes(t, input.averageByPriority), 0);
        const counted = weeks.reduce((sum, w) => sum + w.unassignedTicketMinutes + w.perTechnician.reduce((s, t) => s + t.ticketMinutes, 0), 0);
        expect(counted).toBe(total);
        for (let i = 0; i < input.technicians.length; i++) {
          const shares = weeks.map((w) => w.perTechnician[i]!.ticketMinutes);
          expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1 + input.technicians[i]!.teamIds.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('available and planned minutes are those of each technician’s own week, and teams sum their members', () => {
    fc.assert(
      fc.property(forecastArb, (input) => {
        const { weeks } = capacityForecast(input);
        weeks.forEach((week, w) => {
          const monday = input.weeks[w]!.start;
          const nextMonday = new Date(Date.parse(monday) + 7 * 86_400_000).toISOString().slice(0, 10);
          input.technicians.forEach((t, i) => {
            const from = startOfLocalDate(monday, t.calendar.timeZone);
            const to = startOfLocalDate(nextMonday, t.calendar.timeZone);
            const figures = week.perTechnician[i]!;
            expect(figures.availableMinutes).toBe(availableMinutes(t.calendar, t.absences, from, to));
            const planned = input.slots
              .filter((s) => s.status !== 'cancelled' && s.technicianIds.includes(t.id) && from <= new Date(s.start).toISOString() && new Date(s.start).toISOString() < to)
              .reduce((sum, s) => sum + s.durationMinutes, 0);
            expect(figures.plannedMinutes).toBe(planned);
          });
          for (const team of week.perTeam) {
            const members = week.perTechnician.filter((_, i) => input.technicians[i]!.teamIds.includes(team.teamId));
            expect(team.availableMinutes).toBe(members.reduce((s, m) => s + m.availableMinutes, 0));
            expect(team.plannedMinutes).toBe(members.reduce((s, m) => s + m.plannedMinutes, 0));
            expect(team.ticketMinutes).toBe(members.reduce((s, m) => s + m.ticketMinutes, 0));
          }
        });
      }),
      { numRuns: 100 },
    );
  });
});
