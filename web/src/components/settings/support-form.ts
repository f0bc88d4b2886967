import {
  TICKET_PRIORITIES,
  type BusinessCalendar,
  type SlaPolicy,
  type TicketMailPlaceholder,
  type TicketPriority,
} from '@vigie/core';
import { ApiError } from '@/api/http';
import { parseHoursToMinutes } from '@/utils/hours';

// ---------------------------------------------------------------- SLA targets

/**
 * An SLA target as typed: hours and minutes ("1 h 30", "1h30", "4 h", "1,5"), or minutes with their unit
 * ("45 min"). Empty: no target (null). NaN when unreadable, zero or negative.
 */
export function parseTarget(text: string): number | null {
  const compact = text.trim().replace(/[\s\u00a0\u202f]/g, '').toLowerCase();
  if (compact === '') return null;
  const minutesOnly = /^(\d{1,6})(?:min|mn|m)$/.exec(compact);
  const minutes = minutesOnly ? Number(minutesOnly[1]) : /^[+-]/.test(compact) ? Number.NaN : parseHoursToMinutes(compact);
  return Number.isFinite(minutes) && minutes > 0 ? minutes : Number.NaN;
}

/** Minutes back to what parseTarget reads: "1 h 30", "4 h", "45 min"; '' without a target. */
export function targetInput(minutes: number | null): string {
  if (minutes === null) return '';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${String(m).padStart(2, '0')}`;
}

export interface SlaTargetsDraft {
  firstResponse: string;
  resolution: string;
}

/** What the policy dialog edits: the targets as text. */
export interface SlaDraft {
  name: string;
  isDefault: boolean;
  targets: Record<TicketPriority, SlaTargetsDraft>;
  warningPercent: number;
  autoCloseDays: number;
}

export function draftFromPolicy(policy: SlaPolicy | null): SlaDraft {
  const targets = Object.fromEntries(
    TICKET_PRIORITIES.map((p) => {
      const target = policy?.targets[p];
      return [p, { firstResponse: targetInput(target?.firstResponseMinutes ?? null), resolution: targetInput(target?.resolutionMinutes ?? null) }];
    }),
  ) as Record<TicketPriority, SlaTargetsDraft>;
  return {
    name: policy?.name ?? '',
    isDefault: policy?.isDefault ?? false,
    targets,
    warningPercent: policy?.warningPercent ?? 75,
    autoCloseDays: policy?.autoCloseDays ?? 7,
  };
}

/** The request body; an unreadable duration is sent as NaN, which the schema refuses (the dialog says why first). */
export function prepareSla(draft: SlaDraft) {
  const targets = Object.fromEntries(
    TICKET_PRIORITIES.map((p) => [
      p,
      { firstResponseMinutes: parseTarget(draft.targets[p].firstResponse), resolutionMinutes: parseTarget(draft.targets[p].resolution) },
    ]),
  );
  return {
    name: draft.name,
    isDefault: draft.isDefault,
    targets,
    warningPercent: Number(draft.warningPercent),
    autoCloseDays: Number(draft.autoCloseDays),
  };
}

/** Body paths (minutes) shown on the text inputs. */
export const SLA_ALIASES: Record<string, string> = Object.fromEntries(
  TICKET_PRIORITIES.flatMap((p) => [
    [`targets.${p}.firstResponseMinutes`, `targets.${p}.firstResponse`],
    [`targets.${p}.resolutionMinutes`, `targets.${p}.resolution`],
  ]),
);

// ---------------------------------------------------------------- business calendar

export const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** At most this many intervals per day (the API's limit). */
export const MAX_INTERVALS = 6;

export interface IntervalDraft {
  /** Stable v-for key while intervals are added and removed. */
  key: number;
  start: string;
  end: string;
}

export interface CalendarDraft {
  timeZone: string;
  week: Record<Weekday, IntervalDraft[]>;
  holidays: string[];
}

let nextKey = 1;
export const intervalDraft = (start: string, end: string): IntervalDraft => ({ key: nextKey++, start, end });

export function draftFromCalendar(c: BusinessCalendar): CalendarDraft {
  const week = Object.fromEntries(WEEKDAYS.map((d) => [d, c.week[d].map((i) => intervalDraft(i.start, i.end))])) as Record<Weekday, IntervalDraft[]>;
  return { timeZone: c.timeZone, week, holidays: [...c.holidays].sort() };
}

export function calendarBody(draft: CalendarDraft): BusinessCalendar {
  const week = Object.fromEntries(WEEKDAYS.map((d) => [d, draft.week[d].map(({ start, end }) => ({ start, end }))])) as BusinessCalendar['week'];
  return { timeZone: draft.timeZone, week, holidays: [...draft.holidays] };
}

const toMinutes = (hhmm: string) => (/^\d{2}:\d{2}$/.test(hhmm) ? Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3)) : null);
const toClock = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * A time of day as people type it, written HH:mm: "9" → 09:00, "9h30" / "9.30" / "930" → 09:30, "14:5" stays
 * unread. Anything unreadable is kept as typed: the API says what is wrong with it, next to the field.
 */
export function normalizeClock(text: string): string {
  const compact = text.trim().replace(/\s+/g, '').replace(/[hH.]/g, ':');
  const m = /^(\d{1,2})(?::(\d{2})?)?$/.exec(compact) ?? /^(\d{1,2})(\d{2})$/.exec(compact);
  return m ? `${m[1]!.padStart(2, '0')}:${m[2] ?? '00'}` : text.trim();
}

/** The interval a new row proposes: 09:00–12:00 on a closed day, else the hour after the day's last interval. */
export function nextInterval(day: IntervalDraft[]): IntervalDraft {
  const lastEnd = day.length ? toMinutes(day[day.length - 1]!.end) : null;
  if (lastEnd === null || lastEnd >= 23 * 60) return intervalDraft('09:00', '12:00');
  return intervalDraft(toClock(lastEnd), toClock(Math.min(lastEnd + 60, 23 * 60 + 59)));
}

/** A calendar error in the interface's words, where it belongs. */
export type CalendarProblem =
  | { kind: 'time'; day: Weekday; index: number; edge: 'start' | 'end' }
  | { kind: 'order' | 'overlap'; day: Weekday; index: number }
  | { kind: 'tooMany'; day: Weekday }
  | { kind: 'timeZone' }
  | { kind: 'holiday'; date: string }
  | { kind: 'noWorkingTime' }
  | { kind: 'other'; message: string };

/**
 * The API's reasons for refusing a calendar, placed: schema errors come with a path (`week.6.0.end`,
 * `timeZone`, `holidays.3`), the calendar's own rules as sentences ("weekday 6, interval 1: ends … at or
 * before it starts"), which are read back to their day and interval.
 */
export function calendarProblems(err: ApiError, draft: CalendarDraft): CalendarProblem[] {
  const problems: CalendarProblem[] = [];
  for (const fe of err.fieldErrors) {
    const path = fe.path.split('.');
    const message = fe.message;
    const dayOf = (text: string | undefined): Weekday | null => (WEEKDAYS as readonly number[]).includes(Number(text)) ? (Number(text) as Weekday) : null;
    if (path[0] === 'week') {
      const day = dayOf(path[1]);
      if (day && path.length >= 4 && (path[3] === 'start' || path[3] === 'end')) {
        problems.push({ kind: 'time', day, index: Number(path[2]), edge: path[3] });
        continue;
      }
      if (day && path.length === 2) {
        problems.push({ kind: 'tooMany', day });
        continue;
      }
    }
    if (path[0] === 'timeZone') {
      problems.push({ kind: 'timeZone' });
      continue;
    }
    if (path[0] === 'holidays') {
      problems.push({ kind: 'holiday', date: draft.holidays[Number(path[1])] ?? '' });
      continue;
    }
    const rule = /^weekday (\d), interval (\d+): (.*)$/.exec(message);
    const day = dayOf(rule?.[1]);
    if (rule && day) {
      const index = Number(rule[2]) - 1;
      const what = rule[3]!;
      if (/^start /.test(what)) problems.push({ kind: 'time', day, index, edge: 'start' });
      else if (/^end /.test(what)) problems.push({ kind: 'time', day, index, edge: 'end' });
      else if (/at or before it starts/.test(what)) problems.push({ kind: 'order', day, index });
      else problems.push({ kind: 'overlap', day, index });
    } else if (/^unknown time zone/.test(message)) problems.push({ kind: 'timeZone' });
    else if (/^holiday (\S+) is not a date/.test(message)) problems.push({ kind: 'holiday', date: /^holiday (\S+)/.exec(message)![1]! });
    else if (/no working time/.test(message)) problems.push({ kind: 'noWorkingTime' });
    else problems.push({ kind: 'other', message });
  }
  // A refusal without details (none expected): say it in general.
  if (problems.length === 0 && /no working time/.test(err.problem.detail ?? '')) problems.push({ kind: 'noWorkingTime' });
  return problems;
}

// ---------------------------------------------------------------- ticket e-mails

/** What the preview fills the placeholders with (the interface's language; the e-mail keeps the tenant's text). */
export type PlaceholderSamples = Record<TicketMailPlaceholder, string>;

/** The subject as sent: one line, and the `[#number]` tag added at the end when the text leaves it out (replies thread by it). */
export function previewSubject(filled: string, number: string): string {
  let subject = filled.replace(/[\r\n]+/g, ' ').trim();
  const tag = `[#${number}]`;
  if (!subject.includes(tag)) subject = `${subject} ${tag}`.trim();
  return subject;
}
