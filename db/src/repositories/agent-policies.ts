import type { AgentPolicy, AgentPolicyListQuery, AlertScope, CreateAgentPolicyBody, MachineScope, Page } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import { scopeColumns, scopeOf } from '../scope-columns';
import type { TenantTx } from '../tenancy';

/** Agent policies of the transaction's tenant (see the agent_policies migration). */

interface PolicyRow {
  id: string;
  name: string;
  enabled: boolean;
  scope_kind: AlertScope['kind'];
  scope_id: string | null;
  scope_tag: string | null;
  metrics_interval_seconds: number;
  watch_services: string[];
  watch_processes: string[];
  created_at: Date;
  updated_at: Date;
}

const toPolicy = (r: PolicyRow): AgentPolicy => ({
  id: r.id,
  name: r.name,
  enabled: r.enabled,
  scope: scopeOf(r),
  metricsIntervalSeconds: r.metrics_interval_seconds,
  watchServices: r.watch_services,
  watchProcesses: r.watch_processes,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

export async function insertPolicy(tx: TenantTx, tenantId: string, id: string, body: CreateAgentPolicyBody, createdBy: string | null): Promise<AgentPolicy> {
  const [row] = (await tx('agent_policies')
    .insert({
      tenant_id: tenantId,
      id,
      name: body.name,
      enabled: body.enabled,
      ...scopeColumns(body.scope),
      metrics_interval_seconds: body.metricsIntervalSeconds,
      watch_services: body.watchServices,
      watch_processes: body.watchProcesses,
      created_by: createdBy,
    })
    .returning('*')) as PolicyRow[];
  return toPolicy(row!);
}

export async function findPolicy(tx: TenantTx, id: string): Promise<AgentPolicy | undefined> {
  const row = (await tx('agent_policies').where({ id }).first()) as PolicyRow | undefined;
  return row ? toPolicy(row) : undefined;
}

export async function listPolicies(tx: TenantTx, query: AgentPolicyListQuery): Promise<Page<AgentPolicy>> {
  const q = tx('agent_policies').select('*');
  if (query.enabled !== undefined) void q.where('enabled', query.enabled);
  if (query.scopeKind) void q.whereIn('scope_kind', query.scopeKind);
  if (query.q) void q.whereILike('name', likePattern(query.q));
  return paginate<PolicyRow, AgentPolicy>(
    q,
    { sortable: { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' }, defaultSort: 'name', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toPolicy,
  );
}

export interface PolicyChanges {
  name?: string | undefined;
  enabled?: boolean | undefined;
  scope?: AlertScope | undefined;
  metricsIntervalSeconds?: number | undefined;
  watchServices?: string[] | undefined;
  watchProcesses?: string[] | undefined;
}

export async function updatePolicy(tx: TenantTx, id: string, changes: PolicyChanges): Promise<AgentPolicy> {
  const columns: Record<string, unknown> = { updated_at: tx.fn.now() };
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.enabled !== undefined) columns.enabled = changes.enabled;
  if (changes.scope !== undefined) Object.assign(columns, scopeColumns(changes.scope));
  if (changes.metricsIntervalSeconds !== undefined) columns.metrics_interval_seconds = changes.metricsIntervalSeconds;
  if (changes.watchServices !== undefined) columns.watch_services = changes.watchServices;
  if (changes.watchProcesses !== undefined) columns.watch_processes = changes.watchProcesses;
  const [row] = (await tx('agent_policies').where({ id }).update(columns).returning('*')) as PolicyRow[];
  return toPolicy(row!);
}

export async function deletePolicy(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx('agent_policies').where({ id }).delete()) > 0;
}

/**
 * The enabled policies that may apply to the machine (its scope, read in SQL so a tenant with many policies sends
 * few rows); core's resolveAgentPolicy picks the winner among them.
 */
export async function candidatePolicies(tx: TenantTx, machine: MachineScope): Promise<AgentPolicy[]> {
  const rows = (await tx('agent_policies')
    .where({ enabled: true })
    .where((w) =>
      w
        .where('scope_kind', 'all')
        .orWhere((c) => c.where('scope_kind', 'client').andWhere('scope_id', machine.clientId))
        .orWhere((c) => c.where('scope_kind', 'machine').andWhere('scope_id', machine.id))
        .orWhere((c) => (machine.siteId ? c.where('scope_kind', 'site').andWhere('scope_id', machine.siteId) : c.whereRaw('false')))
        .orWhere((c) => c.where('scope_kind', 'tag').whereIn('scope_tag', [...machine.tags])),
    )
    .orderBy('id')
    .limit(1000)) as PolicyRow[];
  return rows.map(toPolicy);
}
