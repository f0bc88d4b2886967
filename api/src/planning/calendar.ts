import { addDays, AppError, localDateIn, STAFF_ROLES, startOfLocalDate, dailyWorkload, idParamsSchema, rangeQuerySchema, technicianCalendarSchema, type Intervention, type PlannedSlot } from '@vigie/core';
import { availabilityRepo, interventionsRepo } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';
import { coreAbsence, mondayOf, dateSpan, technicianCalendar, technicianOr404 } from './technician-calendars';

const MAX_DAYS = 93;

const slotOf = (i: Intervention): PlannedSlot => ({
  id: i.id,
  start: i.startAt,
  durationMinutes: i.durationMinutes,
  technicianIds: i.technicians.map((t) => t.id),
  status: i.status,
});

export const calendarRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/technicians/:id/calendar',
    tag: 'planning',
    summary:
      'A technician’s calendar over whole local days (at most 93; default this week; a missing from is a week before to): their interventions, absences (requested and approved), public holidays, and per day the minutes available (working hours less approved absences) and planned (interventions not cancelled, by their start)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    query: rangeQuerySchema.partial(),
    response: technicianCalendarSchema,
    handler: ({ tx, actor, params, query }) =>
      tx(async (t) => {
        await technicianOr404(t, params.id);
        const { calendar } = await technicianCalendar(t, actor.tenantId, params.id);
        const tz = calendar.timeZone;
        // Default: this local week, Monday to Monday; `to` alone is read as the week before it.
        const monday = mondayOf(localDateIn(Date.now(), tz));
        const to = query.to ? Date.parse(query.to) : query.from ? Date.parse(query.from) + 7 * 86_400_000 : Date.parse(startOfLocalDate(addDays(monday, 7), tz));
        const from = query.from ? Date.parse(query.from) : query.to ? to - 7 * 86_400_000 : Date.parse(startOfLocalDate(monday, tz));
        if (to <= from) throw AppError.invalid('to must be after from', [{ path: 'query.to', message: 'must be after from' }]);
        if (to - from > MAX_DAYS * 86_400_000) throw AppError.invalid(`the range is at most ${MAX_DAYS} days`, [{ path: 'query.to', message: `at most ${MAX_DAYS} days after from` }]);
        const fromDate = localDateIn(from, tz);
        const toDate = localDateIn(to - 1, tz);
        const span = dateSpan(fromDate, toDate, tz);
        // One transaction is one connection: its queries run one after the other.
        const interventions = await interventionsRepo.listInterventions(t, { from: span.from, to: span.to, technicianId: params.id });
        const absences = await availabilityRepo.absencesIn(t, { technicianId: params.id, statuses: ['requested', 'approved'], from: span.from, to: span.to });
        const days = dailyWorkload({
          technicianId: params.id,
          calendar,
          absences: absences.map(coreAbsence),
          slots: interventions.map(slotOf),
          fromDate,
          toDate,
        });
        return {
          technicianId: params.id,
          timeZone: tz,
          interventions,
          absences,
          holidays: calendar.holidays.filter((d) => d >= fromDate && d <= toDate).sort(),
          days: days.map((d) => ({ date: d.date, availableMinutes: d.availableMinutes, plannedMinutes: d.plannedMinutes })),
        };
      }),
  }),
];
