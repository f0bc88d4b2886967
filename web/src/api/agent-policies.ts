import type { AgentPolicy, CreateAgentPolicyBody, EffectiveAgentPolicy, Page, UpdateAgentPolicyBody } from '@vigie/core';
import { http } from './http';

/** Agent policies (staff read; admins and managers write) and the policy a machine follows. */
const id = (value: string) => encodeURIComponent(value);

export type AgentPolicyListParams = { limit?: number; cursor?: string; sort?: string; q?: string; enabled?: boolean; scopeKind?: string };

export const listAgentPolicies = (params: AgentPolicyListParams) => http.get<Page<AgentPolicy>>('/agent-policies', params);
export const createAgentPolicy = (body: CreateAgentPolicyBody) => http.post<AgentPolicy>('/agent-policies', body);
/** Agents pick the change up at their next policy check (within 5 minutes). */
export const updateAgentPolicy = (policyId: string, body: UpdateAgentPolicyBody) => http.patch<AgentPolicy>(`/agent-policies/${id(policyId)}`, body);
export const deleteAgentPolicy = (policyId: string) => http.delete(`/agent-policies/${id(policyId)}`);

/** The most specific enabled policy of the machine and its settings (defaults when none applies). */
export const getMachinePolicy = (machineId: string) => http.get<EffectiveAgentPolicy>(`/machines/${id(machineId)}/policy`);
