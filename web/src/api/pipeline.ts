import type {
  CreateOpportunityBody,
  CreateStageBody,
  Forecast,
  MoveOpportunityBody,
  Opportunity,
  OpportunityListQuery,
  Page,
  PipelineStage,
  UpdateOpportunityBody,
  UpdateStageBody,
} from '@vigie/core';
import { http } from './http';

export type OpportunityListParams = Partial<OpportunityListQuery>;

const id = (value: string) => encodeURIComponent(value);

// Stages (admins edit them)
export const listStages = async () => (await http.get<{ items: PipelineStage[] }>('/pipeline/stages')).items;
export const createStage = (body: CreateStageBody) => http.post<PipelineStage>('/pipeline/stages', body);
export const updateStage = (stageId: string, body: UpdateStageBody) => http.patch<PipelineStage>(`/pipeline/stages/${id(stageId)}`, body);
export const deleteStage = (stageId: string) => http.delete(`/pipeline/stages/${id(stageId)}`);

// Opportunities
export const listOpportunities = (params: OpportunityListParams) => http.get<Page<Opportunity>>('/opportunities', params);
export const getOpportunity = (opportunityId: string) => http.get<Opportunity>(`/opportunities/${id(opportunityId)}`);
/** The idempotency key makes a retried submit create one opportunity only. */
export const createOpportunity = (body: CreateOpportunityBody, idempotencyKey?: string) =>
  http.post<Opportunity>('/opportunities', body, { headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
export const updateOpportunity = (opportunityId: string, body: UpdateOpportunityBody) =>
  http.patch<Opportunity>(`/opportunities/${id(opportunityId)}`, body);
/** Won and lost are terminal (409 afterwards); lost needs a reason. */
export const moveOpportunity = (opportunityId: string, body: MoveOpportunityBody) =>
  http.post<Opportunity>(`/opportunities/${id(opportunityId)}/move`, body);
/** Months as YYYY-MM, from `from` on; amounts in the tenant's currency (admins and managers). */
export const getForecast = (params: { from?: string; months?: number }) => http.get<Forecast>('/opportunities/forecast', params);
