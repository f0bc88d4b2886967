import { randomUUID } from 'node:crypto';
import {
  AppError,
  createUserBodySchema,
  idParamsSchema,
  invitationSchema,
  inviteUserBodySchema,
  pageSchema,
  updateUserBodySchema,
  userListQuerySchema,
  userSchema,
} from '@vigie/core';
import { isUniqueViolation, usersRepo } from '@vigie/db';
import { deliverInvitation, inviteUser, NO_PASSWORD } from './invitations';
import { route, type AnyRoute } from '../http/route';
import * as users from './service';

const ADMIN = ['admin'] as const;

export const userRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/users',
    tag: 'users',
    summary: 'List users (filters: role, disabled, q)',
    auth: ADMIN,
    query: userListQuerySchema,
    response: pageSchema(userSchema),
    handler: ({ tx, query }) => tx((t) => usersRepo.listUsers(t, query)),
  }),
  route({
    method: 'post',
    path: '/users',
    tag: 'users',
    summary: 'Create a user',
    auth: ADMIN,
    body: createUserBodySchema,
    response: userSchema,
    idempotent: true,
    handler: (ctx) => users.createUser(ctx, ctx.body),
  }),
  route({
    method: 'post',
    path: '/users/invite',
    tag: 'users',
    summary: 'Invite someone by e-mail: they choose their password from the link (valid 7 days)',
    auth: ADMIN,
    body: inviteUserBodySchema,
    response: invitationSchema,
    idempotent: true,
    handler: async (ctx) => {
      const pending = await ctx
        .tx(async (tx) => {
          const row = await usersRepo.insertUser(tx, ctx.actor.tenantId, {
            id: randomUUID(),
            email: ctx.body.email,
            name: ctx.body.name,
            role: ctx.body.role,
            clientId: ctx.body.clientId,
            locale: ctx.body.locale,
            passwordHash: NO_PASSWORD,
          });
          const invitation = await inviteUser(ctx.deps, tx, ctx.actor, row);
          await ctx.audit(tx, { action: 'user.invite', entity: 'user', entityId: row.id, after: { email: row.email, role: row.role } });
          return invitation;
        })
        .catch((err: unknown) => {
          if (isUniqueViolation(err)) throw AppError.conflict('an account with this e-mail already exists');
          throw err;
        });
      return deliverInvitation(ctx.deps, ctx.actor.tenantId, pending);
    },
  }),
  route({
    method: 'get',
    path: '/users/:id',
    tag: 'users',
    summary: 'One user',
    auth: ADMIN,
    params: idParamsSchema,
    response: userSchema,
    handler: (ctx) => users.getUser(ctx, ctx.params.id),
  }),
  route({
    method: 'patch',
    path: '/users/:id',
    tag: 'users',
    summary: 'Change name, role, locale, password, or disable',
    auth: ADMIN,
    params: idParamsSchema,
    body: updateUserBodySchema,
    response: userSchema,
    handler: (ctx) => users.updateUser(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'delete',
    path: '/users/:id',
    tag: 'users',
    summary: 'Delete a user (the audit log keeps the trace)',
    auth: ADMIN,
    params: idParamsSchema,
    handler: (ctx) => users.deleteUser(ctx, ctx.params.id),
  }),
];
