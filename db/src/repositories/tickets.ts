import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type {
  Page,
  SlaState,
  SlaTargetState,
  Ticket,
  TicketEvent,
  TicketEventKind,
  TicketListQuery,
  TicketPriority,
  TicketSource,
  TicketStatus,
  TicketView,
} from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import { nextNumber } from './sequences';
import type { TenantTx } from '../tenancy';

interface TicketRow {
  id: string;
  number: string;
  client_id: string;
  client_name: string;
  contact_id: string | null;
  contact_name: string | null;
  machine_id: string | null;
  contract_id: string | null;
  contract_name: string | null;
  sla_policy_id: string | null;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subject: string;
  description: string;
  assignee_id: string | null;
  assignee_name: string | null;
  team_id: string | null;
  team_name: string | null;
  queue: Ticket['queue'];
  source: TicketSource;
  resolution_note: string | null;
  sla_state: SlaState;
  first_response_due_at: Date | null;
  first_response_state: SlaTargetState;
  resolution_due_at: Date | null;
  resolution_state: SlaTargetState;
  first_responded_at: Date | null;
  total_minutes: number;
  estimate_minutes: number | null;
  created_at: Date;
  updated_at: Date;
  resolved_at: Date | null;
  closed_at: Date | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

function toTicket(row: TicketRow): Ticket {
  return {
    id: row.id,
    number: row.number,
    clientId: row.client_id,
    clientName: row.client_name,
    contactId: row.contact_id,
    contactName: row.contact_name,
    machineId: row.machine_id,
    contractId: row.contract_id,
    contractName: row.contract_name,
    slaPolicyId: row.sla_policy_id,
    status: row.status,
    priority: row.priority,
    category: row.category,
    subject: row.subject,
    description: row.description,
    assigneeId: row.assignee_id,
    assigneeName: row.assignee_name,
    teamId: row.team_id,
    teamName: row.team_name,
    queue: row.queue,
    source: row.source,
    resolutionNote: row.resolution_note,
    sla: {
      state: row.sla_state,
      firstResponse: { dueAt: iso(row.first_response_due_at), state: row.first_response_state },
      resolution: { dueAt: iso(row.resolution_due_at), state: row.resolution_state },
      firstRespondedAt: iso(row.first_responded_at),
    },
    totalMinutes: row.total_minutes,
    estimateMinutes: row.estimate_minutes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    resolvedAt: iso(row.resolved_at),
    closedAt: iso(row.closed_at),
  };
}

function selectTickets(tx: TenantTx) {
  const same = (alias: string, column: string) =>
    function (this: Knex.JoinClause) {
      this.on(`${alias}.tenant_id`, 't.tenant_id').andOn(`${alias}.id`, column);
    };
  return tx('tickets as t')
    .join('clients as c', same('c', 't.client_id'))
    .leftJoin('contacts as p', same('p', 't.contact_id'))
    .leftJoin('contracts as k', same('k', 't.contract_id'))
    .leftJoin('users as u', same('u', 't.assignee_id'))
    .leftJoin('teams as g', same('g', 't.team_id'))
    .select('t.*', 'c.name as client_name', 'p.name as contact_name', 'k.name as contract_name', 'u.name as assignee_name', 'g.name as team_name');
}

export interface NewTicket {
  tenantId: string;
  id: string;
  number: string;
  clientId: string;
  contactId: string | null;
  machineId: string | null;
  contractId: string | null;
  slaPolicyId: string | null;
  priority: TicketPriority;
  category: string;
  subject: string;
  description: string;
  assigneeId: string | null;
  teamId?: string | null;
  queue: Ticket['queue'];
  source: TicketSource;
  alertKey: string | null;
}

export async function insertTicket(tx: TenantTx, t: NewTicket): Promise<Ticket> {
  await tx('tickets').insert({
    tenant_id: t.tenantId,
    id: t.id,
    number: t.number,
    client_id: t.clientId,
    contact_id: t.contactId,
    machine_id: t.machineId,
    contract_id: t.contractId,
    sla_policy_id: t.slaPolicyId,
    priority: t.priority,
    category: t.category,
    subject: t.subject,
    description: t.description,
    assignee_id: t.assigneeId,
    team_id: t.teamId ?? null,
    queue: t.queue,
    source: t.source,
    alert_key: t.alertKey,
  });
  return (await findTicket(tx, t.id))!;
}

/** The client's default contract while it can cover work (not ended), else none. */
export async function defaultContractId(tx: TenantTx, clientId: string): Promise<string | null> {
  const row = (await tx('contracts').where({ client_id: clientId, is_default: true }).whereNot('status', 'ended').first('id')) as { id: string } | undefined;
  return row?.id ?? null;
}

export async function defaultSlaPolicyId(tx: TenantTx): Promise<string | null> {
  const row = (await tx('sla_policies').where({ is_default: true }).first('id')) as { id: string } | undefined;
  return row?.id ?? null;
}

export interface OpenTicket extends Omit<NewTicket, 'id' | 'number' | 'slaPolicyId' | 'contractId'> {
  /** undefined: the client's default contract. */
  contractId?: string | null;
  actor: { userId: string | null; name: string | null; via: TicketEvent['via'] };
  emailMessageId?: string | null;
}

/**
 * A new ticket from any channel (web, portal, e-mail, alert): numbered in the tenant's yearly sequence,
 * covered by the client's default contract unless one is named, under the default SLA policy, with its
 * `created` event. The caller starts its workflow once the transaction has committed.
 */
export async function openTicket(tx: TenantTx, t: OpenTicket): Promise<Ticket> {
  const contractId = t.contractId === undefined ? await defaultContractId(tx, t.clientId) : t.contractId;
  const number = await nextNumber(tx, t.tenantId, 'ticket', new Date().getUTCFullYear());
  const { actor, emailMessageId, ...fields } = t;
  const ticket = await insertTicket(tx, { ...fields, id: randomUUID(), number, contractId, slaPolicyId: await defaultSlaPolicyId(tx) });
  await insertEvent(tx, {
    tenantId: t.tenantId,
    ticketId: ticket.id,
    kind: 'created',
    actorUserId: actor.userId,
    actorName: actor.name,
    via: actor.via,
    body: t.description,
    emailMessageId: emailMessageId ?? null,
  });
  return ticket;
}

/**
 * The entry point for RMM alerts: a pre-filled ticket, once per alert key. A second call (a retried
 * activity, a flapping alert) returns the ticket the first one opened; the unique index settles races.
 */
export async function openAlertTicket(
  tx: TenantTx,
  alert: { tenantId: string; alertKey: string; clientId: string; machineId: string | null; priority: TicketPriority; subject: string; description: string },
): Promise<{ ticket: Ticket; created: boolean }> {
  const existing = await findTicketByAlertKey(tx, alert.alertKey);
  if (existing) return { ticket: existing, created: false };
  await tx.raw('savepoint open_alert_ticket');
  try {
    const ticket = await openTicket(tx, {
      tenantId: alert.tenantId,
      clientId: alert.clientId,
      contactId: null,
      machineId: alert.machineId,
      priority: alert.priority,
      category: 'alerte',
      subject: alert.subject,
      description: alert.description,
      assigneeId: null,
      queue: 'support',
      source: 'alert',
      alertKey: alert.alertKey,
      actor: { userId: null, name: 'RMM', via: 'system' },
    });
    await tx.raw('release savepoint open_alert_ticket');
    return { ticket, created: true };
  } catch (err) {
    await tx.raw('rollback to savepoint open_alert_ticket');
    const raced = (err as { code?: string }).code === '23505' ? await findTicketByAlertKey(tx, alert.alertKey) : undefined;
    if (raced) return { ticket: raced, created: false };
    throw err;
  }
}

export async function findTicket(tx: TenantTx, id: string): Promise<Ticket | undefined> {
  const row = await selectTickets(tx).where('t.id', id).first();
  return row ? toTicket(row as TicketRow) : undefined;
}

/** Locks the row: status changes and replies on one ticket are applied one after the other. */
export async function lockTicket(tx: TenantTx, id: string): Promise<Ticket | undefined> {
  const locked = await tx('tickets').where({ id }).forUpdate().first('id');
  return locked ? findTicket(tx, id) : undefined;
}

export async function findTicketByNumber(tx: TenantTx, number: string): Promise<Ticket | undefined> {
  const row = await selectTickets(tx).whereRaw('upper(t.number) = upper(?)', [number]).first();
  return row ? toTicket(row as TicketRow) : undefined;
}

export async function findTicketByAlertKey(tx: TenantTx, alertKey: string): Promise<Ticket | undefined> {
  const row = await selectTickets(tx).where('t.alert_key', alertKey).first();
  return row ? toTicket(row as TicketRow) : undefined;
}

export async function listTickets(tx: TenantTx, query: TicketListQuery, scope: { userId: string; clientId?: string }): Promise<Page<Ticket>> {
  const q = selectTickets(tx);
  if (scope.clientId) q.where('t.client_id', scope.clientId);
  if (query.status) q.whereIn('t.status', query.status);
  if (query.priority) q.whereIn('t.priority', query.priority);
  if (query.clientId) q.where('t.client_id', query.clientId);
  if (query.contractId) q.where('t.contract_id', query.contractId);
  if (query.queue) q.where('t.queue', query.queue);
  if (query.slaState) q.where('t.sla_state', query.slaState);
  if (query.assigneeId === 'me') q.where('t.assignee_id', scope.userId);
  else if (query.assigneeId === 'none') q.whereNull('t.assignee_id');
  else if (query.assigneeId) q.where('t.assignee_id', query.assigneeId);
  if (query.teamId === 'mine') q.whereIn('t.team_id', tx('team_members').where({ user_id: scope.userId }).select('team_id'));
  else if (query.teamId === 'none') q.whereNull('t.team_id');
  else if (query.teamId) q.where('t.team_id', query.teamId);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('t.subject', like).orWhereILike('t.number', like).orWhereILike('c.name', like));
  }
  return paginate<TicketRow, Ticket>(
    q,
    {
      sortable: { createdAt: 't.created_at', updatedAt: 't.updated_at', number: 't.number', priority: 't.priority' },
      defaultSort: '-createdAt',
      idColumn: 't.id',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    toTicket,
  );
}

export type TicketColumns = Partial<{
  client_id: string;
  contact_id: string | null;
  machine_id: string | null;
  contract_id: string | null;
  status: TicketStatus;
  priority: TicketPriority;
  category: string;
  subject: string;
  description: string;
  assignee_id: string | null;
  team_id: string | null;
  estimate_minutes: number | null;
  queue: Ticket['queue'];
  resolution_note: string | null;
  first_responded_at: string;
  resolved_at: string | null;
  closed_at: string | null;
}>;

export async function updateTicket(tx: TenantTx, id: string, columns: TicketColumns): Promise<Ticket> {
  await tx('tickets').where({ id }).update({ ...columns, updated_at: tx.fn.now() });
  return (await findTicket(tx, id))!;
}

// ---------------------------------------------------------------- timeline

interface EventRow {
  id: string;
  ticket_id: string;
  kind: TicketEventKind;
  visibility: 'public' | 'internal';
  actor_user_id: string | null;
  actor_name: string | null;
  via: TicketEvent['via'];
  field: string | null;
  from_value: string | null;
  to_value: string | null;
  body: string | null;
  document_id: string | null;
  created_at: Date;
}

const toEvent = (row: EventRow): TicketEvent => ({
  id: row.id,
  ticketId: row.ticket_id,
  kind: row.kind,
  visibility: row.visibility,
  actorUserId: row.actor_user_id,
  actorName: row.actor_name,
  via: row.via,
  field: row.field,
  fromValue: row.from_value,
  toValue: row.to_value,
  body: row.body,
  documentId: row.document_id,
  createdAt: row.created_at.toISOString(),
});

export interface NewTicketEvent {
  tenantId: string;
  ticketId: string;
  kind: TicketEventKind;
  visibility?: 'public' | 'internal';
  actorUserId?: string | null;
  actorName?: string | null;
  via?: TicketEvent['via'];
  field?: string;
  fromValue?: string | null;
  toValue?: string | null;
  body?: string | null;
  documentId?: string | null;
  emailMessageId?: string | null;
}

export async function insertEvent(tx: TenantTx, e: NewTicketEvent): Promise<TicketEvent> {
  const [row] = await tx('ticket_events')
    .insert({
      tenant_id: e.tenantId,
      id: randomUUID(),
      ticket_id: e.ticketId,
      kind: e.kind,
      visibility: e.visibility ?? (e.kind === 'note' ? 'internal' : 'public'),
      actor_user_id: e.actorUserId ?? null,
      actor_name: e.actorName ?? null,
      via: e.via ?? 'web',
      field: e.field ?? null,
      from_value: e.fromValue ?? null,
      to_value: e.toValue ?? null,
      body: e.body ?? null,
      document_id: e.documentId ?? null,
      email_message_id: e.emailMessageId ?? null,
    })
    .returning('*');
  return toEvent(row as EventRow);
}

export async function listEvents(tx: TenantTx, ticketId: string, query: { limit: number; cursor?: string | undefined; sort?: string | undefined; kind?: TicketEventKind | undefined }, publicOnly: boolean): Promise<Page<TicketEvent>> {
  const q = tx('ticket_events').select('*').where({ ticket_id: ticketId });
  if (publicOnly) q.where({ visibility: 'public' });
  if (query.kind) q.where({ kind: query.kind });
  return paginate<EventRow, TicketEvent>(q, { sortable: { createdAt: 'created_at' }, defaultSort: 'createdAt', limit: query.limit, cursor: query.cursor, sort: query.sort }, toEvent);
}

/** The ticket an e-mail belongs to, from a Message-ID it replies to (ours or one we received). */
export async function ticketIdByMessageId(tx: TenantTx, messageIds: string[]): Promise<string | undefined> {
  if (messageIds.length === 0) return undefined;
  const row = (await tx('ticket_events').whereIn('email_message_id', messageIds).first('ticket_id')) as { ticket_id: string } | undefined;
  return row?.ticket_id;
}

// ---------------------------------------------------------------- saved views

interface ViewRow {
  id: string;
  name: string;
  filters: Record<string, string>;
  created_at: Date;
}
const toView = (row: ViewRow): TicketView => ({ id: row.id, name: row.name, filters: row.filters, createdAt: row.created_at.toISOString() });

export async function listViews(tx: TenantTx, userId: string): Promise<TicketView[]> {
  const rows = (await tx('ticket_views').where({ user_id: userId }).orderBy('name')) as ViewRow[];
  return rows.map(toView);
}

export async function insertView(tx: TenantTx, tenantId: string, userId: string, view: { name: string; filters: Record<string, string> }): Promise<TicketView> {
  const [row] = await tx('ticket_views')
    .insert({ tenant_id: tenantId, id: randomUUID(), user_id: userId, name: view.name, filters: JSON.stringify(view.filters) })
    .returning('*');
  return toView(row as ViewRow);
}

export async function deleteView(tx: TenantTx, userId: string, id: string): Promise<boolean> {
  return (await tx('ticket_views').where({ id, user_id: userId }).delete()) > 0;
}
