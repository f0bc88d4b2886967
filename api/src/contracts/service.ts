import { createHash, randomUUID } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';
import {
  AppError,
  CONTRACT_TRANSITIONS,
  type AdjustmentBody,
  type BuyBlockBody,
  type Contract,
  type CreateContractBody,
  type HourBlockView,
  type LedgerEntry,
  type Quote,
  type UpdateContractBody,
  type AcceptQuoteBody,
} from '@vigie/core';
import { staffRepo, clientsRepo, contractsRepo, isCheckViolation, type TenantTx } from '@vigie/db';
import { adjustBalance, buyBlock, HourBankRefusal, notifyContractChanged } from '@vigie/workflows/client';
import type { Actor, AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

/** Another tenant's contract, and for a client user another client's, is "not found". */
export async function contractOr404(tx: TenantTx, actor: Actor, id: string): Promise<Contract> {
  const contract = await contractsRepo.findContract(tx, id);
  // A client user sees its own client's contracts once they are more than a draft.
  if (!contract || (actor.role === 'client' && (contract.clientId !== actor.clientId || contract.status === 'draft'))) throw AppError.notFound('contract');
  return contract;
}

async function checkPeople(tx: TenantTx, clientId: string, body: { accountManagerId?: string | null | undefined; notifyContactId?: string | null | undefined }): Promise<void> {
  if (body.accountManagerId) {
    const user = await staffRepo.findActiveStaff(tx, body.accountManagerId);
    if (!user)
      throw AppError.invalid('accountManagerId is not an active staff user', [{ path: 'accountManagerId', message: 'unknown staff user' }]);
  }
  if (body.notifyContactId) {
    const contact = await clientsRepo.findContact(tx, body.notifyContactId);
    if (!contact || contact.clientId !== clientId)
      throw AppError.invalid('notifyContactId is not a contact of this client', [{ path: 'notifyContactId', message: 'unknown contact' }]);
  }
}

const today = () => new Date().toISOString().slice(0, 10);

/** A new contract, as a draft. Several per client; at most one default. */
export async function insertContract(ctx: Ctx, tx: TenantTx, body: CreateContractBody, quoteId: string | null = null): Promise<Contract> {
  const client = await clientsRepo.findClient(tx, body.clientId);
  if (!client) throw AppError.invalid('clientId is unknown', [{ path: 'clientId', message: 'unknown client' }]);
  await checkPeople(tx, client.id, body);
  const startDate = body.startDate ?? today();
  if (body.endDate && body.endDate < startDate) throw AppError.invalid('endDate is before startDate', [{ path: 'endDate', message: 'must not be before the start' }]);
  if (body.isDefault) await contractsRepo.clearDefault(tx, client.id);
  const contract = await contractsRepo.insertContract(tx, { tenantId: ctx.actor.tenantId, id: randomUUID(), startDate, quoteId }, body);
  await ctx.audit(tx, { action: 'contract.create', entity: 'contract', entityId: contract.id, after: { type: contract.type, name: contract.name, clientId: client.id, quoteId } });
  return contract;
}

export function createContract(ctx: Ctx, body: CreateContractBody): Promise<Contract> {
  return ctx.tx((tx) => insertContract(ctx, tx, body));
}

function checkTerms(before: Contract, body: UpdateContractBody): void {
  if (body.hourBank && before.type !== 'hour_bank') throw AppError.invalid('only an hour-bank contract has hour-bank terms', [{ path: 'hourBank', message: 'not an hour bank' }]);
  if (body.subscription && before.type !== 'subscription')
    throw AppError.invalid('only a subscription has subscription terms', [{ path: 'subscription', message: 'not a subscription' }]);
  if (body.hourlyRateCents === null && before.type === 'time_material')
    throw AppError.invalid('a time & material contract needs an hourly rate', [{ path: 'hourlyRateCents', message: 'required' }]);
}

export async function updateContract(ctx: Ctx, id: string, body: UpdateContractBody): Promise<Contract> {
  const after = await ctx.tx(async (tx) => {
    const before = await contractOr404(tx, ctx.actor, id);
    if (before.status === 'ended') throw AppError.conflict('an ended contract cannot change; make a new one');
    if (body.status && body.status !== before.status && !CONTRACT_TRANSITIONS[before.status].includes(body.status))
      throw AppError.conflict(`a ${before.status} contract cannot become ${body.status}`);
    checkTerms(before, body);
    const endDate = body.endDate === undefined ? before.endDate : body.endDate;
    if (endDate && endDate < before.startDate) throw AppError.invalid('endDate is before startDate', [{ path: 'endDate', message: 'must not be before the start' }]);
    await checkPeople(tx, before.clientId, body);
    if (body.isDefault) await contractsRepo.clearDefault(tx, before.clientId);
    let after: Contract;
    try {
      after = await contractsRepo.updateContract(tx, id, body);
    } catch (err) {
      if (isCheckViolation(err)) throw AppError.conflict('the balance is already below this overdraft limit');
      throw err;
    }
    await ctx.audit(tx, {
      action: body.status && body.status !== before.status ? `contract.${body.status}` : 'contract.update',
      entity: 'contract',
      entityId: id,
      before: { status: before.status, name: before.name, hourBank: before.hourBank, isDefault: before.isDefault },
      after: { status: after.status, name: after.name, hourBank: after.hourBank, isDefault: after.isDefault },
    });
    return after;
  });
  // The record changed first; the running workflow (if any) then reloads its status and limits.
  if (after.type === 'hour_bank') await notifyContractChanged(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: id });
  return after;
}

/**
 * The id of a new block or adjustment: derived from the Idempotency-Key when there is one, so a retried
 * request whose first response was lost names the same block and the workflow applies it once.
 */
function businessId(ctx: Ctx, contractId: string): string {
  const key = ctx.req.get('Idempotency-Key');
  return key ? stableId(ctx.actor.tenantId, contractId, key) : randomUUID();
}

const stableId = (...parts: string[]) => uuidv5(createHash('sha256').update(parts.join(':')).digest('hex'), uuidv5.URL);

/** Calls the contract workflow; its refusals are 409 with their reason. */
async function viaWorkflow<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof HourBankRefusal) throw err.kind === 'ContractNotFound' ? AppError.notFound('contract') : AppError.conflict(err.reason);
    throw err;
  }
}

async function hourBankOr409(tx: TenantTx, actor: Actor, id: string): Promise<Contract> {
  const contract = await contractOr404(tx, actor, id);
  if (contract.type !== 'hour_bank') throw AppError.conflict(`a ${contract.type} contract has no hour bank`);
  if (contract.status === 'ended') throw AppError.conflict('the contract has ended');
  return contract;
}

/** Sells a pack: a new block, consumed after the older ones; it first pays back any overdraft. */
export function sellBlock(ctx: Ctx, id: string, body: BuyBlockBody): Promise<HourBlockView> {
  return ctx.tx(async (tx) => {
    const contract = await hourBankOr409(tx, ctx.actor, id);
    if (body.expiresAt && Date.parse(body.expiresAt) <= Date.now())
      throw AppError.invalid('expiresAt is in the past', [{ path: 'expiresAt', message: 'must be in the future' }]);
    const block = await viaWorkflow(() =>
      buyBlock(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: contract.id }, {
        blockId: businessId(ctx, contract.id),
        minutes: body.minutes,
        priceCents: body.priceCents,
        expiresAt: body.expiresAt ?? null,
        actorId: ctx.actor.userId,
      }),
    );
    await ctx.audit(tx, { action: 'contract.block.sell', entity: 'contract', entityId: contract.id, after: { blockId: block.id, minutes: block.minutes, priceCents: block.priceCents, expiresAt: block.expiresAt } });
    return block;
  });
}

/** A manager's correction, with its reason, as a ledger row. */
export function adjustHours(ctx: Ctx, id: string, body: AdjustmentBody): Promise<LedgerEntry> {
  return ctx.tx(async (tx) => {
    const contract = await hourBankOr409(tx, ctx.actor, id);
    const entry = await viaWorkflow(() =>
      adjustBalance(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: contract.id }, {
        adjustmentId: businessId(ctx, contract.id),
        minutes: body.minutes,
        reason: body.reason,
        actorId: ctx.actor.userId,
      }),
    );
    await ctx.audit(tx, { action: 'contract.adjust', entity: 'contract', entityId: contract.id, after: { ledgerId: entry.id, minutes: entry.minutes, reason: entry.reason } });
    return entry;
  });
}

/** The draft contract an accepted quote asks for, with terms taken from the quote (edited afterwards). */
export function draftFromQuote(quote: Quote, choice: NonNullable<AcceptQuoteBody['contract']>): CreateContractBody {
  const base = { clientId: quote.clientId, name: choice.name ?? `Contrat ${quote.number}`, isDefault: false, currency: quote.currency, notes: `Issu du devis ${quote.number}.` };
  switch (choice.type) {
    case 'hour_bank':
      return {
        ...base,
        type: 'hour_bank',
        hourBank: { roundingMinutes: 0, minimumMinutes: 0, overdraftLimitMinutes: null, thresholds: [], usualPackMinutes: null, usualPackPriceCents: quote.totalExclTaxCents },
      };
    case 'subscription':
      return { ...base, type: 'subscription', subscription: { billingBasis: 'flat', unitPriceCents: quote.totalExclTaxCents, billingPeriod: 'monthly', includedMinutes: null } };
    case 'time_material':
      return { ...base, type: 'time_material', hourlyRateCents: quote.lines[0]?.unitPriceCents ?? 0 };
  }
}

/**
 * An accepted renewal sells its pack on the renewed contract: the pack size proposed times the first
 * line's quantity, at the quote's price before tax. The block id comes from the quote, so a retried
 * acceptance sells it once.
 */
export async function sellRenewal(ctx: Ctx, tx: TenantTx, quote: Quote, renewal: { contractId: string; packMinutes: number }): Promise<HourBlockView> {
  const contract = await contractOr404(tx, ctx.actor, renewal.contractId);
  if (contract.status === 'ended') throw AppError.conflict('the renewed contract has ended; decline this quote and propose a new contract');
  const minutes = Math.round(renewal.packMinutes * (quote.lines[0]?.quantity ?? 1));
  const block = await viaWorkflow(() =>
    buyBlock(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, contractId: contract.id }, {
      blockId: stableId(ctx.actor.tenantId, 'renewal', quote.id),
      minutes,
      priceCents: quote.totalExclTaxCents,
      expiresAt: null,
      actorId: ctx.actor.userId,
    }),
  );
  await ctx.audit(tx, { action: 'contract.block.sell', entity: 'contract', entityId: contract.id, after: { blockId: block.id, minutes, priceCents: block.priceCents, byQuote: quote.number } });
  return block;
}
