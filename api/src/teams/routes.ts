import { AppError, idParamsSchema, STAFF_ROLES, teamBodySchema, teamSchema, updateTeamBodySchema } from '@vigie/core';
import { isUniqueViolation, staffRepo, teamsRepo, type TenantTx } from '@vigie/db';
import { z } from 'zod';
import { route, type AnyRoute, type AuthedContext } from '../http/route';

const ADMIN = ['admin'] as const;

/** Members must be active staff of the tenant. */
async function checkMembers(tx: TenantTx, memberIds: string[] | undefined): Promise<void> {
  if (!memberIds?.length) return;
  const staff = new Set((await staffRepo.listStaff(tx)).map((s) => s.id));
  const unknown = memberIds.filter((id) => !staff.has(id));
  if (unknown.length) throw AppError.invalid('memberIds has users who are not active staff', [{ path: 'memberIds', message: `not active staff: ${unknown.join(', ')}` }]);
}

/** A second team with the same name is a conflict, not a crash. */
async function uniqueName<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (isUniqueViolation(err)) throw AppError.conflict('a team with this name already exists');
    throw err;
  }
}

async function teamOr404(tx: TenantTx, id: string) {
  const team = await teamsRepo.findTeam(tx, id);
  if (!team) throw AppError.notFound('team');
  return team;
}

type Ctx = AuthedContext<unknown, unknown, unknown>;
const audit = (ctx: Ctx, tx: TenantTx, action: string, id: string, after: Record<string, unknown> | null) => ctx.audit(tx, { action, entity: 'team', entityId: id, after });

export const teamRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/teams',
    tag: 'users',
    summary: 'Teams of technicians, with their members',
    auth: STAFF_ROLES,
    response: z.object({ items: z.array(teamSchema) }),
    handler: ({ tx }) => tx(async (t) => ({ items: await teamsRepo.listTeams(t) })),
  }),
  route({
    method: 'post',
    path: '/teams',
    tag: 'users',
    summary: 'Create a team',
    auth: ADMIN,
    body: teamBodySchema,
    response: teamSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await checkMembers(tx, ctx.body.memberIds);
        const team = await uniqueName(() => teamsRepo.insertTeam(tx, ctx.actor.tenantId, ctx.body));
        await audit(ctx, tx, 'team.create', team.id, { name: team.name, memberIds: ctx.body.memberIds });
        return team;
      }),
  }),
  route({
    method: 'get',
    path: '/teams/:id',
    tag: 'users',
    summary: 'One team',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: teamSchema,
    handler: ({ tx, params }) => tx((t) => teamOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/teams/:id',
    tag: 'users',
    summary: 'Rename a team or set its members',
    auth: ADMIN,
    params: idParamsSchema,
    body: updateTeamBodySchema,
    response: teamSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await teamOr404(tx, ctx.params.id);
        await checkMembers(tx, ctx.body.memberIds);
        const team = await uniqueName(() => teamsRepo.updateTeam(tx, ctx.actor.tenantId, ctx.params.id, ctx.body));
        await audit(ctx, tx, 'team.update', team.id, { ...ctx.body });
        return team;
      }),
  }),
  route({
    method: 'delete',
    path: '/teams/:id',
    tag: 'users',
    summary: 'Delete a team (its tickets keep their technician and lose the team)',
    auth: ADMIN,
    params: idParamsSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await teamOr404(tx, ctx.params.id);
        await teamsRepo.deleteTeam(tx, ctx.params.id);
        await audit(ctx, tx, 'team.delete', ctx.params.id, null);
      }),
  }),
];
