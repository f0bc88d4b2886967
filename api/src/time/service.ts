import { randomUUID } from 'node:crypto';
import {
  AppError,
  type Contract,
  type CreateTimeEntryBody,
  type Page,
  type PreBillingItem,
  type TimeEntry,
  type TimeEntryListQuery,
  type Timer,
  type UpdateTimeEntryBody,
} from '@vigie/core';
import { staffRepo, contractsRepo, timeEntriesRepo, type TenantTx } from '@vigie/db';
import { consumeTime, HourBankRefusal, reverseTime } from '@vigie/workflows/client';
import type { Actor, AuthedContext } from '../http/route';
import { billingPeriodOf, coveredByAllowance, minutesValueCents, PERIOD_MONTHS, timerMinutes } from './valuation';

type Ctx = AuthedContext<unknown, unknown, unknown>;
type TicketForTime = timeEntriesRepo.TicketForTime;
type Valuation = timeEntriesRepo.Valuation;

const isManager = (actor: Actor) => actor.role === 'admin' || actor.role === 'manager';

async function ticketOr404(tx: TenantTx, id: string): Promise<TicketForTime> {
  const ticket = await timeEntriesRepo.findTicket(tx, id);
  if (!ticket) throw AppError.notFound('ticket');
  return ticket;
}

/** A technician's entries are theirs alone: another's, like another tenant's, is "not found". */
async function entryOr404(tx: TenantTx, actor: Actor, id: string, lock = false): Promise<TimeEntry> {
  const entry = lock ? await timeEntriesRepo.lockEntry(tx, id) : await timeEntriesRepo.findEntry(tx, id);
  if (!entry || (!isManager(actor) && entry.technicianId !== actor.userId)) throw AppError.notFound('time entry');
  return entry;
}

const closedTicket = (ticket: TicketForTime) => AppError.conflict(`ticket ${ticket.number} is closed; no more time can be recorded on it`);

// ---------------------------------------------------------------- entries

/** Lists entries; a technician sees their own only, whatever filter they pass. */
export function listEntries(ctx: Ctx, query: TimeEntryListQuery): Promise<Page<TimeEntry>> {
  const { actor } = ctx;
  const asked = query.technicianId === 'me' ? actor.userId : query.technicianId;
  if (!isManager(actor) && asked && asked !== actor.userId) return Promise.resolve({ items: [], nextCursor: null });
  const technicianId = isManager(actor) ? asked : actor.userId;
  return ctx.tx((tx) => timeEntriesRepo.listEntries(tx, { ...query, technicianId }));
}

export function listTicketEntries(ctx: Ctx, ticketId: string, query: TimeEntryListQuery): Promise<Page<TimeEntry>> {
  return ctx.tx(async (tx) => {
    await ticketOr404(tx, ticketId);
    const asked = query.technicianId === 'me' ? ctx.actor.userId : query.technicianId;
    if (!isManager(ctx.actor) && asked && asked !== ctx.actor.userId) return { items: [], nextCursor: null };
    return timeEntriesRepo.listEntries(tx, { ...query, ticketId, technicianId: isManager(ctx.actor) ? asked : ctx.actor.userId });
  });
}

/** The technician the time is recorded for: oneself, or (managers) an active staff member. */
async function technicianFor(tx: TenantTx, actor: Actor, technicianId: string | undefined): Promise<string> {
  if (!technicianId || technicianId === actor.userId) return actor.userId;
  if (!isManager(actor)) throw new AppError('forbidden', 'a technician records their own time only');
  const user = await staffRepo.findActiveStaff(tx, technicianId);
  if (!user)
    throw AppError.invalid('technicianId is not an active staff user', [{ path: 'technicianId', message: 'unknown staff user' }]);
  return user.id;
}

export function createEntry(ctx: Ctx, ticketId: string, body: CreateTimeEntryBody): Promise<TimeEntry> {
  return ctx.tx(async (tx) => {
    const ticket = await ticketOr404(tx, ticketId);
    if (ticket.status === 'closed') throw closedTicket(ticket);
    const technicianId = await technicianFor(tx, ctx.actor, body.technicianId);
    const entry = await timeEntriesRepo.insertEntry(tx, { tenantId: ctx.actor.tenantId, id: randomUUID(), ticketId, technicianId }, body);
    await ctx.audit(tx, { action: 'time_entry.create', entity: 'time_entry', entityId: entry.id, after: summary(entry) });
    return entry;
  });
}

/** Only a pending entry changes: once decided, it is frozen (reject it to undo an approval). */
async function pendingEntry(tx: TenantTx, actor: Actor, id: string): Promise<TimeEntry> {
  const entry = await entryOr404(tx, actor, id, true);
  if (entry.status !== 'pending') throw AppError.conflict(`the entry is ${entry.status}; only a pending entry can change`);
  return entry;
}

export function updateEntry(ctx: Ctx, id: string, body: UpdateTimeEntryBody): Promise<TimeEntry> {
  return ctx.tx(async (tx) => {
    const before = await pendingEntry(tx, ctx.actor, id);
    const after = await timeEntriesRepo.updateEntry(tx, id, body);
    await ctx.audit(tx, { action: 'time_entry.update', entity: 'time_entry', entityId: id, before: summary(before), after: summary(after) });
    return after;
  });
}

export function deleteEntry(ctx: Ctx, id: string): Promise<void> {
  return ctx.tx(async (tx) => {
    const before = await pendingEntry(tx, ctx.actor, id);
    await reverseConsumption(ctx, tx, id);
    await timeEntriesRepo.deleteEntry(tx, id);
    await ctx.audit(tx, { action: 'time_entry.delete', entity: 'time_entry', entityId: id, before: summary(before) });
  });
}

function summary(e: TimeEntry): Record<string, unknown> {
  return {
    ticketId: e.ticketId,
    technicianId: e.technicianId,
    date: e.date,
    minutes: e.minutes,
    description: e.description,
    billable: e.billable,
    status: e.status,
    contractId: e.contractId,
    coveredMinutes: e.coveredMinutes,
    outOfContractMinutes: e.outOfContractMinutes,
    costCents: e.costCents,
    priceCents: e.priceCents,
  };
}

// ---------------------------------------------------------------- timer

export function currentTimer(ctx: Ctx): Promise<Timer | null> {
  return ctx.tx(async (tx) => (await timeEntriesRepo.findTimer(tx, ctx.actor.userId)) ?? null);
}

/** Stops the actor's running timer into a pending entry of the elapsed minutes (rounded up, at least 1). */
async function stopInTx(ctx: Ctx, tx: TenantTx, body: { description?: string | undefined; billable: boolean }): Promise<TimeEntry> {
  const timer = await timeEntriesRepo.takeTimer(tx, ctx.actor.userId);
  if (!timer) throw AppError.conflict('no timer is running');
  // Time already worked is kept even if the ticket was closed meanwhile; approval decides what it is worth.
  const ticket = await ticketOr404(tx, timer.ticketId);
  const entry = await timeEntriesRepo.insertEntry(
    tx,
    { tenantId: ctx.actor.tenantId, id: randomUUID(), ticketId: ticket.id, technicianId: ctx.actor.userId },
    {
      date: await timeEntriesRepo.tenantDateOf(tx, timer.startedAt),
      startedAt: timer.startedAt,
      minutes: timerMinutes(timer.startedAt, timer.stoppedAt),
      description: body.description ?? `Timer — ${ticket.subject}`.slice(0, 2000),
      billable: body.billable,
    },
  );
  await ctx.audit(tx, { action: 'time_entry.create', entity: 'time_entry', entityId: entry.id, after: { ...summary(entry), via: 'timer' } });
  return entry;
}

export function stopTimer(ctx: Ctx, body: { description?: string | undefined; billable: boolean }): Promise<TimeEntry> {
  return ctx.tx((tx) => stopInTx(ctx, tx, body));
}

/**
 * One running timer per technician. Starting on another ticket while one runs is a 409 naming it, unless
 * `switch` is asked: then the running one is stopped into an entry first (same instant, nothing lost).
 * Starting again on the ticket already timed returns the running timer.
 */
export function startTimer(ctx: Ctx, ticketId: string, switchTimer: boolean): Promise<Timer & { stoppedEntry: TimeEntry | null }> {
  return ctx.tx(async (tx) => {
    const ticket = await ticketOr404(tx, ticketId);
    if (ticket.status === 'closed') throw closedTicket(ticket);
    const me = ctx.actor.userId;
    const running = await timeEntriesRepo.findTimer(tx, me);
    let stoppedEntry: TimeEntry | null = null;
    if (running?.ticketId === ticket.id) return { ...running, stoppedEntry };
    if (running) {
      if (!switchTimer) throw AppError.conflict(`a timer is already running on ticket ${running.ticketNumber}; stop it first, or start with ?switch=true`);
      stoppedEntry = await stopInTx(ctx, tx, { billable: true });
    }
    if (!(await timeEntriesRepo.insertTimer(tx, { tenantId: ctx.actor.tenantId, technicianId: me, ticketId: ticket.id })))
      throw AppError.conflict('a timer was just started elsewhere; reload and try again');
    return { ...(await timeEntriesRepo.findTimer(tx, me))!, stoppedEntry };
  });
}

// ---------------------------------------------------------------- approval and valuation

/** Calls the contract workflow; its refusals are 409 with their reason. */
async function viaWorkflow<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HourBankRefusal) throw AppError.conflict(`the hour bank refused: ${err.reason}`);
    throw err;
  }
}

/** The minutes a subscription's included hours still cover in the billing period the work falls in. */
async function includedCoverage(tx: TenantTx, contract: Contract, entry: TimeEntry): Promise<number> {
  const terms = contract.subscription!;
  if (terms.includedMinutes === null) return 0;
  if (entry.date < contract.startDate || (contract.endDate !== null && entry.date > contract.endDate)) return 0;
  // Included minutes are handed out one approval at a time per contract.
  await timeEntriesRepo.lockContract(tx, contract.id);
  const period = billingPeriodOf(contract.startDate, PERIOD_MONTHS[terms.billingPeriod], entry.date);
  const used = await timeEntriesRepo.coveredMinutesBetween(tx, contract.id, period.from, period.to);
  return coveredByAllowance(entry.minutes, terms.includedMinutes, used);
}

/**
 * What the contract of the ticket covers and what the rest costs the client:
 * - an active hour bank takes billable time through its workflow (rounding, minimum, overdraft); what it
 *   refuses is out of contract at the contract's overage rate (or the client's rate);
 * - an active subscription covers up to its included minutes per billing period;
 * - time & material covers nothing, at the contract's rate;
 * - no active contract: the client's rate, else the tenant's default, else 0.
 * Non-billable time consumes nothing and costs the client nothing. Cost is the technician's rate.
 */
async function valueEntry(ctx: Ctx, tx: TenantTx, entry: TimeEntry, ticket: TicketForTime): Promise<{ valuation: Valuation; rateCents: number }> {
  const found = ticket.contractId ? await contractsRepo.findContract(tx, ticket.contractId) : undefined;
  const contract = found?.status === 'active' ? found : undefined;
  const rateCents = await timeEntriesRepo.hourlyRateCents(tx, contract?.id ?? null, ticket.clientId);
  let covered = 0;
  let out = entry.billable ? entry.minutes : 0;
  if (contract && entry.billable) {
    if (contract.type === 'hour_bank') {
      const result = await viaWorkflow(() =>
        consumeTime(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: contract.id }, { timeEntryId: entry.id, minutes: entry.minutes }),
      );
      covered = result.blockMinutes + result.overdraftMinutes;
      out = result.outOfContractMinutes;
    } else if (contract.type === 'subscription') {
      covered = await includedCoverage(tx, contract, entry);
      out = entry.minutes - covered;
    }
  }
  const costCents = minutesValueCents(entry.minutes, await timeEntriesRepo.costRateCents(tx, entry.technicianId));
  return {
    valuation: { contractId: contract?.id ?? null, coveredMinutes: covered, outOfContractMinutes: out, costCents, priceCents: minutesValueCents(out, rateCents) },
    rateCents,
  };
}

const describeDecision = (entry: TimeEntry, comment: string | null) =>
  `${entry.minutes} min — ${entry.technicianName} — ${entry.description}${comment ? `\n${comment}` : ''}`;

/**
 * Approves one pending entry in `tx`: the hour-bank call first (idempotent by entry id, so a retry after
 * a failed commit applies nothing twice), then the frozen valuation, the ticket's total, the timeline, and
 * the pre-billing line if the ticket is already closed (before close, the ticket workflow queues it).
 */
async function approveInTx(ctx: Ctx, tx: TenantTx, id: string, comment: string | null): Promise<TimeEntry> {
  const entry = await entryOr404(tx, ctx.actor, id, true);
  if (entry.status !== 'pending') throw AppError.conflict(`the entry is already ${entry.status}`);
  const { valuation, rateCents } = await valueEntry(ctx, tx, entry, await ticketOr404(tx, entry.ticketId));
  const approved = await timeEntriesRepo.decideEntry(tx, id, { status: 'approved', decidedBy: ctx.actor.userId, comment, valuation });
  const ticket = await timeEntriesRepo.addTicketMinutes(tx, entry.ticketId, entry.minutes);
  if (ticket.status === 'closed' && valuation.outOfContractMinutes > 0) {
    await timeEntriesRepo.insertPreBilling(tx, {
      tenantId: ctx.actor.tenantId,
      id: randomUUID(),
      clientId: ticket.clientId,
      ticketId: ticket.id,
      timeEntryId: id,
      description: `${ticket.number} — ${entry.description}`,
      minutes: valuation.outOfContractMinutes,
      unitRateCents: rateCents,
      amountCents: valuation.priceCents,
    });
  }
  await timeEntriesRepo.appendTimeEvent(tx, {
    tenantId: ctx.actor.tenantId,
    id: randomUUID(),
    ticketId: entry.ticketId,
    actorUserId: ctx.actor.userId,
    actorName: ctx.actor.name,
    from: 'pending',
    to: 'approved',
    body: describeDecision(entry, comment),
  });
  await ctx.audit(tx, { action: 'time_entry.approve', entity: 'time_entry', entityId: id, before: summary(entry), after: summary(approved) });
  return approved;
}

export function approveEntry(ctx: Ctx, id: string, comment: string | undefined): Promise<TimeEntry> {
  return ctx.tx((tx) => approveInTx(ctx, tx, id, comment ?? null));
}

/**
 * Each entry in its own transaction: one refusal is reported in its slot and the others go on. Never one
 * transaction for the batch: an approval keeps a key-share lock on its contract row (the entry's foreign
 * key) until commit, and the next hour-bank update must lock that row — inside one transaction the batch
 * would wait on itself. (So the bulk route takes no Idempotency-Key; each approval is idempotent anyway.)
 */
export async function bulkApprove(ctx: Ctx, ids: string[], comment: string | undefined): Promise<{ results: { id: string; ok: boolean; entry?: TimeEntry; error?: string }[] }> {
  const results: { id: string; ok: boolean; entry?: TimeEntry; error?: string }[] = [];
  for (const id of ids) {
    try {
      const entry = await ctx.tx((tx) => approveInTx(ctx, tx, id, comment ?? null));
      results.push({ id, ok: true, entry });
    } catch (err) {
      if (!(err instanceof AppError)) ctx.deps.log.error({ err, timeEntryId: id }, 'bulk approval of one entry failed');
      results.push({ id, ok: false, error: err instanceof AppError ? err.message : 'internal error; try this entry again' });
    }
  }
  return { results };
}

/**
 * Rejects an entry. A pending one simply becomes rejected. An approved one is reversed: the hour bank
 * gets its minutes back (reverseTime, idempotent), the ticket's total drops, and its pre-billing line is
 * cancelled — unless it is already invoiced (409: a credit note is billing's business).
 */
export function rejectEntry(ctx: Ctx, id: string, comment: string): Promise<TimeEntry> {
  return ctx.tx(async (tx) => {
    const entry = await entryOr404(tx, ctx.actor, id, true);
    if (entry.status === 'rejected') throw AppError.conflict('the entry is already rejected');
    const wasApproved = entry.status === 'approved';
    const billed = wasApproved ? await timeEntriesRepo.preBillingStatusOf(tx, id) : undefined;
    if (billed === 'invoiced') throw AppError.conflict('this time is already invoiced; issue a credit note instead of rejecting it');
    if (billed === 'drafted') throw AppError.conflict('this time is on a draft invoice; take its line off the draft (defer) first');
    await reverseConsumption(ctx, tx, id);
    const rejected = await timeEntriesRepo.decideEntry(tx, id, {
      status: 'rejected',
      decidedBy: ctx.actor.userId,
      comment,
      valuation: { contractId: null, coveredMinutes: 0, outOfContractMinutes: 0, costCents: 0, priceCents: 0 },
    });
    if (wasApproved) {
      await timeEntriesRepo.addTicketMinutes(tx, entry.ticketId, -entry.minutes);
      await timeEntriesRepo.cancelPreBilling(tx, id);
    }
    await timeEntriesRepo.appendTimeEvent(tx, {
      tenantId: ctx.actor.tenantId,
      id: randomUUID(),
      ticketId: entry.ticketId,
      actorUserId: ctx.actor.userId,
      actorName: ctx.actor.name,
      from: entry.status,
      to: 'rejected',
      body: describeDecision(entry, comment),
    });
    await ctx.audit(tx, { action: 'time_entry.reject', entity: 'time_entry', entityId: id, before: summary(entry), after: { ...summary(rejected), comment } });
    return rejected;
  });
}

/**
 * Gives back to the hour bank what this entry consumed, if anything is not given back yet (an approval,
 * or an approval whose commit failed after the workflow applied it).
 */
async function reverseConsumption(ctx: Ctx, tx: TenantTx, id: string): Promise<void> {
  const consumption = await contractsRepo.findConsumption(tx, id);
  if (!consumption || consumption.reversed) return;
  await viaWorkflow(() => reverseTime(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: consumption.contractId }, { timeEntryId: id }));
}

// ---------------------------------------------------------------- pre-billing

export function listPreBilling(ctx: Ctx, query: Parameters<typeof timeEntriesRepo.listPreBilling>[1]): Promise<Page<PreBillingItem>> {
  return ctx.tx((tx) => timeEntriesRepo.listPreBilling(tx, query));
}
