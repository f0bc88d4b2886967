import ical, { ICalEventBusyStatus, ICalEventStatus, ICalEventTransparency, escape } from 'ical-generator';

/**
 * A technician's planning as an iCalendar feed (RFC 5545), for the secret subscription URL that Outlook,
 * Google Calendar and Thunderbird poll. Pure: same input, same bytes (no "now" in the output when every
 * absence carries its `updatedAt`), so the route can hash it for an ETag.
 *
 * Times are written in UTC (`…Z`): ical-generator formats plain instants correctly in UTC, while a TZID
 * would need a VTIMEZONE generator plus a zoned date library. Every client shows UTC instants in the
 * user's own zone, DST included. `timeZone` is used for the human-readable time in the description.
 */

export type InterventionStatus = 'planned' | 'done' | 'cancelled';
export type InterventionMode = 'remote' | 'onsite';

export interface FeedIntervention {
  /** Stable id: the event's UID is `intervention-<id>@vigie`, so clients update instead of duplicating. */
  id: string;
  /** ISO 8601 instant with an offset or `Z` (a bare local time would depend on the server's zone). */
  start: string;
  durationMinutes: number;
  /** Cancelled interventions stay in the feed with STATUS:CANCELLED, so subscribed clients drop them. */
  status: InterventionStatus;
  mode: InterventionMode;
  ticketNumber: string;
  subject: string;
  clientName: string;
  /** The site's address, for on-site interventions. */
  address: string | null;
  /** Link to the ticket in the web app. */
  url: string;
  /** ISO instant of the last change: LAST-MODIFIED and DTSTAMP. */
  updatedAt: string;
}

export interface FeedAbsence {
  /** Stable id: the event's UID is `absence-<id>@vigie`. */
  id: string;
  /**
   * Either two ISO instants (with offset or `Z`, end exclusive), or two dates `YYYY-MM-DD` for whole days,
   * `end` being the last day off (inclusive; written as the exclusive DTEND the RFC wants).
   */
  start: string;
  end: string;
  /** `holiday`, `sick`, `training` get a French label; any other kind is shown as is. */
  kind: string;
  /** ISO instant of the last change (DTSTAMP, LAST-MODIFIED). Without it DTSTAMP is the render time. */
  updatedAt?: string;
}

export interface TechnicianFeedInput {
  technicianName: string;
  tenantName: string;
  /** IANA zone (`Europe/Paris`) for the local times written in descriptions. */
  timeZone: string;
  interventions: FeedIntervention[];
  absences?: FeedAbsence[];
}

/** How often clients should poll: REFRESH-INTERVAL (RFC 7986) and X-PUBLISHED-TTL (Outlook). */
export const FEED_REFRESH_SECONDS = 15 * 60;

export const interventionUid = (id: string) => `intervention-${checkId(id)}@vigie`;
export const absenceUid = (id: string) => `absence-${checkId(id)}@vigie`;

const STATUS: Record<InterventionStatus, ICalEventStatus> = {
  planned: ICalEventStatus.CONFIRMED,
  done: ICalEventStatus.CONFIRMED,
  cancelled: ICalEventStatus.CANCELLED,
};
const STATUS_LABEL: Record<InterventionStatus, string> = { planned: 'prévue', done: 'terminée', cancelled: 'annulée' };
const ABSENCE_LABEL = new Map([['holiday', 'Congés'], ['sick', 'Maladie'], ['training', 'Formation']]);
export const REMOTE_LOCATION = 'À distance';

export function renderTechnicianFeed(input: TechnicianFeedInput): string {
  const when = localTimeFormat(input.timeZone);
  const calendar = ical({
    prodId: { company: 'Vigie', product: 'Planning', language: 'FR' },
    // ical-generator writes NAME, X-WR-CALNAME and X-WR-CALDESC without escaping them (events are escaped).
    name: escape(`Vigie — ${input.technicianName}`, false),
    description: escape(`Interventions de ${input.technicianName} (${input.tenantName})`, false),
    ttl: FEED_REFRESH_SECONDS,
  });

  for (const item of input.interventions) {
    if (!Number.isInteger(item.durationMinutes) || item.durationMinutes <= 0) {
      throw new RangeError(`intervention ${item.id}: durationMinutes must be a positive integer`);
    }
    const start = instant(item.start, `intervention ${item.id} start`);
    const end = new Date(start.getTime() + item.durationMinutes * 60_000);
    const updatedAt = instant(item.updatedAt, `intervention ${item.id} updatedAt`);
    const onsite = item.mode === 'onsite';
    const location = onsite ? item.address : REMOTE_LOCATION;
    calendar.createEvent({
      id: interventionUid(item.id),
      start,
      end,
      stamp: updatedAt,
      lastModified: updatedAt,
      summary: `[${item.ticketNumber}] ${item.clientName} — ${item.subject}`,
      ...(location ? { location } : {}),
      description: [
        `${item.ticketNumber} — ${item.subject}`,
        `Client : ${item.clientName}`,
        onsite ? `Sur site : ${item.address ?? 'adresse non renseignée'}` : REMOTE_LOCATION,
        `Horaire : ${when.formatRange(start, end)} (${input.timeZone})`,
        `Statut : ${STATUS_LABEL[item.status]}`,
        item.url,
      ].join('\n'),
      url: uriValue(item.url),
      status: STATUS[item.status],
      // A cancelled slot no longer blocks the technician's free/busy time.
      transparency: item.status === 'cancelled' ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
    });
  }

  for (const absence of input.absences ?? []) {
    const { start, end, allDay } = absenceSpan(absence);
    const updatedAt = absence.updatedAt === undefined ? undefined : instant(absence.updatedAt, `absence ${absence.id} updatedAt`);
    calendar.createEvent({
      id: absenceUid(absence.id),
      start,
      end,
      allDay,
      ...(updatedAt ? { stamp: updatedAt, lastModified: updatedAt } : {}),
      summary: `Absence — ${ABSENCE_LABEL.get(absence.kind) ?? absence.kind}`,
      transparency: ICalEventTransparency.OPAQUE,
      busystatus: ICalEventBusyStatus.OOF,
    });
  }

  // The RFC's grammar ends the object with a CRLF too; ical-generator stops at `END:VCALENDAR`.
  return `${calendar.toString()}\r\n`;
}

const OFFSET_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** An ISO instant that says its offset; `2026-03-29T10:00` alone would be read in the server's zone. */
function instant(value: string, what: string): Date {
  const date = new Date(value);
  if (!OFFSET_INSTANT.test(value) || Number.isNaN(date.getTime())) {
    throw new RangeError(`${what}: expected an ISO instant with an offset or Z, got ${JSON.stringify(value)}`);
  }
  return date;
}

function day(value: string, what: string): Date {
  const date = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new RangeError(`${what}: not a calendar date ${JSON.stringify(value)}`);
  }
  return date;
}

function absenceSpan(absence: FeedAbsence): { start: Date; end: Date; allDay: boolean } {
  const what = `absence ${absence.id}`;
  if (DATE_ONLY.test(absence.start) && DATE_ONLY.test(absence.end)) {
    const start = day(absence.start, `${what} start`);
    const lastDay = day(absence.end, `${what} end`);
    if (lastDay < start) throw new RangeError(`${what}: ends before it starts`);
    // Dates in UTC midnight: ical-generator writes an all-day date from the UTC fields.
    return { start, end: new Date(lastDay.getTime() + 86_400_000), allDay: true };
  }
  const start = instant(absence.start, `${what} start`);
  const end = instant(absence.end, `${what} end`);
  if (end <= start) throw new RangeError(`${what}: ends before it starts`);
  return { start, end, allDay: false };
}

/** UIDs are written verbatim by the library: keep ids to characters that need no escaping. */
function checkId(id: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new RangeError(`unexpected id for a calendar UID: ${JSON.stringify(id)}`);
  return id;
}

/**
 * A URI value is not TEXT: RFC 5545 has no backslash escaping for it, yet ical-generator escapes `,` and `;`
 * in URL. Percent-encoding them (and validating the URL) keeps the link exact for every client.
 */
function uriValue(url: string): string {
  return new URL(url).href.replace(/[,;\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function localTimeFormat(timeZone: string): Intl.DateTimeFormat {
  try {
    return new Intl.DateTimeFormat('fr-FR', { timeZone, dateStyle: 'full', timeStyle: 'short' });
  } catch {
    throw new RangeError(`unknown time zone ${JSON.stringify(timeZone)}`);
  }
}
