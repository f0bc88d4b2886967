import {
  AppError,
  STAFF_ROLES,
  completeInterventionBodySchema,
  conflictSchema,
  createInterventionBodySchema,
  idParamsSchema,
  interventionListQuerySchema,
  interventionSchema,
  updateInterventionBodySchema,
} from '@vigie/core';
import { interventionsRepo } from '@vigie/db';
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route';
import * as interventions from './intervention-service';

/** A calendar range is at most about three months. */
const MAX_RANGE_DAYS = 93;

const checkQuerySchema = z.strictObject({
  interventionId: z.uuid().optional().meta({ description: 'moving an existing intervention: it does not conflict with itself' }),
});

export const interventionRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/interventions',
    tag: 'planning',
    summary: `Interventions overlapping [from, to) (at most ${MAX_RANGE_DAYS} days), by start; filters technicianId, teamId (its members), ticketId, status`,
    auth: STAFF_ROLES,
    query: interventionListQuerySchema,
    response: z.object({ items: z.array(interventionSchema) }),
    handler: ({ tx, query }) => {
      const span = Date.parse(query.to) - Date.parse(query.from);
      if (span <= 0) throw AppError.invalid('query.to: must be after from', [{ path: 'query.to', message: 'must be after from' }]);
      if (span > MAX_RANGE_DAYS * 86_400_000) throw AppError.invalid(`query.to: the range is at most ${MAX_RANGE_DAYS} days`, [{ path: 'query.to', message: `the range is at most ${MAX_RANGE_DAYS} days` }]);
      return tx(async (t) => ({ items: await interventionsRepo.listInterventions(t, query) }));
    },
  }),
  route({
    method: 'post',
    path: '/interventions',
    tag: 'planning',
    summary: `Plan an intervention on a ticket (on site: the site’s address, else the client’s billing address, is copied). Conflicts (overlap, absence, outside hours, holiday) → 409 with \`conflicts\`, nothing saved; with force it is saved and the ${interventions.FORCED_CONFLICTS_HEADER} header counts them. On site: the technicians are reminded before it.`,
    auth: STAFF_ROLES,
    body: createInterventionBodySchema,
    response: interventionSchema,
    idempotent: true,
    handler: (ctx) => interventions.createIntervention(ctx, ctx.body),
  }),
  route({
    method: 'post',
    path: '/interventions/check',
    tag: 'planning',
    summary: 'The conflicts this plan would have, without saving anything (to flag them while dragging)',
    auth: STAFF_ROLES,
    body: createInterventionBodySchema,
    query: checkQuerySchema,
    response: z.object({ conflicts: z.array(conflictSchema) }),
    status: 200,
    handler: (ctx) => interventions.checkIntervention(ctx, ctx.body, ctx.query.interventionId),
  }),
  route({
    method: 'get',
    path: '/interventions/:id',
    tag: 'planning',
    summary: 'One intervention',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: interventionSchema,
    handler: ({ tx, params }) => tx((t) => interventions.interventionOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/interventions/:id',
    tag: 'planning',
    summary: 'Move, resize, reassign, change mode, site or notes of a planned intervention (same conflict rule as a create; 409 once done or cancelled)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    body: updateInterventionBodySchema,
    response: interventionSchema,
    handler: (ctx) => interventions.updateIntervention(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'post',
    path: '/interventions/:id/cancel',
    tag: 'planning',
    summary: 'Cancel a planned intervention (its reminder too)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: interventionSchema,
    status: 200,
    handler: (ctx) => interventions.cancelIntervention(ctx, ctx.params.id),
  }),
  route({
    method: 'post',
    path: '/interventions/:id/complete',
    tag: 'planning',
    summary: 'Mark done; by default one pending time entry per technician of its duration on its date (completing again adds none)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    body: completeInterventionBodySchema,
    response: interventionSchema.extend({ timeEntryIds: z.array(z.uuid()).meta({ description: 'the entries this call created' }) }),
    status: 200,
    handler: (ctx) => interventions.completeIntervention(ctx, ctx.params.id, ctx.body),
  }),
];
