import { randomUUID } from 'node:crypto';
import {
  DEFAULT_PIPELINE_STAGES,
  monthRange,
  weightedCents,
  type CreateOpportunityBody,
  type CreateStageBody,
  type Forecast,
  type Opportunity,
  type OpportunityListQuery,
  type Page,
  type PipelineStage,
  type UpdateOpportunityBody,
  type UpdateStageBody,
} from '@vigie/core';
import { paginate } from '../pagination';
import { definedOnly, likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';


// ---------------------------------------------------------------- stages

interface StageRow {
  id: string;
  name: string;
  position: number;
  probability: number;
  kind: PipelineStage['kind'];
}

const toStage = (row: StageRow): PipelineStage => ({
  id: row.id,
  name: row.name,
  position: row.position,
  probability: row.probability,
  kind: row.kind,
});

/** Idempotent: creates the default stages only for a tenant that has none. Returns how many it made. */
export async function ensureDefaultStages(tx: TenantTx, tenantId: string): Promise<number> {
  // Serialise concurrent runs for the same tenant (a retried activity racing the first attempt).
  await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`pipeline-stages:${tenantId}`]);
  const existing = await tx('pipeline_stages').count<{ n: number }[]>('* as n').first();
  if (Number(existing?.n ?? 0) > 0) return 0;
  await tx('pipeline_stages').insert(
    DEFAULT_PIPELINE_STAGES.map((s, i) => ({ tenant_id: tenantId, id: randomUUID(), name: s.name, position: i * 10, probability: s.probability, kind: s.kind })),
  );
  return DEFAULT_PIPELINE_STAGES.length;
}

export async function listStages(tx: TenantTx): Promise<PipelineStage[]> {
  return ((await tx('pipeline_stages').orderBy([{ column: 'position' }, { column: 'id' }])) as StageRow[]).map(toStage);
}

export async function findStage(tx: TenantTx, id: string): Promise<PipelineStage | undefined> {
  const row = await tx('pipeline_stages').where({ id }).first();
  return row ? toStage(row as StageRow) : undefined;
}

export async function insertStage(tx: TenantTx, tenantId: string, body: CreateStageBody): Promise<PipelineStage> {
  const last = await tx('pipeline_stages').where({ kind: 'open' }).max<{ max: number | null }[]>('position as max').first();
  const [row] = await tx('pipeline_stages')
    .insert({
      tenant_id: tenantId,
      id: randomUUID(),
      name: body.name,
      probability: body.probability,
      kind: body.kind,
      position: body.position ?? Number(last?.max ?? 0) + 5,
    })
    .returning('*');
  return toStage(row as StageRow);
}

export async function updateStage(tx: TenantTx, id: string, body: UpdateStageBody): Promise<PipelineStage> {
  const [row] = await tx('pipeline_stages').where({ id }).update(definedOnly(body)).returning('*');
  return toStage(row as StageRow);
}

export async function deleteStage(tx: TenantTx, id: string): Promise<void> {
  await tx('pipeline_stages').where({ id }).delete();
}

export async function countOpportunitiesInStage(tx: TenantTx, stageId: string): Promise<number> {
  const row = await tx('opportunities').where({ stage_id: stageId }).count<{ n: number }[]>('* as n').first();
  return Number(row?.n ?? 0);
}

// ---------------------------------------------------------------- opportunities

interface OpportunityRow {
  id: string;
  client_id: string;
  client_name: string;
  title: string;
  amount_cents: number;
  currency: string;
  probability: number | null;
  stage_probability: number;
  stage_id: string;
  stage_kind: PipelineStage['kind'];
  expected_close_date: string | null;
  owner_id: string | null;
  next_action: string;
  next_action_at: Date | null;
  lost_reason: string | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toOpportunity = (row: OpportunityRow): Opportunity => ({
  id: row.id,
  clientId: row.client_id,
  clientName: row.client_name,
  title: row.title,
  amountCents: row.amount_cents,
  currency: row.currency,
  probability: row.probability ?? row.stage_probability,
  probabilityOverride: row.probability,
  stageId: row.stage_id,
  stageKind: row.stage_kind,
  expectedCloseDate: row.expected_close_date,
  ownerId: row.owner_id,
  nextAction: row.next_action,
  nextActionAt: row.next_action_at?.toISOString() ?? null,
  lostReason: row.lost_reason,
  closedAt: row.closed_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

function selectOpportunities(tx: TenantTx) {
  return tx('opportunities as o')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'o.tenant_id').andOn('c.id', 'o.client_id');
    })
    .join('pipeline_stages as s', function () {
      this.on('s.tenant_id', 'o.tenant_id').andOn('s.id', 'o.stage_id');
    })
    .select('o.*', 'c.name as client_name', 's.probability as stage_probability', 's.kind as stage_kind');
}

export async function findOpportunity(tx: TenantTx, id: string): Promise<Opportunity | undefined> {
  const row = await selectOpportunities(tx).where('o.id', id).first();
  return row ? toOpportunity(row as OpportunityRow) : undefined;
}

export async function insertOpportunity(
  tx: TenantTx,
  tenantId: string,
  id: string,
  stageId: string,
  currency: string,
  body: CreateOpportunityBody,
): Promise<Opportunity> {
  await tx('opportunities').insert({
    tenant_id: tenantId,
    id,
    client_id: body.clientId,
    title: body.title,
    amount_cents: body.amountCents,
    currency,
    probability: body.probability ?? null,
    stage_id: stageId,
    expected_close_date: body.expectedCloseDate ?? null,
    owner_id: body.ownerId ?? null,
    next_action: body.nextAction ?? '',
    next_action_at: body.nextActionAt ?? null,
  });
  return (await findOpportunity(tx, id))!;
}

export async function updateOpportunity(tx: TenantTx, id: string, body: UpdateOpportunityBody): Promise<Opportunity> {
  await tx('opportunities')
    .where({ id })
    .update({
      ...definedOnly({
        title: body.title,
        amount_cents: body.amountCents,
        currency: body.currency,
        probability: body.probability,
        expected_close_date: body.expectedCloseDate,
        owner_id: body.ownerId,
        next_action: body.nextAction,
        next_action_at: body.nextActionAt,
      }),
      updated_at: tx.fn.now(),
    });
  return (await findOpportunity(tx, id))!;
}

export async function moveOpportunity(tx: TenantTx, id: string, stage: PipelineStage, lostReason: string | null): Promise<Opportunity> {
  await tx('opportunities')
    .where({ id })
    .update({
      stage_id: stage.id,
      lost_reason: stage.kind === 'lost' ? lostReason : null,
      closed_at: stage.kind === 'open' ? null : tx.fn.now(),
      updated_at: tx.fn.now(),
    });
  return (await findOpportunity(tx, id))!;
}

export async function listOpportunities(tx: TenantTx, query: OpportunityListQuery): Promise<Page<Opportunity>> {
  const q = selectOpportunities(tx);
  if (query.stageId) q.where('o.stage_id', query.stageId);
  if (query.clientId) q.where('o.client_id', query.clientId);
  if (query.ownerId) q.where('o.owner_id', query.ownerId);
  if (query.state) q.where('s.kind', query.state);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('o.title', like).orWhereILike('c.name', like));
  }
  return paginate<OpportunityRow, Opportunity>(
    q,
    {
      sortable: { createdAt: 'o.created_at', title: 'o.title', amount: 'o.amount_cents', updatedAt: 'o.updated_at' },
      defaultSort: '-createdAt',
      idColumn: 'o.id',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    toOpportunity,
  );
}

/**
 * Weighted forecast by expected close month for open opportunities in one currency. Each
 * opportunity's weighted value is rounded on its own (see weightedCents), then summed.
 */
export async function forecast(tx: TenantTx, currency: string, from: string, months: number): Promise<Forecast> {
  const range = monthRange(from, months);
  const rows = (await selectOpportunities(tx)
    .where('s.kind', 'open')
    .where('o.currency', currency)) as OpportunityRow[];
  const byMonth = new Map(range.map((m) => [m, { month: m, count: 0, amountCents: 0, weightedCents: 0 }]));
  let undatedCount = 0;
  for (const row of rows) {
    if (!row.expected_close_date) {
      undatedCount++;
      continue;
    }
    const bucket = byMonth.get(row.expected_close_date.slice(0, 7));
    if (!bucket) continue;
    bucket.count++;
    bucket.amountCents += row.amount_cents;
    bucket.weightedCents += weightedCents(row.amount_cents, row.probability ?? row.stage_probability);
  }
  return { currency, months: [...byMonth.values()], undatedCount };
}
