import { z } from 'zod';
import {
  STAFF_ROLES,
  createOpportunityBodySchema,
  createStageBodySchema,
  forecastQuerySchema,
  forecastSchema,
  idParamsSchema,
  moveOpportunityBodySchema,
  opportunityListQuerySchema,
  opportunitySchema,
  pageSchema,
  pipelineStageSchema,
  updateOpportunityBodySchema,
  updateStageBodySchema,
} from '@vigie/core';
import { pipelineRepo, tenantsRepo } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';
import * as pipeline from './service';

const SALES = ['admin', 'manager'] as const;

export const pipelineRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/pipeline/stages',
    tag: 'pipeline',
    summary: 'The tenant’s pipeline stages, in order',
    auth: STAFF_ROLES,
    response: z.object({ items: z.array(pipelineStageSchema) }),
    handler: (ctx) => ctx.tx(async (tx) => ({ items: await pipeline.stages(ctx, tx) })),
  }),
  route({
    method: 'post',
    path: '/pipeline/stages',
    tag: 'pipeline',
    summary: 'Add an open stage',
    auth: ['admin'],
    body: createStageBodySchema,
    response: pipelineStageSchema,
    handler: (ctx) => pipeline.createStage(ctx, ctx.body),
  }),
  route({
    method: 'patch',
    path: '/pipeline/stages/:id',
    tag: 'pipeline',
    summary: 'Rename, reorder or change the default probability of a stage',
    auth: ['admin'],
    params: idParamsSchema,
    body: updateStageBodySchema,
    response: pipelineStageSchema,
    handler: (ctx) => pipeline.updateStage(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'delete',
    path: '/pipeline/stages/:id',
    tag: 'pipeline',
    summary: 'Remove an empty open stage',
    auth: ['admin'],
    params: idParamsSchema,
    handler: (ctx) => pipeline.deleteStage(ctx, ctx.params.id),
  }),
  route({
    method: 'get',
    path: '/opportunities',
    tag: 'pipeline',
    summary: 'List opportunities (filters: stageId, clientId, ownerId, state open/won/lost, q)',
    auth: STAFF_ROLES,
    query: opportunityListQuerySchema,
    response: pageSchema(opportunitySchema),
    handler: ({ tx, query }) => tx((t) => pipelineRepo.listOpportunities(t, query)),
  }),
  route({
    method: 'get',
    path: '/opportunities/forecast',
    tag: 'pipeline',
    summary: 'Weighted forecast of open opportunities by expected close month, in the tenant currency',
    auth: SALES,
    query: forecastQuerySchema,
    response: forecastSchema,
    handler: ({ tx, actor, query }) =>
      tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const settings = (await tenantsRepo.getTenantSettings(t, actor.tenantId))!;
        const from = query.from ?? new Date().toISOString().slice(0, 7);
        return pipelineRepo.forecast(t, settings.currency, from, query.months);
      }),
  }),
  route({
    method: 'post',
    path: '/opportunities',
    tag: 'pipeline',
    summary: 'Create an opportunity (first open stage unless given; owner defaults to you)',
    auth: SALES,
    body: createOpportunityBodySchema,
    response: opportunitySchema,
    idempotent: true,
    handler: (ctx) => pipeline.createOpportunity(ctx, ctx.body),
  }),
  route({
    method: 'get',
    path: '/opportunities/:id',
    tag: 'pipeline',
    summary: 'One opportunity',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: opportunitySchema,
    handler: (ctx) => pipeline.getOpportunity(ctx, ctx.params.id),
  }),
  route({
    method: 'patch',
    path: '/opportunities/:id',
    tag: 'pipeline',
    summary: 'Change an opportunity (amount, probability override, dates, owner, next action)',
    auth: SALES,
    params: idParamsSchema,
    body: updateOpportunityBodySchema,
    response: opportunitySchema,
    handler: (ctx) => pipeline.updateOpportunity(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'post',
    path: '/opportunities/:id/move',
    tag: 'pipeline',
    summary: 'Move to another stage (won/lost are terminal; lost needs lostReason)',
    auth: SALES,
    params: idParamsSchema,
    body: moveOpportunityBodySchema,
    response: opportunitySchema,
    status: 200,
    handler: (ctx) => pipeline.moveOpportunity(ctx, ctx.params.id, ctx.body),
  }),
];
