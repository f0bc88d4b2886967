import { createHash, randomUUID } from 'node:crypto';
import { DEFAULT_CALENDAR, validateCalendar, type BusinessCalendar, type SlaPolicy, type SlaPolicyBody, type SlaState, type SlaTargetState, type TicketPriority, type TicketStatus } from '@vigie/core';
import type { TenantTx } from '../tenancy';

type Targets = SlaPolicy['targets'];

/** The policy every tenant starts with: business time, 75 % warning, closed a week after resolution. */
export const DEFAULT_SLA_POLICY: SlaPolicyBody = {
  name: 'Standard',
  isDefault: true,
  targets: {
    critical: { firstResponseMinutes: 60, resolutionMinutes: 4 * 60 },
    high: { firstResponseMinutes: 2 * 60, resolutionMinutes: 8 * 60 },
    normal: { firstResponseMinutes: 4 * 60, resolutionMinutes: 16 * 60 },
    low: { firstResponseMinutes: 8 * 60, resolutionMinutes: 40 * 60 },
  },
  warningPercent: 75,
  autoCloseDays: 7,
};

interface PolicyRow {
  id: string;
  name: string;
  is_default: boolean;
  targets: Targets;
  warning_percent: number;
  auto_close_days: number;
  created_at: Date;
  updated_at: Date;
}

const toPolicy = (row: PolicyRow): SlaPolicy => ({
  id: row.id,
  name: row.name,
  isDefault: row.is_default,
  targets: row.targets,
  warningPercent: row.warning_percent,
  autoCloseDays: row.auto_close_days,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

/** A UUID derived from a business key (v5-shaped), so an insert retried by an activity finds its first row. */
export function uuidFromKey(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------- policies

export async function listPolicies(tx: TenantTx): Promise<SlaPolicy[]> {
  const rows = (await tx('sla_policies').orderBy([{ column: 'is_default', order: 'desc' }, 'name', 'id'])) as PolicyRow[];
  return rows.map(toPolicy);
}

export async function findPolicy(tx: TenantTx, id: string): Promise<SlaPolicy | undefined> {
  const row = (await tx('sla_policies').where({ id }).first()) as PolicyRow | undefined;
  return row ? toPolicy(row) : undefined;
}

export async function findDefaultPolicy(tx: TenantTx): Promise<SlaPolicy | undefined> {
  const row = (await tx('sla_policies').where({ is_default: true }).first()) as PolicyRow | undefined;
  return row ? toPolicy(row) : undefined;
}

/** Serialises changes to one tenant's policies (one default at a time, ensure vs. create). */
async function lockPolicies(tx: TenantTx, tenantId: string): Promise<void> {
  await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`sla-policies:${tenantId}`]);
}

export async function insertPolicy(tx: TenantTx, tenantId: string, body: SlaPolicyBody): Promise<SlaPolicy> {
  await lockPolicies(tx, tenantId);
  // The first policy of a tenant is its default, whatever the body says.
  const isDefault = body.isDefault || (await findDefaultPolicy(tx)) === undefined;
  if (isDefault) await tx('sla_policies').where({ is_default: true }).update({ is_default: false, updated_at: tx.fn.now() });
  const [row] = await tx('sla_policies')
    .insert({
      tenant_id: tenantId,
      id: randomUUID(),
      name: body.name,
      is_default: isDefault,
      targets: JSON.stringify(body.targets),
      warning_percent: body.warningPercent,
      auto_close_days: body.autoCloseDays,
    })
    .returning('*');
  return toPolicy(row as PolicyRow);
}

/** Applies a partial change. Making a policy the default unsets the previous one; the default cannot be unset (make another one the default). */
export async function updatePolicy(tx: TenantTx, tenantId: string, id: string, patch: Partial<SlaPolicyBody>): Promise<SlaPolicy> {
  await lockPolicies(tx, tenantId);
  if (patch.isDefault === true) await tx('sla_policies').where({ is_default: true }).whereNot({ id }).update({ is_default: false, updated_at: tx.fn.now() });
  const columns: Record<string, unknown> = { updated_at: tx.fn.now() };
  if (patch.name !== undefined) columns.name = patch.name;
  if (patch.isDefault === true) columns.is_default = true;
  if (patch.targets !== undefined) columns.targets = JSON.stringify(patch.targets);
  if (patch.warningPercent !== undefined) columns.warning_percent = patch.warningPercent;
  if (patch.autoCloseDays !== undefined) columns.auto_close_days = patch.autoCloseDays;
  const [row] = await tx('sla_policies').where({ id }).update(columns).returning('*');
  return toPolicy(row as PolicyRow);
}

/** Idempotent: gives a tenant without any SLA policy the standard one. Returns whether it created it. */
export async function ensureDefaultPolicy(tx: TenantTx, tenantId: string): Promise<boolean> {
  await lockPolicies(tx, tenantId);
  if (await tx('sla_policies').first('id')) return false;
  await insertPolicy(tx, tenantId, DEFAULT_SLA_POLICY);
  return true;
}

// ---------------------------------------------------------------- business calendar

/** The tenant's stored calendar (null: none set, the default applies) and its time zone. */
export async function getBusinessCalendar(tx: TenantTx, tenantId: string): Promise<{ calendar: BusinessCalendar | null; timeZone: string }> {
  const row = (await tx('tenant_settings').where({ tenant_id: tenantId }).first('business_calendar', 'timezone')) as
    | { business_calendar: BusinessCalendar | null; timezone: string }
    | undefined;
  return { calendar: row?.business_calendar ?? null, timeZone: row?.timezone ?? 'Europe/Paris' };
}

/** The tenant's calendar, else the default one in the tenant's time zone (a stored calendar that no longer validates counts as none). */
export function calendarOf(stored: BusinessCalendar | null, timeZone: string): BusinessCalendar {
  if (stored && validateCalendar(stored).length === 0) return stored;
  const fallback = { ...DEFAULT_CALENDAR, timeZone };
  return validateCalendar(fallback).length === 0 ? fallback : DEFAULT_CALENDAR;
}

/** The calendar the tenant's SLAs are counted on. */
export async function effectiveCalendar(tx: TenantTx, tenantId: string): Promise<BusinessCalendar> {
  const { calendar, timeZone } = await getBusinessCalendar(tx, tenantId);
  return calendarOf(calendar, timeZone);
}

export async function setBusinessCalendar(tx: TenantTx, tenantId: string, calendar: BusinessCalendar): Promise<void> {
  await tx('tenant_settings').where({ tenant_id: tenantId }).update({ business_calendar: JSON.stringify(calendar), updated_at: tx.fn.now() });
}

/** Tickets whose workflow is still running (not closed), for telling them the policy or calendar changed. */
export async function openTicketIds(tx: TenantTx): Promise<string[]> {
  const rows = (await tx('tickets').whereNot({ status: 'closed' }).orderBy('created_at').select('id')) as { id: string }[];
  return rows.map((r) => r.id);
}

// ---------------------------------------------------------------- one ticket's SLA

export interface TicketSlaRow {
  id: string;
  number: string;
  subject: string;
  clientId: string;
  status: TicketStatus;
  priority: TicketPriority;
  slaPolicyId: string | null;
  assigneeId: string | null;
  createdAt: string;
  firstRespondedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
}

export async function findTicketSla(tx: TenantTx, ticketId: string): Promise<TicketSlaRow | undefined> {
  const row = (await tx('tickets').where({ id: ticketId }).first()) as
    | {
        id: string;
        number: string;
        subject: string;
        client_id: string;
        status: TicketStatus;
        priority: TicketPriority;
        sla_policy_id: string | null;
        assignee_id: string | null;
        created_at: Date;
        first_responded_at: Date | null;
        resolved_at: Date | null;
        closed_at: Date | null;
      }
    | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    number: row.number,
    subject: row.subject,
    clientId: row.client_id,
    status: row.status,
    priority: row.priority,
    slaPolicyId: row.sla_policy_id,
    assigneeId: row.assignee_id,
    createdAt: row.created_at.toISOString(),
    firstRespondedAt: row.first_responded_at?.toISOString() ?? null,
    resolvedAt: row.resolved_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? null,
  };
}

/** The ticket's status changes as its timeline recorded them, oldest first. */
export async function statusHistory(tx: TenantTx, ticketId: string): Promise<{ status: TicketStatus; at: string }[]> {
  const rows = (await tx('ticket_events')
    .where({ ticket_id: ticketId, kind: 'change', field: 'status' })
    .whereNotNull('to_value')
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('to_value', 'created_at')) as { to_value: TicketStatus; created_at: Date }[];
  return rows.map((r) => ({ status: r.to_value, at: r.created_at.toISOString() }));
}

export interface SlaColumns {
  slaState: SlaState;
  firstResponse: { state: SlaTargetState; dueAt: string | null };
  resolution: { state: SlaTargetState; dueAt: string | null };
}

/** Records the SLA as the ticket's workflow sees it (display and filters only; the workflow owns the clocks). */
export async function saveSlaColumns(tx: TenantTx, ticketId: string, sla: SlaColumns): Promise<void> {
  await tx('tickets').where({ id: ticketId }).update({
    sla_state: sla.slaState,
    first_response_state: sla.firstResponse.state,
    first_response_due_at: sla.firstResponse.dueAt,
    resolution_state: sla.resolution.state,
    resolution_due_at: sla.resolution.dueAt,
  });
}

/** A timeline event written by the system, once per key (its id derives from the key). Returns whether it was new. */
export async function insertSystemEvent(
  tx: TenantTx,
  e: { tenantId: string; ticketId: string; key: string; kind: 'sla' | 'change'; field?: string; fromValue?: string | null; toValue?: string | null; body?: string | null; at?: string },
): Promise<boolean> {
  const inserted = await tx('ticket_events')
    .insert({
      tenant_id: e.tenantId,
      id: uuidFromKey(`ticket-event:${e.key}`),
      ticket_id: e.ticketId,
      kind: e.kind,
      visibility: 'internal',
      via: 'system',
      field: e.field ?? null,
      from_value: e.fromValue ?? null,
      to_value: e.toValue ?? null,
      body: e.body ?? null,
      ...(e.at ? { created_at: e.at } : {}),
    })
    .onConflict(['tenant_id', 'id'])
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

/**
 * Closes a ticket still resolved since `resolvedBefore` or earlier (the auto-close): status, closed_at
 * and the change event. Anything else (reopened, resolved again later, already closed) changes nothing.
 */
export async function closeResolvedTicket(tx: TenantTx, tenantId: string, ticketId: string, at: string, resolvedBefore: string): Promise<boolean> {
  const locked = (await tx('tickets').where({ id: ticketId }).forUpdate().first('status', 'resolved_at')) as { status: TicketStatus; resolved_at: Date | null } | undefined;
  if (!locked || locked.status !== 'resolved' || (locked.resolved_at && locked.resolved_at.toISOString() > resolvedBefore)) return false;
  await tx('tickets')
    .where({ id: ticketId })
    .update({ status: 'closed', closed_at: at, updated_at: at, resolution_note: tx.raw(`coalesce(resolution_note, 'Fermé automatiquement')`) });
  await insertSystemEvent(tx, { tenantId, ticketId, key: `${ticketId}:auto-close:${at}`, kind: 'change', field: 'status', fromValue: 'resolved', toValue: 'closed', body: 'Fermé automatiquement après résolution', at });
  return true;
}

/**
 * Puts a closed ticket's approved billable time not covered by a contract into the pre-billing queue: one
 * item per time entry, at the entry's frozen price. Idempotent by time entry. Returns how many were added.
 */
export async function queuePreBilling(tx: TenantTx, tenantId: string, ticketId: string): Promise<number> {
  const ticket = (await tx('tickets').where({ id: ticketId }).first('client_id', 'number')) as { client_id: string; number: string } | undefined;
  if (!ticket) return 0;
  const entries = (await tx('time_entries')
    .where({ ticket_id: ticketId, status: 'approved', billable: true })
    .where('out_of_contract_minutes', '>', 0)
    .orderBy([{ column: 'work_date' }, { column: 'created_at' }, { column: 'id' }])
    .select('id', 'description', 'out_of_contract_minutes', 'price_cents')) as { id: string; description: string; out_of_contract_minutes: number; price_cents: string | number }[];
  if (entries.length === 0) return 0;
  const inserted = await tx('pre_billing_items')
    .insert(
      entries.map((e) => {
        const amount = Number(e.price_cents);
        return {
          tenant_id: tenantId,
          id: randomUUID(),
          client_id: ticket.client_id,
          ticket_id: ticketId,
          time_entry_id: e.id,
          description: `${ticket.number} — ${e.description}`.slice(0, 500),
          minutes: e.out_of_contract_minutes,
          unit_rate_cents: Math.round((amount * 60) / e.out_of_contract_minutes),
          amount_cents: amount,
        };
      }),
    )
    .onConflict(['tenant_id', 'time_entry_id'])
    .ignore()
    .returning('id');
  return inserted.length;
}
