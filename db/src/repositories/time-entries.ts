import type { Knex } from 'knex';
import type {
  CreateTimeEntryBody,
  Page,
  PreBillingItem,
  TicketStatus,
  TimeEntry,
  TimeEntryListQuery,
  TimeEntryStatus,
  Timer,
  UpdateTimeEntryBody,
} from '@vigie/core';
import { paginate } from '../pagination';
import { definedOnly, likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

/**
 * Time entries, running timers and the pre-billing queue. The few reads of `tickets` here (a ticket's
 * client, contract, status, number, subject, and its running total) are all this module needs of them.
 */

// ---------------------------------------------------------------- tickets, as time tracking sees them

export interface TicketForTime {
  id: string;
  number: string;
  subject: string;
  clientId: string;
  contractId: string | null;
  status: TicketStatus;
}

interface TicketRow {
  id: string;
  number: string;
  subject: string;
  client_id: string;
  contract_id: string | null;
  status: TicketStatus;
}

const toTicket = (row: TicketRow): TicketForTime => ({
  id: row.id,
  number: row.number,
  subject: row.subject,
  clientId: row.client_id,
  contractId: row.contract_id,
  status: row.status,
});

export async function findTicket(tx: TenantTx, id: string): Promise<TicketForTime | undefined> {
  const row = (await tx('tickets').where({ id }).first('id', 'number', 'subject', 'client_id', 'contract_id', 'status')) as TicketRow | undefined;
  return row ? toTicket(row) : undefined;
}

/**
 * Adds (or with a negative delta, removes) approved minutes on the ticket. Taking the row lock here also
 * orders this change after a concurrent close: the status returned is the one after that close.
 */
export async function addTicketMinutes(tx: TenantTx, ticketId: string, delta: number): Promise<TicketForTime> {
  const [row] = (await tx('tickets')
    .where({ id: ticketId })
    .update({ total_minutes: tx.raw('total_minutes + ?', [delta]), updated_at: tx.fn.now() })
    .returning(['id', 'number', 'subject', 'client_id', 'contract_id', 'status'])) as TicketRow[];
  return toTicket(row!);
}

/** An internal line on the ticket's timeline (kind `time`) for an approval or a rejection. */
export async function appendTimeEvent(
  tx: TenantTx,
  e: { tenantId: string; id: string; ticketId: string; actorUserId: string; actorName: string; from: TimeEntryStatus; to: TimeEntryStatus; body: string },
): Promise<void> {
  await tx('ticket_events').insert({
    tenant_id: e.tenantId,
    id: e.id,
    ticket_id: e.ticketId,
    kind: 'time',
    visibility: 'internal',
    actor_user_id: e.actorUserId,
    actor_name: e.actorName,
    via: 'web',
    field: 'time_entry',
    from_value: e.from,
    to_value: e.to,
    body: e.body,
  });
}

// ---------------------------------------------------------------- rates

/** The client's hourly rate, else the tenant's default, else 0 (cents per hour). */
export async function clientRateCents(tx: TenantTx, clientId: string): Promise<number> {
  const client = (await tx('clients').where({ id: clientId }).first('hourly_rate_cents')) as { hourly_rate_cents: number | null } | undefined;
  if (client?.hourly_rate_cents != null) return client.hourly_rate_cents;
  const settings = (await tx('tenant_settings').first('default_hourly_rate_cents')) as { default_hourly_rate_cents: number | null } | undefined;
  return settings?.default_hourly_rate_cents ?? 0;
}

/**
 * The hourly rate out-of-contract time is priced at: the applied contract's rate when it has one, else the
 * client's, else the tenant's default, else 0. (Approval freezes the price; this is the rule it used.)
 */
export async function hourlyRateCents(tx: TenantTx, contractId: string | null, clientId: string): Promise<number> {
  if (contractId) {
    const contract = (await tx('contracts').where({ id: contractId }).first('hourly_rate_cents')) as { hourly_rate_cents: number | null } | undefined;
    if (contract?.hourly_rate_cents != null) return contract.hourly_rate_cents;
  }
  return clientRateCents(tx, clientId);
}

/** What an hour of this technician costs the MSP (0 when not set). */
export async function costRateCents(tx: TenantTx, userId: string): Promise<number> {
  const row = (await tx('users').where({ id: userId }).first('cost_rate_cents')) as { cost_rate_cents: number | null } | undefined;
  return row?.cost_rate_cents ?? 0;
}

/** The calendar date of an instant in the tenant's time zone (settings), as YYYY-MM-DD. */
export async function tenantDateOf(tx: TenantTx, at: string): Promise<string> {
  const { rows } = await tx.raw(`select to_char((?::timestamptz at time zone coalesce((select timezone from tenant_settings limit 1), 'UTC'))::date, 'YYYY-MM-DD') as d`, [at]);
  return (rows as { d: string }[])[0]!.d;
}

// ---------------------------------------------------------------- time entries

interface EntryRow {
  id: string;
  ticket_id: string;
  ticket_number: string;
  ticket_subject: string;
  client_id: string;
  client_name: string;
  technician_id: string;
  technician_name: string;
  work_date: string;
  started_at: Date | null;
  minutes: number;
  description: string;
  billable: boolean;
  status: TimeEntryStatus;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  contract_id: string | null;
  covered_minutes: number;
  out_of_contract_minutes: number;
  cost_cents: number;
  price_cents: number;
  created_at: Date;
  updated_at: Date;
}

const toEntry = (row: EntryRow): TimeEntry => ({
  id: row.id,
  ticketId: row.ticket_id,
  ticketNumber: row.ticket_number,
  ticketSubject: row.ticket_subject,
  clientId: row.client_id,
  clientName: row.client_name,
  technicianId: row.technician_id,
  technicianName: row.technician_name,
  date: row.work_date,
  startedAt: row.started_at?.toISOString() ?? null,
  minutes: row.minutes,
  description: row.description,
  billable: row.billable,
  status: row.status,
  decidedBy: row.decided_by,
  decidedAt: row.decided_at?.toISOString() ?? null,
  decisionComment: row.decision_comment,
  contractId: row.contract_id,
  coveredMinutes: row.covered_minutes,
  outOfContractMinutes: row.out_of_contract_minutes,
  costCents: row.cost_cents,
  priceCents: row.price_cents,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

function selectEntries(tx: TenantTx): Knex.QueryBuilder {
  return tx('time_entries as e')
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'e.tenant_id').andOn('t.id', 'e.ticket_id');
    })
    .join('clients as c', function () {
      this.on('c.tenant_id', 't.tenant_id').andOn('c.id', 't.client_id');
    })
    .join('users as u', function () {
      this.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.technician_id');
    })
    .select('e.*', 't.number as ticket_number', 't.subject as ticket_subject', 't.client_id', 'c.name as client_name', 'u.name as technician_name');
}

export async function findEntry(tx: TenantTx, id: string): Promise<TimeEntry | undefined> {
  const row = (await selectEntries(tx).where('e.id', id).first()) as EntryRow | undefined;
  return row ? toEntry(row) : undefined;
}

/** The entry, locked until the end of the transaction: decisions on one entry happen one at a time. */
export async function lockEntry(tx: TenantTx, id: string): Promise<TimeEntry | undefined> {
  const locked = await tx('time_entries').where({ id }).forUpdate().first('id');
  return locked ? findEntry(tx, id) : undefined;
}

export interface NewTimeEntry {
  tenantId: string;
  id: string;
  ticketId: string;
  technicianId: string;
}

export async function insertEntry(tx: TenantTx, e: NewTimeEntry, body: Omit<CreateTimeEntryBody, 'technicianId'>): Promise<TimeEntry> {
  await tx('time_entries').insert({
    tenant_id: e.tenantId,
    id: e.id,
    ticket_id: e.ticketId,
    technician_id: e.technicianId,
    work_date: body.date,
    started_at: body.startedAt ?? null,
    minutes: body.minutes,
    description: body.description,
    billable: body.billable,
  });
  return (await findEntry(tx, e.id))!;
}

export async function updateEntry(tx: TenantTx, id: string, body: UpdateTimeEntryBody): Promise<TimeEntry> {
  const columns = definedOnly({
    work_date: body.date,
    started_at: body.startedAt,
    minutes: body.minutes,
    description: body.description,
    billable: body.billable,
  });
  await tx('time_entries')
    .where({ id })
    .update({ ...columns, updated_at: tx.fn.now() });
  return (await findEntry(tx, id))!;
}

export async function deleteEntry(tx: TenantTx, id: string): Promise<void> {
  await tx('time_entries').where({ id }).delete();
}

/** What the approval froze on the entry: the contract applied, the split, the cost and the price. */
export interface Valuation {
  contractId: string | null;
  coveredMinutes: number;
  outOfContractMinutes: number;
  costCents: number;
  priceCents: number;
}

export async function decideEntry(
  tx: TenantTx,
  id: string,
  decision: { status: 'approved' | 'rejected'; decidedBy: string; comment: string | null; valuation: Valuation },
): Promise<TimeEntry> {
  const v = decision.valuation;
  await tx('time_entries').where({ id }).update({
    status: decision.status,
    decided_by: decision.decidedBy,
    decided_at: tx.fn.now(),
    decision_comment: decision.comment,
    contract_id: v.contractId,
    covered_minutes: v.coveredMinutes,
    out_of_contract_minutes: v.outOfContractMinutes,
    cost_cents: v.costCents,
    price_cents: v.priceCents,
    updated_at: tx.fn.now(),
  });
  return (await findEntry(tx, id))!;
}

export async function listEntries(tx: TenantTx, query: Omit<TimeEntryListQuery, 'technicianId'> & { technicianId?: string | undefined }): Promise<Page<TimeEntry>> {
  const q = selectEntries(tx);
  if (query.status) q.where('e.status', query.status);
  if (query.technicianId) q.where('e.technician_id', query.technicianId);
  if (query.clientId) q.where('t.client_id', query.clientId);
  if (query.ticketId) q.where('e.ticket_id', query.ticketId);
  if (query.from) q.where('e.work_date', '>=', query.from);
  if (query.to) q.where('e.work_date', '<=', query.to);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('e.description', like).orWhereILike('t.number', like).orWhereILike('t.subject', like).orWhereILike('c.name', like));
  }
  return paginate<EntryRow, TimeEntry>(
    q,
    {
      sortable: { date: 'e.work_date', createdAt: 'e.created_at', minutes: 'e.minutes' },
      defaultSort: '-date',
      idColumn: 'e.id',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    toEntry,
  );
}

/**
 * Minutes of a contract already covered by approved entries worked in [from, to): what a subscription's
 * included hours have given in that billing period.
 */
export async function coveredMinutesBetween(tx: TenantTx, contractId: string, from: string, to: string): Promise<number> {
  const row = (await tx('time_entries')
    .where({ contract_id: contractId, status: 'approved' })
    .where('work_date', '>=', from)
    .where('work_date', '<', to)
    .sum('covered_minutes as total')
    .first()) as { total: number | string | null };
  return Number(row.total ?? 0);
}

/** Locks a (non hour-bank) contract row so included minutes are handed out one approval at a time. */
export async function lockContract(tx: TenantTx, contractId: string): Promise<void> {
  await tx('contracts').where({ id: contractId }).forUpdate().first('id');
}

// ---------------------------------------------------------------- running timers

interface TimerRow {
  ticket_id: string;
  ticket_number: string;
  ticket_subject: string;
  started_at: Date;
}

const toTimer = (row: TimerRow): Timer => ({
  ticketId: row.ticket_id,
  ticketNumber: row.ticket_number,
  ticketSubject: row.ticket_subject,
  startedAt: row.started_at.toISOString(),
});

export async function findTimer(tx: TenantTx, technicianId: string): Promise<Timer | undefined> {
  const row = (await tx('running_timers as r')
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'r.tenant_id').andOn('t.id', 'r.ticket_id');
    })
    .where('r.technician_id', technicianId)
    .first('r.ticket_id', 't.number as ticket_number', 't.subject as ticket_subject', 'r.started_at')) as TimerRow | undefined;
  return row ? toTimer(row) : undefined;
}

/** Starts the technician's timer unless one is running (the key allows one per technician). */
export async function insertTimer(tx: TenantTx, t: { tenantId: string; technicianId: string; ticketId: string }): Promise<boolean> {
  const rows = await tx('running_timers')
    .insert({ tenant_id: t.tenantId, technician_id: t.technicianId, ticket_id: t.ticketId, started_at: tx.fn.now() })
    .onConflict(['tenant_id', 'technician_id'])
    .ignore()
    .returning('technician_id');
  return rows.length === 1;
}

/** Removes the running timer and says when it started and on which ticket; none running → undefined. */
export async function takeTimer(tx: TenantTx, technicianId: string): Promise<{ ticketId: string; startedAt: string; stoppedAt: string } | undefined> {
  const [row] = (await tx('running_timers')
    .where({ technician_id: technicianId })
    .delete()
    .returning(['ticket_id', 'started_at', tx.raw('now() as stopped_at')])) as { ticket_id: string; started_at: Date; stopped_at: Date }[];
  return row ? { ticketId: row.ticket_id, startedAt: row.started_at.toISOString(), stoppedAt: row.stopped_at.toISOString() } : undefined;
}

// ---------------------------------------------------------------- pre-billing queue

export type PreBillingStatus = PreBillingItem['status'];

export interface NewPreBillingItem {
  tenantId: string;
  id: string;
  clientId: string;
  ticketId: string;
  timeEntryId: string;
  description: string;
  minutes: number;
  unitRateCents: number;
  amountCents: number;
}

/** Queues out-of-contract time for billing, once per time entry (a repeat changes nothing). */
export async function insertPreBilling(tx: TenantTx, item: NewPreBillingItem): Promise<void> {
  await tx('pre_billing_items')
    .insert({
      tenant_id: item.tenantId,
      id: item.id,
      client_id: item.clientId,
      ticket_id: item.ticketId,
      time_entry_id: item.timeEntryId,
      description: item.description.slice(0, 500),
      minutes: item.minutes,
      unit_rate_cents: item.unitRateCents,
      amount_cents: item.amountCents,
    })
    .onConflict(['tenant_id', 'time_entry_id'])
    .ignore();
}

/** The entry's pre-billing status; 'drafted' while it sits on a draft invoice. */
export async function preBillingStatusOf(tx: TenantTx, timeEntryId: string): Promise<PreBillingStatus | 'drafted' | undefined> {
  const row = (await tx('pre_billing_items').where({ time_entry_id: timeEntryId }).forUpdate().first('status', 'invoice_id')) as { status: PreBillingStatus; invoice_id: string | null } | undefined;
  return row?.status === 'pending' && row.invoice_id ? 'drafted' : row?.status;
}

/** Cancels the entry's item while it is not invoiced yet; returns whether one was cancelled. */
export async function cancelPreBilling(tx: TenantTx, timeEntryId: string): Promise<boolean> {
  const n = await tx('pre_billing_items')
    .where({ time_entry_id: timeEntryId })
    .whereIn('status', ['pending', 'deferred'])
    .update({ status: 'cancelled', updated_at: tx.fn.now() });
  return n > 0;
}

interface PreBillingRow {
  id: string;
  client_id: string;
  client_name: string;
  ticket_id: string;
  ticket_number: string;
  time_entry_id: string;
  description: string;
  minutes: number;
  unit_rate_cents: number;
  amount_cents: number;
  status: PreBillingStatus;
  created_at: Date;
}

const toPreBilling = (row: PreBillingRow): PreBillingItem => ({
  id: row.id,
  clientId: row.client_id,
  clientName: row.client_name,
  ticketId: row.ticket_id,
  ticketNumber: row.ticket_number,
  timeEntryId: row.time_entry_id,
  description: row.description,
  minutes: row.minutes,
  unitRateCents: row.unit_rate_cents,
  amountCents: row.amount_cents,
  status: row.status,
  createdAt: row.created_at.toISOString(),
});

export async function listPreBilling(
  tx: TenantTx,
  query: { clientId?: string | undefined; status?: PreBillingStatus | undefined; q?: string | undefined; limit: number; cursor?: string | undefined; sort?: string | undefined },
): Promise<Page<PreBillingItem>> {
  const q = tx('pre_billing_items as p')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'p.tenant_id').andOn('c.id', 'p.client_id');
    })
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'p.tenant_id').andOn('t.id', 'p.ticket_id');
    })
    .select('p.*', 'c.name as client_name', 't.number as ticket_number');
  if (query.clientId) q.where('p.client_id', query.clientId);
  if (query.status) q.where('p.status', query.status);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('p.description', like).orWhereILike('t.number', like).orWhereILike('c.name', like));
  }
  return paginate<PreBillingRow, PreBillingItem>(
    q,
    { sortable: { createdAt: 'p.created_at', amount: 'p.amount_cents' }, defaultSort: 'createdAt', idColumn: 'p.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toPreBilling,
  );
}
