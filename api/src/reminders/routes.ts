import { randomUUID } from 'node:crypto';
import {
  AppError,
  STAFF_ROLES,
  createReminderBodySchema,
  idParamsSchema,
  notificationListQuerySchema,
  notificationSchema,
  pageSchema,
  reminderListQuerySchema,
  reminderSchema,
  snoozeReminderBodySchema,
  type Reminder,
} from '@vigie/core';
import { staffRepo, clientsRepo, notificationsRepo, pipelineRepo, remindersRepo, type TenantTx } from '@vigie/db';
import { signalReminder, startReminder, type ReminderCommand } from '@vigie/workflows/client';
import { z } from 'zod';
import { route, type Actor, type AnyRoute, type AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, { id: string }>;

/** Managers see everyone's reminders; others only their own (and only they answer them). */
async function reminderOr404(tx: TenantTx, actor: Actor, id: string): Promise<Reminder> {
  const reminder = await remindersRepo.findReminder(tx, id);
  const mayAccess = reminder && (reminder.ownerId === actor.userId || actor.role === 'admin' || actor.role === 'manager');
  if (!reminder || !mayAccess) throw AppError.notFound('reminder');
  return reminder;
}

/** The database changes first (it is the record); then the workflow hears about it. */
async function answer(ctx: Ctx, command: ReminderCommand): Promise<Reminder> {
  const reminder = await ctx.tx(async (tx) => {
    const before = await reminderOr404(tx, ctx.actor, ctx.params.id);
    if (['done', 'cancelled', 'expired'].includes(before.status)) throw AppError.conflict(`this reminder is already ${before.status}`);
    const after = await remindersRepo.setReminder(tx, before.id, {
      status: command.kind === 'snooze' ? 'pending' : command.kind === 'complete' ? 'done' : 'cancelled',
      ...(command.kind === 'snooze' ? { dueAt: command.until } : {}),
    });
    await ctx.audit(tx, { action: `reminder.${command.kind}`, entity: 'reminder', entityId: before.id, before: { status: before.status, dueAt: before.dueAt }, after: { status: after.status, dueAt: after.dueAt } });
    return after;
  });
  await signalReminder(ctx.deps.temporal, ctx.actor.tenantId, reminder.id, command);
  return reminder;
}

export const reminderRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/reminders',
    tag: 'crm',
    summary: 'Create a reminder: at its time the owner is notified in the app and by e-mail',
    auth: STAFF_ROLES,
    body: createReminderBodySchema,
    response: reminderSchema,
    idempotent: true,
    handler: async (ctx) => {
      const { body, actor } = ctx;
      const reminder = await ctx.tx(async (tx) => {
        const ownerId = body.ownerId ?? actor.userId;
        const owner = await staffRepo.findActiveStaff(tx, ownerId);
        if (!owner) throw AppError.invalid('ownerId is not an active staff user', [{ path: 'ownerId', message: 'unknown staff user' }]);
        if (body.clientId && !(await clientsRepo.findClient(tx, body.clientId))) throw AppError.invalid('unknown client', [{ path: 'clientId', message: 'unknown client' }]);
        if (body.opportunityId && !(await pipelineRepo.findOpportunity(tx, body.opportunityId)))
          throw AppError.invalid('unknown opportunity', [{ path: 'opportunityId', message: 'unknown opportunity' }]);
        const created = await remindersRepo.insertReminder(tx, actor.tenantId, randomUUID(), ownerId, body);
        await ctx.audit(tx, { action: 'reminder.create', entity: 'reminder', entityId: created.id, after: created });
        // Started inside the transaction: if Temporal refuses, nothing is written. The ID is the
        // reminder's, so a retry after a lost commit finds the same workflow.
        await startReminder(ctx.deps.temporal, { tenantId: actor.tenantId, reminderId: created.id, dueAt: created.dueAt });
        return created;
      });
      return reminder;
    },
  }),
  route({
    method: 'get',
    path: '/reminders',
    tag: 'crm',
    summary: 'Reminders (yours; managers and admins may filter by ownerId)',
    auth: STAFF_ROLES,
    query: reminderListQuerySchema,
    response: pageSchema(reminderSchema),
    handler: ({ tx, query, actor }) =>
      tx((t) =>
        remindersRepo.listReminders(t, {
          ...query,
          ownerId: actor.role === 'admin' || actor.role === 'manager' ? query.ownerId : actor.userId,
        }),
      ),
  }),
  route({
    method: 'get',
    path: '/reminders/:id',
    tag: 'crm',
    summary: 'One reminder',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: reminderSchema,
    handler: ({ tx, params, actor }) => tx((t) => reminderOr404(t, actor, params.id)),
  }),
  route({
    method: 'post',
    path: '/reminders/:id/snooze',
    tag: 'crm',
    summary: 'Snooze until a new time (fires again then)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    body: snoozeReminderBodySchema,
    response: reminderSchema,
    status: 200,
    handler: (ctx) => answer(ctx as Ctx, { kind: 'snooze', until: ctx.body.until }),
  }),
  route({
    method: 'post',
    path: '/reminders/:id/done',
    tag: 'crm',
    summary: 'Mark done',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: reminderSchema,
    status: 200,
    handler: (ctx) => answer(ctx as Ctx, { kind: 'complete' }),
  }),
  route({
    method: 'delete',
    path: '/reminders/:id',
    tag: 'crm',
    summary: 'Cancel a reminder',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: reminderSchema,
    status: 200,
    handler: (ctx) => answer(ctx as Ctx, { kind: 'cancel' }),
  }),
  route({
    method: 'get',
    path: '/notifications',
    tag: 'notifications',
    summary: 'Your notifications, newest first (filter: unread)',
    auth: STAFF_ROLES,
    query: notificationListQuerySchema,
    response: pageSchema(notificationSchema).extend({ unreadCount: z.number().int() }),
    handler: ({ tx, query, actor }) =>
      tx(async (t) => ({
        ...(await notificationsRepo.listNotifications(t, actor.userId, query)),
        unreadCount: await notificationsRepo.countUnread(t, actor.userId),
      })),
  }),
  route({
    method: 'post',
    path: '/notifications/:id/read',
    tag: 'notifications',
    summary: 'Mark one notification read',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    handler: ({ tx, params, actor }) =>
      tx(async (t) => {
        const n = await notificationsRepo.findNotification(t, params.id);
        if (!n || n.userId !== actor.userId) throw AppError.notFound('notification');
        await notificationsRepo.markRead(t, actor.userId, params.id);
      }),
  }),
  route({
    method: 'post',
    path: '/notifications/read-all',
    tag: 'notifications',
    summary: 'Mark all your notifications read',
    auth: STAFF_ROLES,
    handler: ({ tx, actor }) => tx(async (t) => void (await notificationsRepo.markRead(t, actor.userId))),
  }),
];
