import { randomUUID } from 'node:crypto';
import {
  AppError,
  type CreateOpportunityBody,
  type CreateStageBody,
  type MoveOpportunityBody,
  type Opportunity,
  type PipelineStage,
  type UpdateOpportunityBody,
  type UpdateStageBody,
} from '@vigie/core';
import { staffRepo, clientsRepo, pipelineRepo, type TenantTx } from '@vigie/db';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

/** Stages exist from onboarding; tenants created before the pipeline existed get them on first use. */
export async function stages(ctx: Ctx, tx: TenantTx): Promise<PipelineStage[]> {
  await pipelineRepo.ensureDefaultStages(tx, ctx.actor.tenantId);
  return pipelineRepo.listStages(tx);
}

async function stageOr404(tx: TenantTx, id: string): Promise<PipelineStage> {
  const stage = await pipelineRepo.findStage(tx, id);
  if (!stage) throw AppError.notFound('stage');
  return stage;
}

async function opportunityOr404(tx: TenantTx, id: string): Promise<Opportunity> {
  const opportunity = await pipelineRepo.findOpportunity(tx, id);
  if (!opportunity) throw AppError.notFound('opportunity');
  return opportunity;
}

export async function createStage(ctx: Ctx, body: CreateStageBody): Promise<PipelineStage> {
  if (body.kind !== 'open') throw AppError.conflict('a pipeline has exactly one won and one lost stage; add open stages only');
  return ctx.tx(async (tx) => {
    await stages(ctx, tx);
    const stage = await pipelineRepo.insertStage(tx, ctx.actor.tenantId, body);
    await ctx.audit(tx, { action: 'stage.create', entity: 'pipeline_stage', entityId: stage.id, after: stage });
    return stage;
  });
}

export async function updateStage(ctx: Ctx, id: string, body: UpdateStageBody): Promise<PipelineStage> {
  return ctx.tx(async (tx) => {
    const before = await stageOr404(tx, id);
    const after = await pipelineRepo.updateStage(tx, id, body);
    await ctx.audit(tx, { action: 'stage.update', entity: 'pipeline_stage', entityId: id, before, after });
    return after;
  });
}

export async function deleteStage(ctx: Ctx, id: string): Promise<void> {
  await ctx.tx(async (tx) => {
    const before = await stageOr404(tx, id);
    if (before.kind !== 'open') throw AppError.conflict('the won and lost stages cannot be removed');
    if ((await pipelineRepo.countOpportunitiesInStage(tx, id)) > 0) throw AppError.conflict('move this stage’s opportunities first');
    await pipelineRepo.deleteStage(tx, id);
    await ctx.audit(tx, { action: 'stage.delete', entity: 'pipeline_stage', entityId: id, before });
  });
}

async function assertOwner(tx: TenantTx, ownerId: string | null | undefined): Promise<void> {
  if (!ownerId) return;
  const owner = await staffRepo.findActiveStaff(tx, ownerId);
  if (!owner)
    throw AppError.invalid('ownerId is not an active staff user', [{ path: 'ownerId', message: 'unknown staff user' }]);
}

export async function createOpportunity(ctx: Ctx, body: CreateOpportunityBody): Promise<Opportunity> {
  return ctx.tx(async (tx) => {
    const client = await clientsRepo.findClient(tx, body.clientId);
    if (!client) throw AppError.invalid('clientId is not a client of yours', [{ path: 'clientId', message: 'unknown client' }]);
    await assertOwner(tx, body.ownerId);
    const all = await stages(ctx, tx);
    const stage = body.stageId ? all.find((s) => s.id === body.stageId) : all.find((s) => s.kind === 'open');
    if (!stage) throw AppError.invalid('stageId is not a stage of your pipeline', [{ path: 'stageId', message: 'unknown stage' }]);
    if (stage.kind !== 'open') throw AppError.conflict('a new opportunity starts in an open stage');
    const opportunity = await pipelineRepo.insertOpportunity(
      tx,
      ctx.actor.tenantId,
      randomUUID(),
      stage.id,
      body.currency ?? client.currency,
      { ...body, ownerId: body.ownerId === undefined ? ctx.actor.userId : body.ownerId },
    );
    await ctx.audit(tx, { action: 'opportunity.create', entity: 'opportunity', entityId: opportunity.id, after: opportunity });
    return opportunity;
  });
}

export async function getOpportunity(ctx: Ctx, id: string): Promise<Opportunity> {
  return ctx.tx((tx) => opportunityOr404(tx, id));
}

export async function updateOpportunity(ctx: Ctx, id: string, body: UpdateOpportunityBody): Promise<Opportunity> {
  return ctx.tx(async (tx) => {
    const before = await opportunityOr404(tx, id);
    await assertOwner(tx, body.ownerId);
    const after = await pipelineRepo.updateOpportunity(tx, id, body);
    await ctx.audit(tx, { action: 'opportunity.update', entity: 'opportunity', entityId: id, before, after });
    return after;
  });
}

/** Won and lost are terminal: a closed opportunity does not move again; lost needs a reason. */
export async function moveOpportunity(ctx: Ctx, id: string, body: MoveOpportunityBody): Promise<Opportunity> {
  return ctx.tx(async (tx) => {
    const before = await opportunityOr404(tx, id);
    const stage = await pipelineRepo.findStage(tx, body.stageId);
    if (!stage) throw AppError.invalid('stageId is not a stage of your pipeline', [{ path: 'stageId', message: 'unknown stage' }]);
    if (before.stageKind !== 'open') throw AppError.conflict(`this opportunity is already ${before.stageKind}`);
    if (stage.kind === 'lost' && !body.lostReason)
      throw AppError.invalid('a lost opportunity needs a reason', [{ path: 'lostReason', message: 'required when lost' }]);
    const after = await pipelineRepo.moveOpportunity(tx, id, stage, body.lostReason ?? null);
    await ctx.audit(tx, {
      action: stage.kind === 'open' ? 'opportunity.move' : `opportunity.${stage.kind}`,
      entity: 'opportunity',
      entityId: id,
      before: { stageId: before.stageId },
      after: { stageId: stage.id, lostReason: after.lostReason },
    });
    return after;
  });
}
