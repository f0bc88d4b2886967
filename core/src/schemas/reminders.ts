import { z } from 'zod';
import { listQuerySchema } from './common';

export const REMINDER_STATUSES = ['pending', 'fired', 'done', 'cancelled', 'expired'] as const;
export type ReminderStatus = (typeof REMINDER_STATUSES)[number];

export const createReminderBodySchema = z
  .strictObject({
    title: z.string().trim().min(1).max(200),
    note: z.string().max(2000).optional(),
    dueAt: z.iso.datetime({ offset: true }),
    clientId: z.uuid().optional(),
    opportunityId: z.uuid().optional(),
    ownerId: z.uuid().optional().meta({ description: 'defaults to you' }),
  })
  .meta({ id: 'CreateReminderBody' });
export type CreateReminderBody = z.infer<typeof createReminderBodySchema>;

export const snoozeReminderBodySchema = z
  .strictObject({ until: z.iso.datetime({ offset: true }) })
  .meta({ id: 'SnoozeReminderBody' });

export const reminderSchema = z
  .object({
    id: z.uuid(),
    title: z.string(),
    note: z.string(),
    dueAt: z.iso.datetime(),
    status: z.enum(REMINDER_STATUSES),
    firedCount: z.number().int(),
    ownerId: z.uuid(),
    clientId: z.uuid().nullable(),
    opportunityId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Reminder' });
export type Reminder = z.infer<typeof reminderSchema>;

export const reminderListQuerySchema = listQuerySchema.extend({
  status: z.enum(REMINDER_STATUSES).optional(),
  ownerId: z.uuid().optional(),
  clientId: z.uuid().optional(),
});
export type ReminderListQuery = z.infer<typeof reminderListQuerySchema>;

export const notificationSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    title: z.string(),
    body: z.string(),
    link: z.string().nullable(),
    createdAt: z.iso.datetime(),
    readAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Notification' });
export type Notification = z.infer<typeof notificationSchema>;

export const notificationListQuerySchema = listQuerySchema.extend({
  unread: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
export type NotificationListQuery = z.infer<typeof notificationListQuerySchema>;
