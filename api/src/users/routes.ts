import { createUserBodySchema, idParamsSchema, pageSchema, updateUserBodySchema, userListQuerySchema, userSchema } from '@vigie/core';
import { usersRepo } from '@vigie/db';
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
