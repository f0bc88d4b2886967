/**
 * Conflicts of a planned intervention, flagged before it is saved (created, moved or reassigned): other
 * interventions of the same technician at the same time, absences, public holidays, time outside the
 * technician's working hours. Pure: the caller passes everything the check needs.
 * Intervals are half-open [start, start + duration): one that ends when another starts does not overlap it.
 */
import { AppError } from '../errors';
import { businessMinutesBetween, type BusinessCalendar } from '../tickets/business-hours';
import type { Absence, AbsenceKind } from './availability';
import { absenceSpan, dateOf, isoOf, localDays, MINUTE, parseInstant, wholeMinutes } from './instants';

export const SLOT_STATUSES = ['planned', 'done', 'cancelled'] as const;
export type SlotStatus = (typeof SLOT_STATUSES)[number];

/** An intervention in a technician's calendar. */
export interface PlannedSlot {
  id: string;
  /** ISO instant. */
  start: string;
  /** Real minutes (a slot across a clock change lasts what it says, whatever the wall clock shows). */
  durationMinutes: number;
  technicianIds: string[];
  status: SlotStatus;
}

export type Conflict =
  /** The technician has another slot (not cancelled) during [from, to), the part both share. */
  | { kind: 'overlap'; technicianId: string; withSlotId: string; from: string; to: string }
  /** The technician is absent during [from, to); a requested absence may still be refused. */
  | { kind: 'absence'; technicianId: string; absenceId: string; absenceKind: AbsenceKind; absenceStatus: 'requested' | 'approved'; from: string; to: string }
  /** Minutes of the slot outside the technician's working week (public holidays aside: see 'holiday'). */
  | { kind: 'outside_hours'; technicianId: string; minutesOutside: number }
  /** The slot touches a public holiday of the technician's calendar (local date). */
  | { kind: 'holiday'; technicianId: string; date: string };

export type ConflictKind = Conflict['kind'];

export interface ConflictContext {
  /** The other slots to compare with; the candidate itself (same id) and cancelled ones are skipped. */
  slots: PlannedSlot[];
  /** Absences per technician id (rejected ones are skipped); a technician without any may be missing. */
  absencesByTechnician: Record<string, Absence[]>;
  /** The working calendar of every technician of the candidate. */
  calendarsByTechnician: Record<string, BusinessCalendar>;
}

/** A slot as [startMs, endMs). Throws (AppError invalid_input) on a start that is not ISO or a duration that is not a whole number ≥ 1. */
export function slotSpan(slot: PlannedSlot): [number, number] {
  const start = parseInstant(slot.start, `slot ${slot.id}: start`);
  return [start, start + wholeMinutes(slot.durationMinutes, `slot ${slot.id}: duration`, true) * MINUTE];
}

/** The instant (UTC ISO) a slot ends, excluded. */
export function slotEnd(slot: PlannedSlot): string {
  return isoOf(slotSpan(slot)[1]);
}

const unique = (ids: string[]) => [...new Set(ids)];

/**
 * Everything wrong with planning `candidate`, per technician of the candidate in its order: overlaps
 * (by start, then slot id), absences (by start, then id), public holidays (by date), then time outside
 * working hours. [] for a cancelled candidate. Holidays and working hours are read in each technician's
 * own calendar; minutes outside hours count the working week only, so a slot on a public holiday is
 * reported once, as 'holiday', not also as outside hours.
 * Throws (AppError invalid_input) when a technician of the candidate has no calendar, or on invalid slots or absences.
 */
export function findConflicts(candidate: PlannedSlot, context: ConflictContext): Conflict[] {
  const [start, end] = slotSpan(candidate);
  if (candidate.status === 'cancelled') return [];
  const others = context.slots
    .filter((slot) => slot.id !== candidate.id && slot.status !== 'cancelled')
    .map((slot) => ({ slot, span: slotSpan(slot) }));
  const conflicts: Conflict[] = [];
  for (const technicianId of unique(candidate.technicianIds)) {
    const calendar = context.calendarsByTechnician[technicianId];
    if (!calendar) throw AppError.invalid(`no working calendar for technician ${technicianId}`);

    const overlaps = others
      .filter(({ slot, span }) => slot.technicianIds.includes(technicianId) && span[0] < end && span[1] > start)
      .map(({ slot, span }) => ({ withSlotId: slot.id, from: Math.max(span[0], start), to: Math.min(span[1], end) }))
      .sort((a, b) => a.from - b.from || a.withSlotId.localeCompare(b.withSlotId));
    for (const o of overlaps) conflicts.push({ kind: 'overlap', technicianId, withSlotId: o.withSlotId, from: isoOf(o.from), to: isoOf(o.to) });

    const absences: (Absence & { span: [number, number] })[] = [];
    for (const absence of context.absencesByTechnician[technicianId] ?? []) {
      if (absence.status === 'rejected') continue;
      const span = absenceSpan(absence);
      if (span && span[0] < end && span[1] > start) absences.push({ ...absence, span });
    }
    absences.sort((a, b) => a.span[0] - b.span[0] || a.id.localeCompare(b.id));
    for (const a of absences) {
      conflicts.push({
        kind: 'absence',
        technicianId,
        absenceId: a.id,
        absenceKind: a.kind,
        absenceStatus: a.status === 'approved' ? 'approved' : 'requested',
        from: isoOf(Math.max(a.span[0], start)),
        to: isoOf(Math.min(a.span[1], end)),
      });
    }

    const workingWeek: BusinessCalendar = { ...calendar, holidays: [] };
    const inside = businessMinutesBetween(isoOf(start), isoOf(end), workingWeek); // validates the calendar
    const holidays = new Set(calendar.holidays);
    const days = localDays(calendar.timeZone);
    for (let day = days.dayAt(start); days.start(day) < end; day++) {
      if (holidays.has(dateOf(day))) conflicts.push({ kind: 'holiday', technicianId, date: dateOf(day) });
    }
    const minutesOutside = candidate.durationMinutes - inside;
    if (minutesOutside > 0) conflicts.push({ kind: 'outside_hours', technicianId, minutesOutside });
  }
  return conflicts;
}
