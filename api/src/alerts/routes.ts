import { randomUUID } from 'node:crypto';
import {
  ALERT_CONDITION_SCHEMAS,
  AppError,
  STAFF_ROLES,
  alertListQuerySchema,
  alertRuleListQuerySchema,
  alertRuleSchema,
  alertSchema,
  alertSettingsSchema,
  createAlertRuleBodySchema,
  idParamsSchema,
  machineTagsBodySchema,
  pageSchema,
  ruleApplies,
  updateAlertRuleBodySchema,
  updateAlertSettingsBodySchema,
  type AlertCondition,
  type AlertRule,
  type AlertScope,
  type UpdateAlertRuleBody,
} from '@vigie/core';
import { alertsRepo, clientsRepo, machinesRepo, type TenantTx } from '@vigie/db';
import { signalAlert } from '@vigie/workflows/client';
import { z } from 'zod';
import { route, type AnyRoute, type AuthedContext } from '../http/route';

/** Rules change what technicians get woken up for: admins and managers write them, all staff read. */
const RULE_WRITERS = ['admin', 'manager'] as const;

type Ctx = AuthedContext<unknown, unknown, unknown>;

const field = (path: string, message: string) => AppError.invalid(`${path}: ${message}`, [{ path, message }]);

/** A scope must name a client, site or machine of the tenant (agent policies check theirs the same way). */
export async function checkScope(tx: TenantTx, scope: AlertScope): Promise<void> {
  if (scope.kind === 'client' && !(await clientsRepo.findClient(tx, scope.id))) throw field('scope.id', 'unknown client');
  if (scope.kind === 'site' && !(await clientsRepo.findSite(tx, scope.id))) throw field('scope.id', 'unknown site');
  if (scope.kind === 'machine' && !(await machinesRepo.findMachine(tx, scope.id))) throw field('scope.id', 'unknown machine');
}

/** A new condition is checked against the rule's kind, which does not change. */
function parseCondition(rule: AlertRule, raw: UpdateAlertRuleBody['condition']): AlertCondition | undefined {
  if (raw === undefined) return undefined;
  const parsed = ALERT_CONDITION_SCHEMAS[rule.kind].safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: ['condition', ...i.path].join('.'), message: i.message }));
    throw AppError.invalid(`condition is not a valid ${rule.kind} condition`, errors);
  }
  return parsed.data;
}

async function ruleOr404(tx: TenantTx, id: string): Promise<AlertRule> {
  const rule = await alertsRepo.findRule(tx, id);
  if (!rule) throw AppError.notFound('alert rule');
  return rule;
}

/** Open alerts the rule no longer watches (disabled, deleted, or the machine left its scope). */
async function alertsNoLongerWatched(tx: TenantTx, rule: AlertRule | null, ruleId: string): Promise<{ machineId: string; ruleId: string }[]> {
  const open = (await alertsRepo.openAlertsOfRule(tx, ruleId)).map((a) => ({ machineId: a.machineId, ruleId }));
  if (!rule?.enabled) return open;
  const machines = new Map((await alertsRepo.machineFacts(tx, open.map((a) => a.machineId))).map((m) => [m.id, m]));
  return open.filter((a) => {
    const machine = machines.get(a.machineId);
    return !machine || !ruleApplies(rule, machine);
  });
}

/** Open alerts of a machine whose rule no longer matches it (its tags changed). */
async function machineAlertsNoLongerWatched(tx: TenantTx, machineId: string): Promise<{ machineId: string; ruleId: string }[]> {
  const [machine] = await alertsRepo.machineFacts(tx, [machineId]);
  const released: { machineId: string; ruleId: string }[] = [];
  for (const a of await alertsRepo.openAlertsOfMachine(tx, machineId)) {
    const rule = await alertsRepo.findRule(tx, a.ruleId);
    if (!machine || !rule || !ruleApplies(rule, machine)) released.push({ machineId, ruleId: a.ruleId });
  }
  return released;
}

/**
 * Their workflows hear it once the change is committed: each resolves its alert. A Temporal outage does not
 * undo the change; those alerts then stay open until resolved by hand.
 */
async function clearAlerts(ctx: Ctx, alerts: { machineId: string; ruleId: string }[], reason: string): Promise<void> {
  const at = new Date().toISOString();
  for (const { machineId, ruleId } of alerts) {
    try {
      await signalAlert(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, machineId, ruleId }, { state: 'clear', at, reading: null, reason });
    } catch (err) {
      ctx.deps.log.warn({ err, ruleId, machineId }, 'alert workflow not told that its rule no longer watches the machine');
    }
  }
}

export const alertRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/alert-rules',
    tag: 'rmm',
    summary: 'Create an alert rule: a kind with its condition, a scope (all, client, site, machine, tag) and a severity',
    auth: RULE_WRITERS,
    body: createAlertRuleBodySchema,
    response: alertRuleSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await checkScope(tx, ctx.body.scope);
        const rule = await alertsRepo.insertRule(tx, ctx.actor.tenantId, randomUUID(), ctx.body, ctx.actor.userId);
        await ctx.audit(tx, { action: 'alert_rule.create', entity: 'alert_rule', entityId: rule.id, after: rule });
        return rule;
      }),
  }),
  route({
    method: 'get',
    path: '/alert-rules',
    tag: 'rmm',
    summary: 'Alert rules (filters: kind and severity as comma lists, enabled, q on the name; sort name, createdAt, updatedAt)',
    auth: STAFF_ROLES,
    query: alertRuleListQuerySchema,
    response: pageSchema(alertRuleSchema),
    handler: ({ tx, query }) => tx((t) => alertsRepo.listRules(t, query)),
  }),
  route({
    method: 'get',
    path: '/alert-rules/:id',
    tag: 'rmm',
    summary: 'One alert rule',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: alertRuleSchema,
    handler: ({ tx, params }) => tx((t) => ruleOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/alert-rules/:id',
    tag: 'rmm',
    summary: 'Change an alert rule (not its kind); alerts it no longer watches (disabled, out of scope) are resolved',
    auth: RULE_WRITERS,
    params: idParamsSchema,
    body: updateAlertRuleBodySchema,
    response: alertRuleSchema,
    handler: async (ctx) => {
      const { rule, released } = await ctx.tx(async (tx) => {
        const before = await ruleOr404(tx, ctx.params.id);
        const condition = parseCondition(before, ctx.body.condition);
        if (ctx.body.scope) await checkScope(tx, ctx.body.scope);
        const after = await alertsRepo.updateRule(tx, before.id, { ...ctx.body, condition });
        await ctx.audit(tx, { action: 'alert_rule.update', entity: 'alert_rule', entityId: before.id, before, after });
        return { rule: after, released: await alertsNoLongerWatched(tx, after, after.id) };
      });
      await clearAlerts(ctx as Ctx, released, rule.enabled ? 'la machine n’est plus dans le périmètre de la règle' : 'règle désactivée');
      return rule;
    },
  }),
  route({
    method: 'delete',
    path: '/alert-rules/:id',
    tag: 'rmm',
    summary: 'Delete an alert rule and its alerts (their tickets stay)',
    auth: RULE_WRITERS,
    params: idParamsSchema,
    handler: async (ctx) => {
      const released = await ctx.tx(async (tx) => {
        const rule = await ruleOr404(tx, ctx.params.id);
        const open = await alertsNoLongerWatched(tx, null, rule.id);
        await alertsRepo.deleteRule(tx, rule.id);
        await ctx.audit(tx, { action: 'alert_rule.delete', entity: 'alert_rule', entityId: rule.id, before: rule });
        return open;
      });
      // Their runs end: the alerts are gone with the rule.
      await clearAlerts(ctx as Ctx, released, 'règle supprimée');
    },
  }),
  route({
    method: 'get',
    path: '/alerts',
    tag: 'rmm',
    summary: 'Alerts, newest first (filters: status and severity as comma lists, machineId, clientId, ruleId, q on hostname or rule)',
    auth: STAFF_ROLES,
    query: alertListQuerySchema,
    response: pageSchema(alertSchema),
    handler: ({ tx, query }) => tx((t) => alertsRepo.listAlerts(t, query)),
  }),
  route({
    method: 'get',
    path: '/alerts/:id',
    tag: 'rmm',
    summary: 'One alert: its rule, machine, last reading, occurrences and ticket',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: alertSchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        const alert = await alertsRepo.findAlert(t, params.id);
        if (!alert) throw AppError.notFound('alert');
        return alert;
      }),
  }),
  route({
    method: 'get',
    path: '/alert-settings',
    tag: 'rmm',
    summary: 'The tenant’s alerting settings (offline threshold)',
    auth: STAFF_ROLES,
    response: alertSettingsSchema,
    handler: ({ tx }) => tx(async (t) => ({ offlineAfterSeconds: await alertsRepo.offlineAfterSeconds(t) })),
  }),
  route({
    method: 'patch',
    path: '/alert-settings',
    tag: 'rmm',
    summary: 'Change the offline threshold: a machine without heartbeat for this long is offline (30 s to 24 h; default 150 s)',
    auth: ['admin'],
    body: updateAlertSettingsBodySchema,
    response: alertSettingsSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        const before = await alertsRepo.offlineAfterSeconds(tx);
        const offlineAfterSeconds = await alertsRepo.setOfflineAfterSeconds(tx, ctx.actor.tenantId, ctx.body.offlineAfterSeconds);
        await ctx.audit(tx, { action: 'alert_settings.update', entity: 'tenant_settings', entityId: ctx.actor.tenantId, before: { offlineAfterSeconds: before }, after: { offlineAfterSeconds } });
        return { offlineAfterSeconds };
      }),
  }),
  route({
    method: 'put',
    path: '/machines/:id/tags',
    tag: 'rmm',
    summary: 'Replace a machine’s tags (what tag-scoped alert rules match)',
    auth: RULE_WRITERS,
    params: idParamsSchema,
    body: machineTagsBodySchema,
    response: z.object({ tags: z.array(z.string()) }),
    status: 200,
    handler: async (ctx) => {
      const { tags, released } = await ctx.tx(async (tx) => {
        const tags = await alertsRepo.setMachineTags(tx, ctx.params.id, ctx.body.tags);
        if (!tags) throw AppError.notFound('machine');
        await ctx.audit(tx, { action: 'machine.tags', entity: 'machine', entityId: ctx.params.id, after: { tags } });
        return { tags, released: await machineAlertsNoLongerWatched(tx, ctx.params.id) };
      });
      await clearAlerts(ctx as Ctx, released, 'la machine n’est plus dans le périmètre de la règle');
      return { tags };
    },
  }),
];
