import { z } from 'zod';
import { listQuerySchema } from './common';

export const STAGE_KINDS = ['open', 'won', 'lost'] as const;
export type StageKind = (typeof STAGE_KINDS)[number];

/** What a new tenant's pipeline starts with (onboarding writes it); won and lost are terminal. */
export const DEFAULT_PIPELINE_STAGES: { name: string; probability: number; kind: StageKind }[] = [
  { name: 'Lead', probability: 10, kind: 'open' },
  { name: 'Qualifié', probability: 25, kind: 'open' },
  { name: 'Proposition', probability: 50, kind: 'open' },
  { name: 'Négociation', probability: 75, kind: 'open' },
  { name: 'Gagné', probability: 100, kind: 'won' },
  { name: 'Perdu', probability: 0, kind: 'lost' },
];

export const pipelineStageSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    position: z.number().int(),
    probability: z.number().int().min(0).max(100),
    kind: z.enum(STAGE_KINDS),
  })
  .meta({ id: 'PipelineStage' });
export type PipelineStage = z.infer<typeof pipelineStageSchema>;

export const createStageBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(60),
    probability: z.number().int().min(0).max(100),
    kind: z.enum(STAGE_KINDS).default('open'),
    position: z.number().int().min(0).max(1000).optional(),
  })
  .meta({ id: 'CreateStageBody' });
export type CreateStageBody = z.infer<typeof createStageBodySchema>;

export const updateStageBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(60).optional(),
    probability: z.number().int().min(0).max(100).optional(),
    position: z.number().int().min(0).max(1000).optional(),
  })
  .meta({ id: 'UpdateStageBody' });
export type UpdateStageBody = z.infer<typeof updateStageBodySchema>;

const dateOnly = z.iso.date();

const opportunityFields = {
  clientId: z.uuid(),
  title: z.string().trim().min(1).max(200),
  amountCents: z.number().int().min(0).max(1e12),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  probability: z.number().int().min(0).max(100).nullable().optional().meta({ description: 'null → the stage’s probability' }),
  stageId: z.uuid().optional().meta({ description: 'defaults to the first open stage' }),
  expectedCloseDate: dateOnly.nullable().optional(),
  ownerId: z.uuid().nullable().optional(),
  nextAction: z.string().trim().max(300).optional(),
  nextActionAt: z.iso.datetime({ offset: true }).nullable().optional(),
};

export const createOpportunityBodySchema = z.strictObject(opportunityFields).meta({ id: 'CreateOpportunityBody' });
export type CreateOpportunityBody = z.infer<typeof createOpportunityBodySchema>;

const { clientId: _c, stageId: _s, ...editable } = opportunityFields;
export const updateOpportunityBodySchema = z
  .strictObject({ ...editable, title: editable.title.optional(), amountCents: editable.amountCents.optional() })
  .meta({ id: 'UpdateOpportunityBody' });
export type UpdateOpportunityBody = z.infer<typeof updateOpportunityBodySchema>;

export const moveOpportunityBodySchema = z
  .strictObject({ stageId: z.uuid(), lostReason: z.string().trim().min(1).max(500).optional() })
  .meta({ id: 'MoveOpportunityBody' });
export type MoveOpportunityBody = z.infer<typeof moveOpportunityBodySchema>;

export const opportunitySchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    clientName: z.string(),
    title: z.string(),
    amountCents: z.number().int(),
    currency: z.string(),
    probability: z.number().int().meta({ description: 'effective probability (own or the stage’s)' }),
    probabilityOverride: z.number().int().nullable(),
    stageId: z.uuid(),
    stageKind: z.enum(STAGE_KINDS),
    expectedCloseDate: dateOnly.nullable(),
    ownerId: z.uuid().nullable(),
    nextAction: z.string(),
    nextActionAt: z.iso.datetime().nullable(),
    lostReason: z.string().nullable(),
    closedAt: z.iso.datetime().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Opportunity' });
export type Opportunity = z.infer<typeof opportunitySchema>;

export const opportunityListQuerySchema = listQuerySchema.extend({
  stageId: z.uuid().optional(),
  clientId: z.uuid().optional(),
  ownerId: z.uuid().optional(),
  state: z.enum(STAGE_KINDS).optional(),
});
export type OpportunityListQuery = z.infer<typeof opportunityListQuerySchema>;

export const forecastQuerySchema = z.strictObject({
  from: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'a month like 2026-01').optional(),
  months: z.coerce.number().int().min(1).max(36).default(12),
});
export type ForecastQuery = z.infer<typeof forecastQuerySchema>;

export const forecastSchema = z
  .object({
    currency: z.string(),
    months: z.array(
      z.object({
        month: z.string(),
        count: z.number().int(),
        amountCents: z.number().int(),
        weightedCents: z.number().int().meta({ description: 'Σ round_half_up(amount × probability / 100), per opportunity' }),
      }),
    ),
    undatedCount: z.number().int(),
  })
  .meta({ id: 'Forecast' });
export type Forecast = z.infer<typeof forecastSchema>;
