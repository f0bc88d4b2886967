import type { Knex } from 'knex';
import {
  DEFAULT_OFFLINE_AFTER_SECONDS,
  type Alert,
  type AlertCondition,
  type AlertListQuery,
  type AlertReading,
  type AlertRule,
  type AlertRuleKind,
  type AlertRuleListQuery,
  type AlertScope,
  type AlertSeverity,
  type AlertStatus,
  type CreateAlertRuleBody,
  type MachineScope,
  type Page,
  type Ticket,
} from '@vigie/core';
import type { Db } from '../connection';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import { scopeColumns, scopeOf } from '../scope-columns';
import type { TenantTx } from '../tenancy';
import { insertSystemEvent, uuidFromKey } from './sla';
import { ensureTenantSettings } from './tenants';
import { lockTicket, updateTicket } from './tickets';

// ---------------------------------------------------------------- rules

interface RuleRow {
  id: string;
  name: string;
  enabled: boolean;
  kind: AlertRuleKind;
  condition: AlertCondition;
  scope_kind: AlertScope['kind'];
  scope_id: string | null;
  scope_tag: string | null;
  severity: AlertSeverity;
  auto_resolve_ticket: boolean;
  created_at: Date;
  updated_at: Date;
}

// The kind and its condition were checked together by the body schema; the row keeps them paired.
const toRule = (r: RuleRow): AlertRule =>
  ({
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    kind: r.kind,
    condition: r.condition,
    scope: scopeOf(r),
    severity: r.severity,
    autoResolveTicket: r.auto_resolve_ticket,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  }) as AlertRule;

export async function insertRule(tx: TenantTx, tenantId: string, id: string, body: CreateAlertRuleBody, createdBy: string | null): Promise<AlertRule> {
  const [row] = (await tx('alert_rules')
    .insert({
      tenant_id: tenantId,
      id,
      name: body.name,
      enabled: body.enabled,
      kind: body.kind,
      condition: JSON.stringify(body.condition),
      ...scopeColumns(body.scope),
      severity: body.severity,
      auto_resolve_ticket: body.autoResolveTicket,
      created_by: createdBy,
    })
    .returning('*')) as RuleRow[];
  return toRule(row!);
}

export async function findRule(tx: TenantTx, id: string): Promise<AlertRule | undefined> {
  const row = (await tx('alert_rules').where({ id }).first()) as RuleRow | undefined;
  return row ? toRule(row) : undefined;
}

export async function listRules(tx: TenantTx, query: AlertRuleListQuery): Promise<Page<AlertRule>> {
  const q = tx('alert_rules').select('*');
  if (query.kind) void q.whereIn('kind', query.kind);
  if (query.severity) void q.whereIn('severity', query.severity);
  if (query.enabled !== undefined) void q.where('enabled', query.enabled);
  if (query.q) void q.whereILike('name', likePattern(query.q));
  return paginate<RuleRow, AlertRule>(
    q,
    { sortable: { name: 'name', createdAt: 'created_at', updatedAt: 'updated_at' }, defaultSort: 'name', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toRule,
  );
}

export interface RuleChanges {
  name?: string | undefined;
  enabled?: boolean | undefined;
  scope?: AlertScope | undefined;
  severity?: AlertSeverity | undefined;
  autoResolveTicket?: boolean | undefined;
  condition?: AlertCondition | undefined;
}

export async function updateRule(tx: TenantTx, id: string, changes: RuleChanges): Promise<AlertRule> {
  const columns: Record<string, unknown> = { updated_at: tx.fn.now() };
  if (changes.name !== undefined) columns.name = changes.name;
  if (changes.enabled !== undefined) columns.enabled = changes.enabled;
  if (changes.scope !== undefined) Object.assign(columns, scopeColumns(changes.scope));
  if (changes.severity !== undefined) columns.severity = changes.severity;
  if (changes.autoResolveTicket !== undefined) columns.auto_resolve_ticket = changes.autoResolveTicket;
  if (changes.condition !== undefined) columns.condition = JSON.stringify(changes.condition);
  const [row] = (await tx('alert_rules').where({ id }).update(columns).returning('*')) as RuleRow[];
  return toRule(row!);
}

export async function deleteRule(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx('alert_rules').where({ id }).delete()) > 0;
}

/** The tenant's enabled rules (what ingest evaluates), at most a thousand. */
export async function enabledRules(tx: TenantTx): Promise<AlertRule[]> {
  return ((await tx('alert_rules').where({ enabled: true }).orderBy('id').limit(1000)) as RuleRow[]).map(toRule);
}

// ---------------------------------------------------------------- alerts

export interface AlertRow {
  id: string;
  rule_id: string;
  machine_id: string;
  status: AlertStatus;
  opened_at: Date;
  resolved_at: Date | null;
  last_observed_at: Date;
  last_value: AlertReading | null;
  occurrences: number;
  ticket_id: string | null;
}

interface AlertViewRow extends AlertRow {
  rule_name: string;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  hostname: string;
  client_id: string;
  ticket_number: string | null;
}

const toAlert = (r: AlertViewRow): Alert => ({
  id: r.id,
  ruleId: r.rule_id,
  ruleName: r.rule_name,
  kind: r.kind,
  severity: r.severity,
  machineId: r.machine_id,
  hostname: r.hostname,
  clientId: r.client_id,
  status: r.status,
  openedAt: r.opened_at.toISOString(),
  resolvedAt: r.resolved_at?.toISOString() ?? null,
  lastObservedAt: r.last_observed_at.toISOString(),
  lastValue: r.last_value,
  occurrences: r.occurrences,
  ticketId: r.ticket_id,
  ticketNumber: r.ticket_number,
});

function selectAlerts(tx: TenantTx): Knex.QueryBuilder {
  const same = (alias: string, column: string) =>
    function (this: Knex.JoinClause) {
      this.on(`${alias}.tenant_id`, 'a.tenant_id').andOn(`${alias}.id`, column);
    };
  return tx('alerts as a')
    .join('alert_rules as r', same('r', 'a.rule_id'))
    .join('machines as m', same('m', 'a.machine_id'))
    .leftJoin('tickets as t', same('t', 'a.ticket_id'))
    .select('a.*', 'r.name as rule_name', 'r.kind', 'r.severity', 'm.hostname', 'm.client_id', 't.number as ticket_number');
}

export async function findAlert(tx: TenantTx, id: string): Promise<Alert | undefined> {
  const row = (await selectAlerts(tx).where('a.id', id).first()) as AlertViewRow | undefined;
  return row ? toAlert(row) : undefined;
}

export async function listAlerts(tx: TenantTx, query: AlertListQuery): Promise<Page<Alert>> {
  const q = selectAlerts(tx);
  if (query.status) void q.whereIn('a.status', query.status);
  if (query.severity) void q.whereIn('r.severity', query.severity);
  if (query.machineId) void q.where('a.machine_id', query.machineId);
  if (query.clientId) void q.where('m.client_id', query.clientId);
  if (query.ruleId) void q.where('a.rule_id', query.ruleId);
  if (query.q) void q.where((w) => w.whereILike('m.hostname', likePattern(query.q!)).orWhereILike('r.name', likePattern(query.q!)));
  return paginate<AlertViewRow, Alert>(
    q,
    { sortable: { openedAt: 'a.opened_at', lastObservedAt: 'a.last_observed_at' }, defaultSort: '-openedAt', idColumn: 'a.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toAlert,
  );
}

export async function findAlertRow(tx: TenantTx, id: string, lock = false): Promise<AlertRow | undefined> {
  const q = tx('alerts').where({ id });
  if (lock) void q.forUpdate();
  return (await q.first()) as AlertRow | undefined;
}

/**
 * Opens the alert of a machine and rule under the id the workflow chose. Idempotent: the same id again
 * returns its row; another alert already open for the pair (a run that never resolved it) is adopted.
 */
export async function openAlert(tx: TenantTx, a: { tenantId: string; id: string; ruleId: string; machineId: string; reading: AlertReading; at: string }): Promise<AlertRow> {
  const mine = await findAlertRow(tx, a.id);
  if (mine) return mine;
  const { rows: inserted } = (await tx.raw(
    `insert into alerts (tenant_id, id, rule_id, machine_id, opened_at, last_observed_at, last_value)
     values (?, ?, ?, ?, ?, ?, ?::jsonb)
     on conflict (tenant_id, machine_id, rule_id) where status = 'open' do nothing
     returning *`,
    [a.tenantId, a.id, a.ruleId, a.machineId, a.at, a.at, JSON.stringify(a.reading)],
  )) as { rows: AlertRow[] };
  if (inserted[0]) return inserted[0];
  return (await tx('alerts').where({ machine_id: a.machineId, rule_id: a.ruleId, status: 'open' }).first()) as AlertRow;
}

export async function setAlertTicket(tx: TenantTx, id: string, ticketId: string): Promise<void> {
  await tx('alerts').where({ id }).update({ ticket_id: ticketId });
}

/** A breach that holds: counted (never backwards, so a retry changes nothing) with its latest reading. */
export async function recordRepeat(tx: TenantTx, id: string, r: { occurrences: number; reading: AlertReading; at: string }): Promise<AlertRow | undefined> {
  const [row] = (await tx('alerts')
    .where({ id, status: 'open' })
    .update({
      occurrences: tx.raw('greatest(occurrences, ?)', [r.occurrences]),
      last_value: JSON.stringify(r.reading),
      last_observed_at: tx.raw('greatest(last_observed_at, ?::timestamptz)', [r.at]),
    })
    .returning('*')) as AlertRow[];
  return row;
}

/** Resolves an open alert; false when it was resolved already. */
export async function resolveAlertRow(tx: TenantTx, id: string, r: { reading: AlertReading | null; at: string }): Promise<boolean> {
  const columns: Record<string, unknown> = { status: 'resolved', resolved_at: r.at };
  if (r.reading) columns.last_value = JSON.stringify(r.reading);
  return (await tx('alerts').where({ id, status: 'open' }).update(columns)) > 0;
}

/** `<machine>:<rule>` of the tenant's open alerts (ingest seeds its state from them after a restart). */
export async function openAlertKeys(tx: TenantTx): Promise<string[]> {
  const rows = (await tx('alerts').where({ status: 'open' }).limit(100_000).select('machine_id', 'rule_id')) as { machine_id: string; rule_id: string }[];
  return rows.map((r) => `${r.machine_id}:${r.rule_id}`);
}

export async function openAlertsOfRule(tx: TenantTx, ruleId: string): Promise<{ id: string; machineId: string }[]> {
  const rows = (await tx('alerts').where({ rule_id: ruleId, status: 'open' }).select('id', 'machine_id')) as { id: string; machine_id: string }[];
  return rows.map((r) => ({ id: r.id, machineId: r.machine_id }));
}

export async function openAlertsOfMachine(tx: TenantTx, machineId: string): Promise<{ id: string; ruleId: string }[]> {
  const rows = (await tx('alerts').where({ machine_id: machineId, status: 'open' }).select('id', 'rule_id')) as { id: string; rule_id: string }[];
  return rows.map((r) => ({ id: r.id, ruleId: r.rule_id }));
}

// ---------------------------------------------------------------- machines and settings

export interface MachineFacts extends MachineScope {
  hostname: string;
  osName: string;
  osVersion: string;
  disabled: boolean;
}

/** What rules need to know of these machines of the tenant (unknown ids are left out). */
export async function machineFacts(tx: TenantTx, ids: string[]): Promise<MachineFacts[]> {
  if (!ids.length) return [];
  const rows = (await tx('machines')
    .whereIn('id', ids)
    .select('id', 'client_id', 'site_id', 'tags', 'hostname', 'os_name', 'os_version', 'disabled_at')) as {
    id: string;
    client_id: string;
    site_id: string | null;
    tags: string[];
    hostname: string;
    os_name: string;
    os_version: string;
    disabled_at: Date | null;
  }[];
  return rows.map((r) => ({
    id: r.id,
    clientId: r.client_id,
    siteId: r.site_id,
    tags: r.tags,
    hostname: r.hostname,
    osName: r.os_name,
    osVersion: r.os_version,
    disabled: r.disabled_at !== null,
  }));
}

export async function setMachineTags(tx: TenantTx, id: string, tags: string[]): Promise<string[] | undefined> {
  const [row] = (await tx('machines').where({ id }).update({ tags }).returning('tags')) as { tags: string[] }[];
  return row?.tags;
}

export async function offlineAfterSeconds(tx: TenantTx): Promise<number> {
  const row = (await tx('tenant_settings').first('offline_after_seconds')) as { offline_after_seconds: number } | undefined;
  return row?.offline_after_seconds ?? DEFAULT_OFFLINE_AFTER_SECONDS;
}

export async function setOfflineAfterSeconds(tx: TenantTx, tenantId: string, seconds: number): Promise<number> {
  await ensureTenantSettings(tx, tenantId);
  await tx('tenant_settings').where({ tenant_id: tenantId }).update({ offline_after_seconds: seconds });
  return seconds;
}

export interface OfflineTransition {
  tenantId: string;
  machineId: string;
  ruleId: string;
  transition: 'breach' | 'repeat' | 'clear';
  lastSeenAt: string;
  offlineAfterSeconds: number;
}

/** Every tenant's offline rules that change state now (see rmm_offline_transitions in the migration). */
export async function offlineTransitions(db: Db, repeatSeconds: number): Promise<OfflineTransition[]> {
  const { rows } = await db.raw(
    `select tenant_id, machine_id, rule_id, transition, last_seen_at, offline_after_seconds from rmm_offline_transitions(make_interval(secs => ?))`,
    [repeatSeconds],
  );
  return (rows as { tenant_id: string; machine_id: string; rule_id: string; transition: OfflineTransition['transition']; last_seen_at: Date; offline_after_seconds: number }[]).map((r) => ({
    tenantId: r.tenant_id,
    machineId: r.machine_id,
    ruleId: r.rule_id,
    transition: r.transition,
    lastSeenAt: r.last_seen_at.toISOString(),
    offlineAfterSeconds: r.offline_after_seconds,
  }));
}

// ---------------------------------------------------------------- the alert's ticket

/** An internal note by the RMM, once per key (a retried activity adds nothing). */
export async function addAlertNote(tx: TenantTx, n: { tenantId: string; ticketId: string; key: string; body: string }): Promise<boolean> {
  const inserted = await tx('ticket_events')
    .insert({
      tenant_id: n.tenantId,
      id: uuidFromKey(`ticket-event:${n.key}`),
      ticket_id: n.ticketId,
      kind: 'note',
      visibility: 'internal',
      actor_name: 'RMM',
      via: 'system',
      body: n.body,
    })
    .onConflict(['tenant_id', 'id'])
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

const STILL_WORKED_ON = ['open', 'in_progress', 'waiting'];

/**
 * Resolves the alert's ticket if it is still being worked on, with the note as its resolution (unless it has
 * one) and a status change on its timeline (the ticket workflow replays those). Returns the ticket as it is
 * now, and whether it is resolved by this alert (now, or by an earlier try of the same key); undefined if gone.
 */
export async function resolveAlertTicket(tx: TenantTx, r: { tenantId: string; ticketId: string; key: string; note: string }): Promise<{ ticket: Ticket; resolvedByAlert: boolean } | undefined> {
  const ticket = await lockTicket(tx, r.ticketId);
  if (!ticket) return undefined;
  if (!STILL_WORKED_ON.includes(ticket.status)) {
    const ours = ticket.status === 'resolved' && (await tx('ticket_events').where({ id: uuidFromKey(`ticket-event:${r.key}`) }).first('id'));
    return { ticket, resolvedByAlert: !!ours };
  }
  const at = new Date().toISOString();
  const after = await updateTicket(tx, r.ticketId, { status: 'resolved', resolved_at: at, resolution_note: ticket.resolutionNote ?? r.note });
  await insertSystemEvent(tx, { tenantId: r.tenantId, ticketId: r.ticketId, key: r.key, kind: 'change', field: 'status', fromValue: ticket.status, toValue: 'resolved', body: r.note, at });
  return { ticket: after, resolvedByAlert: true };
}
