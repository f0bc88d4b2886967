import {
  AppError,
  TICKET_TRANSITIONS,
  type CommentBody,
  type AssignTicketBody,
  type CreateTicketBody,
  type Ticket,
  type TicketEvent,
  type TicketStatus,
  type UpdateTicketBody,
} from '@vigie/core';
import { staffRepo, clientsRepo, contractsRepo, notificationsRepo, teamsRepo, ticketNoticesRepo, ticketsRepo, usersRepo, type TenantTx, type TicketColumns } from '@vigie/db';
import { signalTicket, startEmailDelivery, startTicketWorkflow, type TicketChange } from '@vigie/workflows/client';
import type { Actor, AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

/** Another tenant's ticket, and for a client user another client's, is "not found". */
export async function ticketOr404(tx: TenantTx, actor: Actor, id: string, lock = false): Promise<Ticket> {
  const ticket = lock ? await ticketsRepo.lockTicket(tx, id) : await ticketsRepo.findTicket(tx, id);
  if (!ticket || (actor.role === 'client' && ticket.clientId !== actor.clientId)) throw AppError.notFound('ticket');
  return ticket;
}

const field = (path: string, message: string) => AppError.invalid(`${path}: ${message}`, [{ path, message }]);

async function actorName(tx: TenantTx, actor: Actor): Promise<string | null> {
  return (await usersRepo.findUserById(tx, actor.userId))?.name ?? null;
}

const via = (actor: Actor): TicketEvent['via'] => (actor.role === 'client' ? 'portal' : 'web');

/** What changes after the transaction: the ticket's workflow hears of it, queued e-mails go out. */
interface AfterCommit {
  changes: TicketChange[];
  emailIds: string[];
}

async function afterCommit(ctx: Ctx, ticketId: string, after: AfterCommit): Promise<void> {
  const ids = { tenantId: ctx.actor.tenantId, ticketId };
  for (const change of after.changes) await signalTicket(ctx.deps.temporal, ids, change);
  for (const emailId of after.emailIds) await startEmailDelivery(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, emailId });
}

async function checkStaff(tx: TenantTx, userId: string, path: string): Promise<{ id: string; name: string }> {
  const user = await staffRepo.findActiveStaff(tx, userId);
  if (!user) throw field(path, 'unknown staff user');
  return { id: user.id, name: user.name };
}

/** The contact, contract and machine named on a ticket must belong to its client. */
async function checkLinks(tx: TenantTx, clientId: string, links: { contactId?: string | null | undefined; contractId?: string | null | undefined }): Promise<void> {
  if (links.contactId) {
    const contact = await clientsRepo.findContact(tx, links.contactId);
    if (!contact || contact.clientId !== clientId) throw field('contactId', 'not a contact of this client');
  }
  if (links.contractId) {
    const contract = await contractsRepo.findContract(tx, links.contractId);
    if (!contract || contract.clientId !== clientId) throw field('contractId', 'not a contract of this client');
    if (contract.status === 'ended') throw field('contractId', 'this contract has ended');
  }
}

/** The contact a client user is (their portal account was made from it). */
async function portalContactId(tx: TenantTx, userId: string): Promise<string | null> {
  const row = (await tx('contacts').where({ portal_user_id: userId }).first('id')) as { id: string } | undefined;
  return row?.id ?? null;
}

export async function createTicket(ctx: Ctx, body: CreateTicketBody): Promise<Ticket> {
  const { actor } = ctx;
  const { ticket, emailId } = await ctx.tx(async (tx) => {
    const portal = actor.role === 'client';
    if (portal && (body.assigneeId || body.teamId || body.contractId || body.queue || body.machineId))
      throw AppError.invalid('a client user chooses only the subject, description, category and priority');
    const clientId = portal ? actor.clientId! : body.clientId;
    if (!clientId) throw field('clientId', 'required');
    if (!portal && !(await clientsRepo.findClient(tx, clientId))) throw field('clientId', 'unknown client');
    const contactId = portal ? await portalContactId(tx, actor.userId) : (body.contactId ?? null);
    await checkLinks(tx, clientId, { contactId, contractId: body.contractId });
    if (body.assigneeId) await checkStaff(tx, body.assigneeId, 'assigneeId');
    if (body.teamId) await teamOr400(tx, body.teamId, 'teamId');
    const opened = await ticketsRepo.openTicket(tx, {
      tenantId: actor.tenantId,
      clientId,
      contactId,
      machineId: body.machineId ?? null,
      ...(body.contractId !== undefined ? { contractId: body.contractId } : {}),
      priority: body.priority,
      category: body.category ?? '',
      subject: body.subject,
      description: body.description,
      assigneeId: body.assigneeId ?? null,
      teamId: body.teamId ?? null,
      queue: body.queue ?? 'support',
      source: portal ? 'portal' : 'manual',
      alertKey: null,
      actor: { userId: actor.userId, name: await actorName(tx, actor), via: via(actor) },
    });
    await ctx.audit(tx, { action: 'ticket.create', entity: 'ticket', entityId: opened.id, after: { number: opened.number, clientId, priority: opened.priority } });
    const mail = await ticketNoticesRepo.queueTicketNotice(tx, { tenantId: actor.tenantId, kind: 'created', ticket: opened, cause: 'created' });
    return { ticket: opened, emailId: mail };
  });
  await startTicketWorkflow(ctx.deps.temporal, { tenantId: actor.tenantId, ticketId: ticket.id });
  if (emailId) await startEmailDelivery(ctx.deps.temporal, { tenantId: actor.tenantId, emailId });
  return ticket;
}

const LABELS: Partial<Record<keyof UpdateTicketBody, keyof TicketColumns>> = {
  subject: 'subject',
  description: 'description',
  category: 'category',
  priority: 'priority',
  contactId: 'contact_id',
  contractId: 'contract_id',
  machineId: 'machine_id',
  queue: 'queue',
  clientId: 'client_id',
  estimateMinutes: 'estimate_minutes',
};

const valueOf = (ticket: Ticket, key: keyof UpdateTicketBody): string | null => {
  const v = (ticket as unknown as Record<string, unknown>)[key];
  return v === null || v === undefined ? null : String(v);
};

/** Field changes, each recorded from → to. A triaged e-mail ticket may be moved to its real client. */
export async function updateTicket(ctx: Ctx, id: string, body: UpdateTicketBody): Promise<Ticket> {
  const changes: TicketChange[] = [];
  const ticket = await ctx.tx(async (tx) => {
    const before = await ticketOr404(tx, ctx.actor, id, true);
    if (before.status === 'closed') throw AppError.conflict('a closed ticket cannot change');
    const clientId = body.clientId ?? before.clientId;
    if (body.clientId && body.clientId !== before.clientId) {
      if (before.queue !== 'triage') throw AppError.conflict('only a ticket in triage can move to another client');
      if (!(await clientsRepo.findClient(tx, body.clientId))) throw field('clientId', 'unknown client');
    }
    const contactId = body.contactId !== undefined ? body.contactId : body.clientId && body.clientId !== before.clientId ? null : undefined;
    const contractId = body.contractId !== undefined ? body.contractId : body.clientId && body.clientId !== before.clientId ? await ticketsRepo.defaultContractId(tx, clientId) : undefined;
    await checkLinks(tx, clientId, { contactId, contractId });
    const columns: TicketColumns = {};
    const name = await actorName(tx, ctx.actor);
    const next = { ...body, ...(contactId !== undefined ? { contactId } : {}), ...(contractId !== undefined ? { contractId } : {}) };
    for (const [key, column] of Object.entries(LABELS) as [keyof UpdateTicketBody, keyof TicketColumns][]) {
      const value = next[key];
      if (value === undefined || valueOf(before, key) === (value === null ? null : String(value))) continue;
      (columns as Record<string, unknown>)[column] = value;
      await ticketsRepo.insertEvent(tx, {
        tenantId: ctx.actor.tenantId,
        ticketId: id,
        kind: 'change',
        visibility: 'internal',
        actorUserId: ctx.actor.userId,
        actorName: name,
        field: key,
        fromValue: valueOf(before, key),
        toValue: value === null ? null : String(value),
      });
    }
    if (Object.keys(columns).length === 0) return before;
    const after = await ticketsRepo.updateTicket(tx, id, columns);
    if (columns.priority) changes.push({ kind: 'priority', priority: columns.priority, at: new Date().toISOString() });
    if (columns.contract_id !== undefined) changes.push({ kind: 'reload', at: new Date().toISOString() });
    await ctx.audit(tx, { action: 'ticket.update', entity: 'ticket', entityId: id, before: { ...body, ...Object.fromEntries(Object.keys(body).map((k) => [k, valueOf(before, k as keyof UpdateTicketBody)])) }, after: body });
    return after;
  });
  await afterCommit(ctx, id, { changes, emailIds: [] });
  return ticket;
}

async function teamOr400(tx: TenantTx, teamId: string, path: string): Promise<{ id: string; name: string }> {
  const team = await teamsRepo.findTeam(tx, teamId);
  if (!team) throw field(path, 'unknown team');
  return team;
}

/** Assigns a technician, a team, or both; each change is kept from → to, and the new technician is told. */
export async function assignTicket(ctx: Ctx, id: string, body: AssignTicketBody): Promise<Ticket> {
  return ctx.tx(async (tx) => {
    const before = await ticketOr404(tx, ctx.actor, id, true);
    if (before.status === 'closed') throw AppError.conflict('a closed ticket cannot change');
    const assignee = body.technicianId ? await checkStaff(tx, body.technicianId, 'technicianId') : null;
    const team = body.teamId ? await teamOr400(tx, body.teamId, 'teamId') : null;
    const columns: TicketColumns = {};
    const name = await actorName(tx, ctx.actor);
    const record = (fieldName: string, from: string | null, to: string | null) =>
      ticketsRepo.insertEvent(tx, { tenantId: ctx.actor.tenantId, ticketId: id, kind: 'change', visibility: 'internal', actorUserId: ctx.actor.userId, actorName: name, field: fieldName, fromValue: from, toValue: to });
    if (body.technicianId !== undefined && body.technicianId !== before.assigneeId) {
      columns.assignee_id = body.technicianId;
      await record('assignee', before.assigneeName, assignee?.name ?? null);
    }
    if (body.teamId !== undefined && body.teamId !== before.teamId) {
      columns.team_id = body.teamId;
      await record('team', before.teamName, team?.name ?? null);
    }
    if (Object.keys(columns).length === 0) return before;
    const after = await ticketsRepo.updateTicket(tx, id, columns);
    if (assignee && columns.assignee_id && assignee.id !== ctx.actor.userId) {
      await notificationsRepo.notify(tx, {
        tenantId: ctx.actor.tenantId,
        userId: assignee.id,
        kind: 'ticket-assigned',
        title: `${after.number} vous est assigné`,
        body: after.subject,
        link: `/tickets/${id}`,
        sourceKey: `ticket-assigned:${id}:${after.updatedAt}`,
      });
    }
    await ctx.audit(tx, { action: 'ticket.assign', entity: 'ticket', entityId: id, before: { assigneeId: before.assigneeId, teamId: before.teamId }, after: { assigneeId: after.assigneeId, teamId: after.teamId } });
    return after;
  });
}

function statusColumns(before: Ticket, status: TicketStatus, note: string | undefined): TicketColumns {
  const now = new Date().toISOString();
  const columns: TicketColumns = { status };
  if (note && (status === 'resolved' || status === 'closed')) columns.resolution_note = note;
  if (status === 'resolved') columns.resolved_at = now;
  if (status === 'closed') {
    columns.closed_at = now;
    if (!before.resolvedAt) columns.resolved_at = now;
  }
  if ((status === 'open' || status === 'in_progress' || status === 'waiting') && before.status === 'resolved') columns.resolved_at = null;
  return columns;
}

/**
 * A status change, checked against the allowed transitions (409 otherwise). Resolving or closing needs
 * the resolution note (unless a resolved ticket already has one). A client user may only reopen.
 */
export async function changeStatus(ctx: Ctx, id: string, status: TicketStatus, note?: string): Promise<Ticket> {
  let emailId: string | null = null;
  let changed = false;
  const ticket = await ctx.tx(async (tx) => {
    const before = await ticketOr404(tx, ctx.actor, id, true);
    if (ctx.actor.role === 'client' && !(before.status === 'resolved' && status === 'open')) throw new AppError('forbidden', 'a client user may only reopen a resolved ticket');
    if (before.status === status) return before;
    changed = true;
    if (!TICKET_TRANSITIONS[before.status].includes(status)) throw AppError.conflict(`a ${before.status} ticket cannot become ${status}`);
    if ((status === 'resolved' || status === 'closed') && !note && !before.resolutionNote) throw field('note', 'a resolution note is required to resolve or close');
    const after = await ticketsRepo.updateTicket(tx, id, statusColumns(before, status, note));
    await ticketsRepo.insertEvent(tx, {
      tenantId: ctx.actor.tenantId,
      ticketId: id,
      kind: 'change',
      visibility: 'public',
      actorUserId: ctx.actor.userId,
      actorName: await actorName(tx, ctx.actor),
      via: via(ctx.actor),
      field: 'status',
      fromValue: before.status,
      toValue: status,
      body: note ?? null,
    });
    if (status === 'resolved') emailId = await ticketNoticesRepo.queueTicketNotice(tx, { tenantId: ctx.actor.tenantId, kind: 'resolved', ticket: after, cause: after.resolvedAt! });
    await ctx.audit(tx, { action: `ticket.${status}`, entity: 'ticket', entityId: id, before: { status: before.status }, after: { status, note: note ?? null } });
    return after;
  });
  await afterCommit(ctx, id, { changes: changed ? [{ kind: 'status', status: ticket.status, at: ticket.updatedAt }] : [], emailIds: emailId ? [emailId] : [] });
  return ticket;
}

/**
 * A public reply or an internal note. The first public reply by staff meets the first-response target;
 * a client's reply to a ticket waiting on them puts it back in the queue.
 */
export async function addComment(ctx: Ctx, id: string, body: CommentBody): Promise<TicketEvent> {
  const portal = ctx.actor.role === 'client';
  if (portal && body.visibility === 'internal') throw field('visibility', 'a client user writes public replies only');
  const after: AfterCommit = { changes: [], emailIds: [] };
  const event = await ctx.tx(async (tx) => {
    const ticket = await ticketOr404(tx, ctx.actor, id, true);
    if (ticket.status === 'closed') throw AppError.conflict('a closed ticket takes no more replies; open a new one');
    const name = await actorName(tx, ctx.actor);
    const event = await ticketsRepo.insertEvent(tx, {
      tenantId: ctx.actor.tenantId,
      ticketId: id,
      kind: body.visibility === 'internal' ? 'note' : 'reply',
      visibility: body.visibility,
      actorUserId: ctx.actor.userId,
      actorName: name,
      via: via(ctx.actor),
      body: body.body,
    });
    const now = event.createdAt;
    if (!portal && body.visibility === 'public') {
      if (!ticket.sla.firstRespondedAt) {
        await ticketsRepo.updateTicket(tx, id, { first_responded_at: now });
        after.changes.push({ kind: 'firstResponse', at: now });
      }
      const mail = await ticketNoticesRepo.queueTicketNotice(tx, { tenantId: ctx.actor.tenantId, kind: 'replied', ticket, cause: event.id, body: body.body });
      if (mail) after.emailIds.push(mail);
    }
    if (portal && (ticket.status === 'waiting' || ticket.status === 'resolved')) {
      await ticketsRepo.updateTicket(tx, id, statusColumns(ticket, 'open', undefined));
      await ticketsRepo.insertEvent(tx, { tenantId: ctx.actor.tenantId, ticketId: id, kind: 'change', actorName: name, via: 'portal', field: 'status', fromValue: ticket.status, toValue: 'open' });
      after.changes.push({ kind: 'status', status: 'open', at: now });
    }
    if (portal && ticket.assigneeId) {
      await notificationsRepo.notify(tx, { tenantId: ctx.actor.tenantId, userId: ticket.assigneeId, kind: 'ticket-reply', title: `${ticket.number} : réponse du client`, body: body.body.slice(0, 200), link: `/tickets/${id}`, sourceKey: `ticket-reply:${event.id}` });
    }
    return event;
  });
  await afterCommit(ctx, id, after);
  return event;
}
