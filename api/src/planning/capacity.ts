import { addDays, AppError, localDateIn, TICKET_PRIORITIES, capacityForecast, capacityQuerySchema, capacitySchema, type TicketPriority } from '@vigie/core';
import { availabilityRepo, interventionsRepo, schedulesRepo, teamsRepo, type TenantTx } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';
import { coreAbsence, dateSpan, mondayOf, tenantCalendar, withWeek } from './technician-calendars';

/** Minutes a ticket of each priority takes when neither its estimate nor closed tickets tell. */
export const DEFAULT_MINUTES_BY_PRIORITY: Record<TicketPriority, number> = { low: 30, normal: 60, high: 120, critical: 180 };
const HISTORY_DAYS = 180;

/** Per priority: the average approved minutes of the tickets closed in the last 180 days (with approved time), else the default. */
export async function averageByPriority(tx: TenantTx, now = Date.now()): Promise<Record<TicketPriority, number>> {
  const averages = await availabilityRepo.averageClosedMinutes(tx, new Date(now - HISTORY_DAYS * 86_400_000).toISOString());
  return Object.fromEntries(TICKET_PRIORITIES.map((p) => [p, averages[p] ?? DEFAULT_MINUTES_BY_PRIORITY[p]])) as Record<TicketPriority, number>;
}

export const capacityRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/capacity',
    tag: 'planning',
    summary:
      'Capacity forecast for the next weeks (default 4, from this week), per technician and per team: minutes available, planned, and implied by open tickets (estimate, else the average by priority returned) spread over the weeks; teamId limits it to one team',
    auth: ['admin', 'manager'],
    query: capacityQuerySchema,
    response: capacitySchema,
    handler: ({ tx, actor, query }) =>
      tx(async (t) => {
        if (query.teamId && !(await teamsRepo.findTeam(t, query.teamId))) throw AppError.invalid('teamId is not a team of this tenant', [{ path: 'query.teamId', message: 'no such team' }]);
        const tenant = await tenantCalendar(t, actor.tenantId);
        const tz = tenant.timeZone;
        const first = mondayOf(query.from ?? localDateIn(Date.now(), tz));
        const weeks = Array.from({ length: query.weeks }, (_, i) => ({ start: addDays(first, 7 * i) }));
        // Every technician shares the tenant's zone; a day more on each side would not change a thing.
        const span = dateSpan(first, addDays(first, 7 * query.weeks - 1), tz);

        const technicians = await availabilityRepo.capacityTechnicians(t, query.teamId);
        const ids = technicians.map((x) => x.id);
        // One transaction is one connection: its queries run one after the other.
        const weeksOf = await schedulesRepo.weeksByUser(t, ids);
        const absences = await availabilityRepo.absencesIn(t, { userIds: ids, statuses: ['approved'], from: span.from, to: span.to });
        const slots = ids.length ? await interventionsRepo.slotsOf(t, ids, span.from, span.to) : [];
        const tickets = await availabilityRepo.openTickets(t, query.teamId ? { teamId: query.teamId, userIds: ids } : undefined);
        const averages = await averageByPriority(t);
        const names = await availabilityRepo.teamNames(t);

        const forecast = capacityForecast({
          weeks,
          technicians: technicians.map((x) => ({
            id: x.id,
            calendar: withWeek(tenant, weeksOf.get(x.id)),
            absences: absences.filter((a) => a.technicianId === x.id).map(coreAbsence),
            teamIds: x.teamIds,
          })),
          slots,
          openTickets: tickets,
          averageByPriority: averages,
        });
        const nameOf = new Map(technicians.map((x) => [x.id, x.name]));
        return {
          weeks: forecast.weeks.map((w) => ({
            start: w.start,
            perTechnician: w.perTechnician.map((f) => ({ ...f, name: nameOf.get(f.technicianId)! })),
            perTeam: w.perTeam.map((f) => ({ ...f, name: names.get(f.teamId) ?? '' })),
            unassignedTicketMinutes: w.unassignedTicketMinutes,
          })),
          averageByPriority: averages,
        };
      }),
  }),
];
