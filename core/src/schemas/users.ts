import { z } from 'zod';
import { ROLES } from '../roles';
import { emailSchema, passwordSchema } from './auth';
import { listQuerySchema } from './common';

export const userSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    clientId: z.uuid().nullable(),
    disabled: z.boolean(),
    locale: z.enum(['fr', 'en']).nullable(),
    costRateCents: z.number().int().nullable().meta({ description: 'what an hour of this person costs, in cents (values approved time); null: not set' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

export const createUserBodySchema = z
  .strictObject({
    email: emailSchema,
    name: z.string().trim().min(1).max(120),
    role: z.enum(ROLES),
    password: passwordSchema,
    clientId: z.uuid().optional(),
    locale: z.enum(['fr', 'en']).optional(),
  })
  .refine((u) => (u.role === 'client') === (u.clientId !== undefined), {
    message: 'clientId is required for client users and only for them',
    path: ['clientId'],
  })
  .meta({ id: 'CreateUserBody' });
export type CreateUserBody = z.infer<typeof createUserBodySchema>;

export const updateUserBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(120).optional(),
    role: z.enum(ROLES).optional(),
    disabled: z.boolean().optional(),
    locale: z.enum(['fr', 'en']).nullable().optional(),
    password: passwordSchema.optional(),
    costRateCents: z.number().int().min(0).max(1e8).nullable().optional().meta({ description: 'cost of an hour, in cents' }),
  })
  .meta({ id: 'UpdateUserBody' });
export type UpdateUserBody = z.infer<typeof updateUserBodySchema>;

export const userListQuerySchema = listQuerySchema.extend({
  role: z.enum(ROLES).optional(),
  disabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
export type UserListQuery = z.infer<typeof userListQuerySchema>;

/** Invite by e-mail: the invitee chooses a password from the link (valid 7 days). */
export const inviteUserBodySchema = z
  .strictObject({
    email: emailSchema,
    name: z.string().trim().min(1).max(120),
    role: z.enum(ROLES),
    clientId: z.uuid().optional(),
    locale: z.enum(['fr', 'en']).optional(),
  })
  .refine((u) => (u.role === 'client') === (u.clientId !== undefined), {
    message: 'clientId is required for client users and only for them',
    path: ['clientId'],
  })
  .meta({ id: 'InviteUserBody' });
export type InviteUserBody = z.infer<typeof inviteUserBodySchema>;

export const invitationSchema = z
  .object({ user: userSchema, expiresAt: z.iso.datetime(), emailQueued: z.boolean() })
  .meta({ id: 'Invitation' });

export const acceptInvitationBodySchema = z
  .strictObject({ token: z.string().min(20).max(200), password: passwordSchema })
  .meta({ id: 'AcceptInvitationBody' });
