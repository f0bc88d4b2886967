import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import {
  AppError,
  STAFF_ROLES,
  agentPolicyListQuerySchema,
  agentPolicySchema,
  createAgentPolicyBodySchema,
  effectiveAgentPolicy,
  effectiveAgentPolicySchema,
  idParamsSchema,
  pageSchema,
  resolveAgentPolicy,
  updateAgentPolicyBodySchema,
  type AgentPolicy,
  type EffectiveAgentPolicy,
  type MachineScope,
} from '@vigie/core';
import { agentPoliciesRepo, alertsRepo, machineCredentialsRepo, withTenant, type Db, type TenantTx } from '@vigie/db';
import { checkScope } from '../alerts/routes';
import { hashOpaqueToken } from '../auth/tokens';
import { publicRoute, route, type AnyRoute } from '../http/route';
import { agentRefused } from './credentials';

/** Policies change what every agent in their scope does: admins and managers write them, all staff read (as alert rules). */
const POLICY_WRITERS = ['admin', 'manager'] as const;

async function policyOr404(tx: TenantTx, id: string): Promise<AgentPolicy> {
  const policy = await agentPoliciesRepo.findPolicy(tx, id);
  if (!policy) throw AppError.notFound('agent policy');
  return policy;
}

/** The policy a machine follows among the tenant's, with its settings and version. */
async function effectivePolicyOf(tx: TenantTx, machine: MachineScope): Promise<EffectiveAgentPolicy> {
  return effectiveAgentPolicy(resolveAgentPolicy(await agentPoliciesRepo.candidatePolicies(tx, machine), machine));
}

const BEARER = /^Bearer\s+(\S+)$/i;
const UNKNOWN_TOKEN = 'machine token is not valid (the machine may have been deleted); enroll again';

/** A GET has no body: the agent sends its machine token as a bearer token (not a user's JWT). */
function machineTokenOf(req: Request): string {
  const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
  if (!token) throw agentRefused('unknown', 'a machine token is required: Authorization: Bearer <machine token>');
  return token;
}

/** The machine's effective policy, refused as a renewal would be (unknown token, disabled machine). */
async function agentPolicyFor(db: Db, machineToken: string): Promise<EffectiveAgentPolicy> {
  const target = await machineCredentialsRepo.findMachineByToken(db, hashOpaqueToken(machineToken));
  if (!target) throw agentRefused('unknown', UNKNOWN_TOKEN);
  return withTenant(db, target.tenantId, async (tx) => {
    const [machine] = await alertsRepo.machineFacts(tx, [target.machineId]);
    if (!machine) throw agentRefused('unknown', UNKNOWN_TOKEN);
    if (machine.disabled) throw agentRefused('disabled', 'this machine is disabled; an administrator must enable it again');
    return effectivePolicyOf(tx, machine);
  });
}

export const agentPolicyRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/agent-policies',
    tag: 'rmm',
    summary: 'Create an agent policy: a scope (all, client, site, machine, tag), the metrics period and the services and processes to watch',
    auth: POLICY_WRITERS,
    body: createAgentPolicyBodySchema,
    response: agentPolicySchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await checkScope(tx, ctx.body.scope);
        const policy = await agentPoliciesRepo.insertPolicy(tx, ctx.actor.tenantId, randomUUID(), ctx.body, ctx.actor.userId);
        await ctx.audit(tx, { action: 'agent_policy.create', entity: 'agent_policy', entityId: policy.id, after: policy });
        return policy;
      }),
  }),
  route({
    method: 'get',
    path: '/agent-policies',
    tag: 'rmm',
    summary: 'Agent policies (filters: enabled, scopeKind as a comma list, q on the name; sort name, createdAt, updatedAt)',
    auth: STAFF_ROLES,
    query: agentPolicyListQuerySchema,
    response: pageSchema(agentPolicySchema),
    handler: ({ tx, query }) => tx((t) => agentPoliciesRepo.listPolicies(t, query)),
  }),
  route({
    method: 'get',
    path: '/agent-policies/:id',
    tag: 'rmm',
    summary: 'One agent policy',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: agentPolicySchema,
    handler: ({ tx, params }) => tx((t) => policyOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/agent-policies/:id',
    tag: 'rmm',
    summary: 'Change an agent policy; agents pick it up at their next policy check (within 5 minutes)',
    auth: POLICY_WRITERS,
    params: idParamsSchema,
    body: updateAgentPolicyBodySchema,
    response: agentPolicySchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        const before = await policyOr404(tx, ctx.params.id);
        if (ctx.body.scope) await checkScope(tx, ctx.body.scope);
        const after = await agentPoliciesRepo.updatePolicy(tx, before.id, ctx.body);
        await ctx.audit(tx, { action: 'agent_policy.update', entity: 'agent_policy', entityId: before.id, before, after });
        return after;
      }),
  }),
  route({
    method: 'delete',
    path: '/agent-policies/:id',
    tag: 'rmm',
    summary: 'Delete an agent policy: its machines follow the next most specific policy, or the defaults',
    auth: POLICY_WRITERS,
    params: idParamsSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        const policy = await policyOr404(tx, ctx.params.id);
        await agentPoliciesRepo.deletePolicy(tx, policy.id);
        await ctx.audit(tx, { action: 'agent_policy.delete', entity: 'agent_policy', entityId: policy.id, before: policy });
      }),
  }),
  route({
    method: 'get',
    path: '/machines/:id/policy',
    tag: 'rmm',
    summary: 'The policy a machine follows (the most specific enabled one: machine, site, client, tag, all) and its settings; defaults when none applies',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: effectiveAgentPolicySchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        const [machine] = await alertsRepo.machineFacts(t, [params.id]);
        if (!machine) throw AppError.notFound('machine');
        return effectivePolicyOf(t, machine);
      }),
  }),
  publicRoute({
    method: 'get',
    path: '/agents/policy',
    tag: 'rmm',
    summary:
      'An agent reads its machine’s effective policy with its machine token (Authorization: Bearer <machine token>); ETag is the version, If-None-Match answers 304; refused (401) once the machine is disabled or deleted',
    response: effectiveAgentPolicySchema,
    etag: (policy) => policy.version,
    handler: ({ deps, req }) => agentPolicyFor(deps.db, machineTokenOf(req)),
  }),
];
