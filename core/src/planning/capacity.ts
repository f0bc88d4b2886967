/**
 * Workload and capacity forecast, as pure functions: per technician and per team, the minutes they are
 * available, the minutes already planned, and the minutes implied by open tickets. Integer minutes only.
 */
import { AppError } from '../errors';
import type { BusinessCalendar } from '../tickets/business-hours';
import type { TicketPriority } from '../schemas/tickets';
import { availableMinutes, dailyAvailability, type Absence } from './availability';
import { slotSpan, type PlannedSlot } from './conflicts';
import { isoOf, isoWeekdayOf, localDays, parseDate, wholeMinutes } from './instants';

export interface CapacityTechnician {
  id: string;
  calendar: BusinessCalendar;
  absences: Absence[];
  teamIds: string[];
}

/** What the forecast needs of an open ticket. */
export interface OpenTicketLoad {
  id: string;
  assigneeId: string | null;
  teamId: string | null;
  priority: TicketPriority;
  /** The technician's estimate; null: unknown, the average of its priority is used. */
  estimateMinutes: number | null;
}

export interface CapacityInput {
  /** The weeks to forecast, each by its Monday 'YYYY-MM-DD' (read in each technician's time zone). */
  weeks: { start: string }[];
  technicians: CapacityTechnician[];
  slots: PlannedSlot[];
  openTickets: OpenTicketLoad[];
  /** Minutes a ticket of each priority takes on average, for tickets without an estimate. */
  averageByPriority: Record<TicketPriority, number>;
}

export interface CapacityFigures {
  /** Working minutes of the week less approved absences (`availableMinutes`). */
  availableMinutes: number;
  /** Minutes of the slots (not cancelled) that start in the week. */
  plannedMinutes: number;
  /** This week's share of the minutes implied by open tickets. */
  ticketMinutes: number;
}

export interface CapacityWeek {
  start: string;
  /** In the order of the input's technicians. */
  perTechnician: (CapacityFigures & { technicianId: string })[];
  /** Every team named by a technician, in order of first mention; each figure is the sum of its members'. */
  perTeam: (CapacityFigures & { teamId: string })[];
  /** This week's share of open tickets that no technician of the forecast can take. */
  unassignedTicketMinutes: number;
}

export interface CapacityForecast {
  weeks: CapacityWeek[];
}

/** A ticket's implied minutes: its estimate, else the average for its priority. Throws on values that are not whole minutes ≥ 0. */
export function impliedTicketMinutes(ticket: OpenTicketLoad, averageByPriority: Record<TicketPriority, number>): number {
  if (ticket.estimateMinutes !== null) return wholeMinutes(ticket.estimateMinutes, `ticket ${ticket.id}: estimate`, false);
  return wholeMinutes(averageByPriority[ticket.priority], `average for priority ${ticket.priority}`, false);
}

/** `total` in `parts` whole shares as even as can be, the extra minutes going one each to the first shares. */
function spread(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  return Array.from({ length: parts }, (_, i) => base + (i < total % parts ? 1 : 0));
}

function mondays(weeks: { start: string }[]): number[] {
  const days = weeks.map((w) => {
    const day = parseDate(w.start, 'week start');
    if (isoWeekdayOf(day) !== 1) throw AppError.invalid(`week start ${w.start} is not a Monday`);
    return day;
  });
  if (new Set(days).size !== days.length) throw AppError.invalid('each week may be forecast only once');
  return days;
}

/**
 * The capacity forecast, week by week, per technician and per team.
 *
 * - Available: `availableMinutes` over the week, Monday 00:00 to the next Monday 00:00 in the
 *   technician's time zone (public holidays and approved absences taken off).
 * - Planned: each slot that is not cancelled counts its whole duration, for each of its technicians in
 *   the forecast, in the week (local to that technician) in which it starts. Done slots count: they took
 *   the time.
 * - Tickets: the open tickets' implied minutes (`impliedTicketMinutes`) go to their assignee; to their team
 *   when they have no assignee (or one outside the forecast); else they are unassigned. Each of these sums
 *   is spread evenly over the forecast weeks — the backlog is to be worked through over the horizon shown,
 *   so a longer horizon shows a lighter load per week — and a team's sum evenly over its weeks and
 *   technicians, in whole minutes: the minutes that do not divide go one each to the earliest weeks (and,
 *   within a week, to the first technicians in input order). Every implied minute is counted exactly once.
 * - A team's figures are the sums of its members' (a technician in two teams counts in both, a slot with
 *   two members of a team twice, like a ticket of another team split to one of its members).
 *
 * Throws (AppError invalid_input) on a week start that is not a Monday or given twice, a technician id
 * given twice, or invalid calendars, absences, slots or minutes.
 */
export function capacityForecast(input: CapacityInput): CapacityForecast {
  const weekDays = mondays(input.weeks);
  const weekCount = weekDays.length;
  const technicians = input.technicians;
  const index = new Map<string, number>();
  technicians.forEach((t, i) => {
    if (index.has(t.id)) throw AppError.invalid(`technician ${t.id} is given twice`);
    index.set(t.id, i);
  });

  // Week spans [start, end) in each technician's zone.
  const spans = technicians.map((t) => {
    const days = localDays(t.calendar.timeZone);
    return weekDays.map((monday) => [days.start(monday), days.start(monday + 7)] as const);
  });

  const available = technicians.map((t, i) => spans[i]!.map(([start, end]) => availableMinutes(t.calendar, t.absences, isoOf(start), isoOf(end))));

  const planned = technicians.map(() => new Array<number>(weekCount).fill(0));
  for (const slot of input.slots) {
    const [start] = slotSpan(slot);
    if (slot.status === 'cancelled') continue;
    for (const technicianId of new Set(slot.technicianIds)) {
      const i = index.get(technicianId);
      if (i === undefined) continue;
      const week = spans[i]!.findIndex(([from, to]) => from <= start && start < to);
      if (week >= 0) planned[i]![week]! += slot.durationMinutes;
    }
  }

  const teamIds = [...new Set(technicians.flatMap((t) => t.teamIds))];
  const members = new Map(teamIds.map((teamId) => [teamId, technicians.flatMap((t, i) => (t.teamIds.includes(teamId) ? [i] : []))]));

  const byTechnician = new Array<number>(technicians.length).fill(0);
  const byTeam = new Map<string, number>();
  let unassigned = 0;
  for (const ticket of input.openTickets) {
    const minutes = impliedTicketMinutes(ticket, input.averageByPriority);
    const assignee = ticket.assigneeId === null ? undefined : index.get(ticket.assigneeId);
    if (assignee !== undefined) byTechnician[assignee]! += minutes;
    else if (ticket.teamId !== null && members.has(ticket.teamId)) byTeam.set(ticket.teamId, (byTeam.get(ticket.teamId) ?? 0) + minutes);
    else unassigned += minutes;
  }
  const ticketShares = technicians.map(() => new Array<number>(weekCount).fill(0));
  if (weekCount > 0) {
    byTechnician.forEach((total, i) => spread(total, weekCount).forEach((share, w) => (ticketShares[i]![w]! += share)));
    for (const [teamId, total] of byTeam) {
      const team = members.get(teamId)!;
      spread(total, weekCount * team.length).forEach((share, cell) => (ticketShares[team[cell % team.length]!]![Math.floor(cell / team.length)]! += share));
    }
  }
  const unassignedShares = weekCount > 0 ? spread(unassigned, weekCount) : [];

  return {
    weeks: input.weeks.map((week, w) => {
      const perTechnician = technicians.map((t, i) => ({
        technicianId: t.id,
        availableMinutes: available[i]![w]!,
        plannedMinutes: planned[i]![w]!,
        ticketMinutes: ticketShares[i]![w]!,
      }));
      const perTeam = teamIds.map((teamId) => {
        const team = members.get(teamId)!;
        const sum = (pick: (figures: CapacityFigures) => number) => team.reduce((total, i) => total + pick(perTechnician[i]!), 0);
        return { teamId, availableMinutes: sum((f) => f.availableMinutes), plannedMinutes: sum((f) => f.plannedMinutes), ticketMinutes: sum((f) => f.ticketMinutes) };
      });
      return { start: week.start, perTechnician, perTeam, unassignedTicketMinutes: unassignedShares[w]! };
    }),
  };
}

export interface DailyWorkload {
  /** Local date in the technician's time zone. */
  date: string;
  availableMinutes: number;
  /** Minutes of the technician's slots (not cancelled) that start on this date, whole durations. */
  plannedMinutes: number;
}

/**
 * Planned against available minutes for one technician, for each local date from `fromDate` to `toDate`
 * included, by the same rules as `capacityForecast` with days for weeks (its per-technician figures are
 * the weekly workload). [] when toDate < fromDate.
 */
export function dailyWorkload(input: {
  technicianId: string;
  calendar: BusinessCalendar;
  absences: Absence[];
  slots: PlannedSlot[];
  fromDate: string;
  toDate: string;
}): DailyWorkload[] {
  const daily = dailyAvailability(input.calendar, input.absences, input.fromDate, input.toDate);
  if (daily.length === 0) return [];
  const first = parseDate(input.fromDate, 'fromDate');
  const days = localDays(input.calendar.timeZone);
  const planned = new Array<number>(daily.length).fill(0);
  for (const slot of input.slots) {
    const [start] = slotSpan(slot);
    if (slot.status === 'cancelled' || !slot.technicianIds.includes(input.technicianId)) continue;
    const day = days.dayAt(start) - first;
    if (day >= 0 && day < planned.length) planned[day]! += slot.durationMinutes;
  }
  return daily.map(({ date, minutes }, i) => ({ date, availableMinutes: minutes, plannedMinutes: planned[i]! }));
}
