/**
 * The technician's iCalendar feed, read back by an independent parser: Mozilla's ical.js (the one inside
 * Thunderbird), not the library that wrote it. Pure unit test: no stack needed.
 */
// ical.js is an ES module: typed with an import-mode type import, loaded with a dynamic import().
import type ICALModule from 'ical.js' with { 'resolution-mode': 'import' };
import {
  FEED_REFRESH_SECONDS,
  REMOTE_LOCATION,
  renderTechnicianFeed,
  type FeedIntervention,
  type TechnicianFeedInput,
} from '../src/planning/ical';

let ICAL: typeof ICALModule;
type Component = InstanceType<typeof ICALModule.Component>;
type ICalEvent = InstanceType<typeof ICALModule.Event>;
type ICalTime = InstanceType<typeof ICALModule.Time>;

const TRICKY_SUBJECT = 'Imprimante, bac 2; bloqué\nne démarre plus — « urgent » ü ß 🖨️ \\ fin';

const base = (over: Partial<FeedIntervention> & Pick<FeedIntervention, 'id'>): FeedIntervention => ({
  start: '2026-03-23T09:00:00+01:00',
  durationMinutes: 60,
  status: 'planned',
  mode: 'remote',
  ticketNumber: 'T-2026-0001',
  subject: 'Poste lent',
  clientName: 'Boulangerie Dupont',
  address: null,
  url: `https://vigie.example/tickets/${over.id}`,
  updatedAt: '2026-03-01T10:00:00Z',
  ...over,
});

const INPUT: TechnicianFeedInput = {
  technicianName: 'Jean Dupont',
  tenantName: 'InfoGérance, Lyon; SARL',
  timeZone: 'Europe/Paris',
  interventions: [
    base({ id: 'remote-1' }),
    // Europe/Paris springs forward on 2026-03-29 at 02:00 → 03:00: 01:30 CET + 2 h = 04:30 CEST.
    base({
      id: 'onsite-dst',
      start: '2026-03-29T01:30:00+01:00',
      durationMinutes: 120,
      mode: 'onsite',
      ticketNumber: 'T-2026-0042',
      subject: TRICKY_SUBJECT,
      clientName: 'Cabinet Martin & Fils',
      address: '12, rue de la Paix; bât. B\n75002 Paris',
      url: 'https://vigie.example/tickets/42?tab=time,notes',
      updatedAt: '2026-03-20T08:15:00Z',
    }),
    // …and falls back on 2026-10-25 at 03:00 → 02:00: 01:30 CEST + 2 h = 02:30 CET.
    base({ id: 'autumn', start: '2026-10-25T01:30:00+02:00', durationMinutes: 120, status: 'done' }),
    base({ id: 'cancelled-1', start: '2026-03-24T14:00:00Z', durationMinutes: 45, status: 'cancelled', mode: 'onsite', address: '1 place Bellecour, Lyon' }),
  ],
  absences: [
    { id: 'holiday-1', start: '2026-04-10', end: '2026-04-14', kind: 'holiday', updatedAt: '2026-02-01T09:00:00Z' },
    { id: 'training-1', start: '2026-05-04T13:00:00+02:00', end: '2026-05-04T17:00:00+02:00', kind: 'training', updatedAt: '2026-02-02T09:00:00Z' },
  ],
};

function parse(text: string): Component {
  return new ICAL.Component(ICAL.parse(text));
}

function events(calendar: Component): Map<string, ICalEvent> {
  return new Map(calendar.getAllSubcomponents('vevent').map((c) => [String(c.getFirstPropertyValue('uid')), new ICAL.Event(c)]));
}

/** ical.js leaves properties it has no type for (NAME, X-…) raw: decode them with its own TEXT rules. */
const text = (component: Component, name: string) =>
  ICAL.design.icalendar.value.text!.fromICAL!(String(component.getFirstPropertyValue(name)));

const iso = (time: ICalTime) => time.toJSDate().toISOString();

const parisClock = (date: Date) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);

let feed: string;
let calendar: Component;
let byUid: Map<string, ICalEvent>;
beforeAll(async () => {
  ICAL = (await import('ical.js')).default;
  feed = renderTechnicianFeed(INPUT);
  calendar = parse(feed);
  byUid = events(calendar);
});

it('is a well-formed iCalendar object: CRLF lines folded at 75 octets, VERSION and PRODID, final CRLF', () => {
  expect(feed.startsWith('BEGIN:VCALENDAR\r\nVERSION:2.0\r\n')).toBe(true);
  expect(feed.endsWith('END:VCALENDAR\r\n')).toBe(true);
  const lines = feed.slice(0, -2).split('\r\n');
  expect(lines.every((line) => !line.includes('\n') && !line.includes('\r'))).toBe(true);
  expect(lines.every((line) => Buffer.byteLength(line, 'utf8') <= 75)).toBe(true);
  expect(calendar.name).toBe('vcalendar');
  expect(calendar.getFirstPropertyValue('version')).toBe('2.0');
  expect(calendar.getFirstPropertyValue('prodid')).toBe('-//Vigie//Planning//FR');
});

it('names the calendar after the technician and asks clients to refresh every 15 minutes', () => {
  expect(text(calendar, 'name')).toBe('Vigie — Jean Dupont');
  expect(text(calendar, 'x-wr-calname')).toBe('Vigie — Jean Dupont');
  expect(text(calendar, 'x-wr-caldesc')).toBe('Interventions de Jean Dupont (InfoGérance, Lyon; SARL)');
  const refresh = calendar.getFirstProperty('refresh-interval')!;
  expect(refresh.type).toBe('duration');
  expect((refresh.getFirstValue() as InstanceType<typeof ICALModule.Duration>).toSeconds()).toBe(FEED_REFRESH_SECONDS);
  expect(calendar.getFirstPropertyValue('x-published-ttl')).toBe('PT15M');
});

it('has one event per intervention and absence, with stable UIDs', () => {
  expect([...byUid.keys()].sort()).toEqual(
    [
      'absence-holiday-1@vigie',
      'absence-training-1@vigie',
      'intervention-autumn@vigie',
      'intervention-cancelled-1@vigie',
      'intervention-onsite-dst@vigie',
      'intervention-remote-1@vigie',
    ].sort(),
  );
});

it('places every intervention at the right instants, across both DST changes in Europe/Paris', () => {
  const expected: Record<string, [string, string]> = {
    'intervention-remote-1@vigie': ['2026-03-23T08:00:00.000Z', '2026-03-23T09:00:00.000Z'],
    'intervention-onsite-dst@vigie': ['2026-03-29T00:30:00.000Z', '2026-03-29T02:30:00.000Z'],
    'intervention-autumn@vigie': ['2026-10-24T23:30:00.000Z', '2026-10-25T01:30:00.000Z'],
    'intervention-cancelled-1@vigie': ['2026-03-24T14:00:00.000Z', '2026-03-24T14:45:00.000Z'],
  };
  for (const [uid, [start, end]] of Object.entries(expected)) {
    const event = byUid.get(uid)!;
    expect([uid, iso(event.startDate), iso(event.endDate)]).toEqual([uid, start, end]);
    expect(event.startDate.zone?.tzid).toBe('UTC');
  }
  const spring = byUid.get('intervention-onsite-dst@vigie')!;
  expect(spring.duration.toSeconds()).toBe(2 * 3600);
  // Two hours of work, three hours on the wall clock: the hour from 02:00 to 03:00 does not exist that night.
  expect([parisClock(spring.startDate.toJSDate()), parisClock(spring.endDate.toJSDate())]).toEqual(['01:30', '04:30']);
  const autumn = byUid.get('intervention-autumn@vigie')!;
  expect([parisClock(autumn.startDate.toJSDate()), parisClock(autumn.endDate.toJSDate())]).toEqual(['01:30', '02:30']);
});

it('writes summary, location, description, link and status', () => {
  const remote = byUid.get('intervention-remote-1@vigie')!;
  expect(remote.summary).toBe('[T-2026-0001] Boulangerie Dupont — Poste lent');
  expect(remote.location).toBe(REMOTE_LOCATION);
  expect(remote.location).toBe('À distance');
  expect(remote.component.getFirstPropertyValue('status')).toBe('CONFIRMED');
  expect(remote.component.getFirstPropertyValue('transp')).toBe('OPAQUE');
  expect(remote.component.getFirstPropertyValue('url')).toBe('https://vigie.example/tickets/remote-1');
  expect(remote.description.split('\n')).toEqual([
    'T-2026-0001 — Poste lent',
    'Client : Boulangerie Dupont',
    'À distance',
    expect.stringMatching(/^Horaire : lundi 23 mars 2026.*09:00.*10:00.*\(Europe\/Paris\)$/),
    'Statut : prévue',
    'https://vigie.example/tickets/remote-1',
  ]);

  const onsite = byUid.get('intervention-onsite-dst@vigie')!;
  expect(onsite.location).toBe('12, rue de la Paix; bât. B\n75002 Paris');
  expect(onsite.description).toContain('Horaire : dimanche 29 mars 2026');
  expect(onsite.description).toMatch(/01:30.*04:30 \(Europe\/Paris\)/);
  // The description carries the link as typed; the URL property (a URI, never backslash-escaped) percent-encodes the comma.
  expect(onsite.description.endsWith('\nhttps://vigie.example/tickets/42?tab=time,notes')).toBe(true);
  expect(onsite.component.getFirstPropertyValue('url')).toBe('https://vigie.example/tickets/42?tab=time%2Cnotes');
  expect(String(onsite.component.getFirstPropertyValue('last-modified'))).toBe('2026-03-20T08:15:00Z');
  expect(String(onsite.component.getFirstPropertyValue('dtstamp'))).toBe('2026-03-20T08:15:00Z');
});

it('keeps cancelled interventions with STATUS:CANCELLED, not blocking free/busy', () => {
  const cancelled = byUid.get('intervention-cancelled-1@vigie')!;
  expect(cancelled.component.getFirstPropertyValue('status')).toBe('CANCELLED');
  expect(cancelled.component.getFirstPropertyValue('transp')).toBe('TRANSPARENT');
  expect(cancelled.location).toBe('1 place Bellecour, Lyon');
  expect(byUid.get('intervention-autumn@vigie')!.component.getFirstPropertyValue('status')).toBe('CONFIRMED');
});

it('round-trips commas, semicolons, newlines, backslashes, accents and emoji exactly', () => {
  const event = byUid.get('intervention-onsite-dst@vigie')!;
  expect(event.summary).toBe(`[T-2026-0042] Cabinet Martin & Fils — ${TRICKY_SUBJECT}`);
  expect(event.description.startsWith(`T-2026-0042 — ${TRICKY_SUBJECT}\n`)).toBe(true);
  // The raw text is escaped as RFC 5545 TEXT: nothing unescaped leaks onto a line of its own.
  expect(feed).toContain('Imprimante\\, bac 2\\; bloqué\\nne');
});

it('escapes the calendar name too, so a technician name cannot inject lines', () => {
  const name = 'Dupont, Jean; "JD"\r\nEND:VCALENDAR\nBEGIN:VEVENT\\';
  const hostile = renderTechnicianFeed({ ...INPUT, technicianName: name, interventions: [], absences: [] });
  const parsed = parse(hostile);
  expect(text(parsed, 'name')).toBe(`Vigie — ${name.replace('\r\n', '\n')}`);
  expect(parsed.getAllSubcomponents('vevent')).toHaveLength(0);
  expect(hostile.split('\r\n').filter((line) => line === 'END:VCALENDAR')).toHaveLength(1);
});

it('renders absences: whole days as DATE values (end exclusive), timed ones as instants, marked out of office', () => {
  const holiday = byUid.get('absence-holiday-1@vigie')!;
  expect(holiday.summary).toBe('Absence — Congés');
  expect(holiday.startDate.isDate).toBe(true);
  expect(holiday.startDate.toString()).toBe('2026-04-10');
  expect(holiday.endDate.toString()).toBe('2026-04-15'); // last day off is the 14th
  expect(holiday.component.getFirstPropertyValue('x-microsoft-cdo-busystatus')).toBe('OOF');
  const training = byUid.get('absence-training-1@vigie')!;
  expect(training.summary).toBe('Absence — Formation');
  expect([iso(training.startDate), iso(training.endDate)]).toEqual(['2026-05-04T11:00:00.000Z', '2026-05-04T15:00:00.000Z']);
});

it('renders the same bytes twice and keeps UIDs when an intervention changes, with LAST-MODIFIED moving on', () => {
  expect(renderTechnicianFeed(INPUT)).toBe(feed);
  const moved = renderTechnicianFeed({
    ...INPUT,
    interventions: INPUT.interventions.map((item) =>
      item.id === 'remote-1' ? { ...item, start: '2026-03-23T15:00:00+01:00', status: 'cancelled' as const, updatedAt: '2026-03-22T17:00:00Z' } : item,
    ),
  });
  const after = events(parse(moved));
  expect([...after.keys()].sort()).toEqual([...byUid.keys()].sort());
  const event = after.get('intervention-remote-1@vigie')!;
  expect(iso(event.startDate)).toBe('2026-03-23T14:00:00.000Z');
  expect(event.component.getFirstPropertyValue('status')).toBe('CANCELLED');
  expect(String(event.component.getFirstPropertyValue('last-modified'))).toBe('2026-03-22T17:00:00Z');
  expect(String(event.component.getFirstPropertyValue('dtstamp'))).toBe('2026-03-22T17:00:00Z');
});

it('still renders a valid calendar when there is nothing planned', () => {
  const empty = renderTechnicianFeed({ technicianName: 'Jean Dupont', tenantName: 'Acme', timeZone: 'Europe/Paris', interventions: [] });
  const parsed = parse(empty);
  expect(parsed.name).toBe('vcalendar');
  expect(parsed.getFirstPropertyValue('version')).toBe('2.0');
  expect(parsed.getFirstPropertyValue('prodid')).toBe('-//Vigie//Planning//FR');
  expect(text(parsed, 'name')).toBe('Vigie — Jean Dupont');
  expect(parsed.getAllSubcomponents()).toHaveLength(0);
  expect(empty.endsWith('END:VCALENDAR\r\n')).toBe(true);
});

it('refuses input it would otherwise misplace or write unescaped', () => {
  const render = (over: Partial<FeedIntervention>) =>
    () => renderTechnicianFeed({ ...INPUT, absences: [], interventions: [base({ id: 'x', ...over })] });
  expect(render({ start: '2026-03-29T10:00:00' })).toThrow(/offset or Z/); // would be read in the server's zone
  expect(render({ updatedAt: 'yesterday' })).toThrow(/offset or Z/);
  expect(render({ durationMinutes: 0 })).toThrow(/durationMinutes/);
  expect(render({ id: 'a;b' })).toThrow(/UID/);
  expect(render({ url: 'not a url' })).toThrow();
  expect(() => renderTechnicianFeed({ ...INPUT, timeZone: 'Europe/Lyon' })).toThrow(/time zone/);
  expect(() =>
    renderTechnicianFeed({ ...INPUT, absences: [{ id: 'h', start: '2026-04-14', end: '2026-04-10', kind: 'holiday' }] }),
  ).toThrow(/ends before/);
});
