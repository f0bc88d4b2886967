import {
  AppError,
  STAFF_ROLES,
  absenceDecisionBodySchema,
  absenceListQuerySchema,
  absenceSchema,
  createAbsenceBodySchema,
  idParamsSchema,
  pageSchema,
  putScheduleBodySchema,
  technicianScheduleSchema,
  type AbsenceView,
} from '@vigie/core';
import { availabilityRepo, schedulesRepo, type TenantTx } from '@vigie/db';
import { route, type Actor, type AnyRoute, type AuthedContext } from '../http/route';
import { calendarRoutes } from './calendar';
import { capacityRoutes } from './capacity';
import { feedRoutes } from './feeds';
import { checkWeek, technicianCalendar, technicianOr404, tenantCalendar } from './technician-calendars';

/**
 * Availability: absences with a manager's approval, technicians' working weeks. Technicians request
 * their own absences and see only theirs; admins and managers see, record, decide and delete any.
 */
const MANAGERS = ['admin', 'manager'] as const;
const isManager = (actor: Actor) => actor.role === 'admin' || actor.role === 'manager';

type Ctx = AuthedContext<unknown, unknown, unknown>;

/** An absence the actor may see: a technician only their own (someone else's answers 404). */
async function absenceOr404(tx: TenantTx, actor: Actor, id: string, lock = false): Promise<AbsenceView> {
  const absence = await availabilityRepo.findAbsence(tx, id, lock);
  if (!absence || (!isManager(actor) && absence.technicianId !== actor.userId)) throw AppError.notFound('absence');
  return absence;
}

const auditAbsence = (ctx: Ctx, tx: TenantTx, action: string, before: AbsenceView | null, after: AbsenceView | null) =>
  ctx.audit(tx, { action, entity: 'absence', entityId: (after ?? before)!.id, before, after });

async function decide(ctx: AuthedContext<{ comment?: string | undefined }, unknown, { id: string }>, status: 'approved' | 'rejected'): Promise<AbsenceView> {
  return ctx.tx(async (tx) => {
    const before = await absenceOr404(tx, ctx.actor, ctx.params.id, true);
    if (before.technicianId === ctx.actor.userId && ctx.actor.role !== 'admin') throw new AppError('forbidden', 'a manager cannot decide their own absence: an admin or another manager does');
    // Approve what is requested; reject what is requested, or withdraw an approval.
    const allowed = status === 'approved' ? ['requested'] : ['requested', 'approved'];
    if (!allowed.includes(before.status)) throw AppError.conflict(`this absence is ${before.status}: it cannot be ${status} now`);
    const after = await availabilityRepo.decideAbsence(tx, before.id, { status, by: ctx.actor.userId, comment: ctx.body.comment || null });
    await auditAbsence(ctx, tx, `absence.${status === 'approved' ? 'approve' : 'reject'}`, before, after);
    return after;
  });
}

const absenceRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/absences',
    tag: 'planning',
    summary: 'Absences (filters technicianId (uuid or me), status, from/to: those overlapping the range, q); a technician sees only their own',
    auth: STAFF_ROLES,
    query: absenceListQuerySchema,
    response: pageSchema(absenceSchema),
    handler: ({ tx, query, actor }) => {
      const asked = query.technicianId === 'me' ? actor.userId : query.technicianId;
      if (!isManager(actor) && asked !== undefined && asked !== actor.userId) throw new AppError('forbidden', 'technicians see their own absences only');
      return tx((t) => availabilityRepo.listAbsences(t, { ...query, technicianId: isManager(actor) ? asked : actor.userId }));
    },
  }),
  route({
    method: 'post',
    path: '/absences',
    tag: 'planning',
    summary: 'Request an absence (requested until a manager approves it); admins and managers may record one for a technician',
    auth: STAFF_ROLES,
    body: createAbsenceBodySchema,
    response: absenceSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        const userId = ctx.body.technicianId ?? ctx.actor.userId;
        if (userId !== ctx.actor.userId && !isManager(ctx.actor)) throw new AppError('forbidden', 'technicians request their own absences only');
        const technician = await availabilityRepo.findStaffMember(tx, userId);
        if (!technician || technician.disabled) throw AppError.invalid('technicianId is not an active staff member', [{ path: 'technicianId', message: 'not an active staff member' }]);
        const absence = await availabilityRepo.insertAbsence(tx, ctx.actor.tenantId, {
          userId,
          kind: ctx.body.kind,
          startAt: ctx.body.startAt,
          endAt: ctx.body.endAt,
          reason: ctx.body.reason ?? '',
        });
        await auditAbsence(ctx, tx, 'absence.create', null, absence);
        return absence;
      }),
  }),
  route({
    method: 'post',
    path: '/absences/:id/approve',
    tag: 'planning',
    summary: 'Approve a requested absence (it then reduces the technician’s availability); not one’s own unless admin',
    auth: MANAGERS,
    params: idParamsSchema,
    body: absenceDecisionBodySchema,
    response: absenceSchema,
    status: 200,
    handler: (ctx) => decide(ctx, 'approved'),
  }),
  route({
    method: 'post',
    path: '/absences/:id/reject',
    tag: 'planning',
    summary: 'Reject a requested absence, or withdraw an approved one; not one’s own unless admin',
    auth: MANAGERS,
    params: idParamsSchema,
    body: absenceDecisionBodySchema,
    response: absenceSchema,
    status: 200,
    handler: (ctx) => decide(ctx, 'rejected'),
  }),
  route({
    method: 'delete',
    path: '/absences/:id',
    tag: 'planning',
    summary: 'Delete an absence: a technician their own while requested, admins and managers any',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        const before = await absenceOr404(tx, ctx.actor, ctx.params.id, true);
        if (!isManager(ctx.actor) && before.status !== 'requested') throw AppError.conflict(`this absence is ${before.status}: ask a manager to change it`);
        await availabilityRepo.deleteAbsence(tx, before.id);
        await auditAbsence(ctx, tx, 'absence.delete', before, null);
      }),
  }),
];

const scheduleRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/technicians/:id/schedule',
    tag: 'planning',
    summary: 'A technician’s working week (custom: false when the tenant’s business hours apply)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: technicianScheduleSchema,
    handler: ({ tx, actor, params }) =>
      tx(async (t) => {
        await technicianOr404(t, params.id);
        const { calendar, custom } = await technicianCalendar(t, actor.tenantId, params.id);
        return { technicianId: params.id, week: calendar.week, custom };
      }),
  }),
  route({
    method: 'put',
    path: '/technicians/:id/schedule',
    tag: 'planning',
    summary: 'Set a technician’s working week in the tenant’s time zone (admins and managers); null: back to the tenant’s business hours',
    auth: MANAGERS,
    params: idParamsSchema,
    body: putScheduleBodySchema,
    response: technicianScheduleSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await technicianOr404(tx, ctx.params.id);
        const tenant = await tenantCalendar(tx, ctx.actor.tenantId);
        const before = await schedulesRepo.findWeek(tx, ctx.params.id);
        const week = ctx.body.week;
        if (week === null) await schedulesRepo.deleteWeek(tx, ctx.params.id);
        else {
          checkWeek(tenant, week);
          await schedulesRepo.putWeek(tx, ctx.actor.tenantId, ctx.params.id, week);
        }
        await ctx.audit(tx, { action: 'technician-schedule.update', entity: 'user', entityId: ctx.params.id, before: { week: before }, after: { week } });
        return { technicianId: ctx.params.id, week: week ?? tenant.week, custom: week !== null };
      }),
  }),
];

/** Every availability route: absences, working weeks, technician calendars, capacity and calendar feeds. */
export const availabilityRoutes: AnyRoute[] = [...absenceRoutes, ...scheduleRoutes, ...calendarRoutes, ...capacityRoutes, ...feedRoutes];
