import { randomUUID } from 'node:crypto';
import { AppError, type AcceptQuoteBody, type CreateQuoteBody, type Quote, type UpdateQuoteBody } from '@vigie/core';
import { contractsRepo, pipelineRepo, quotesRepo, clientsRepo, type TenantTx } from '@vigie/db';
import { draftFromQuote, insertContract, sellRenewal } from '../contracts/service';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

const DAY = 86_400_000;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export async function quoteOr404(tx: TenantTx, id: string): Promise<Quote> {
  const quote = await quotesRepo.findQuote(tx, id);
  if (!quote) throw AppError.notFound('quote');
  return quote;
}

/** A draft quote for an opportunity, numbered in the tenant's yearly sequence (DEV-2026-0001). */
export async function createQuote(ctx: Ctx, opportunityId: string, body: CreateQuoteBody): Promise<Quote> {
  return ctx.tx(async (tx) => {
    const opportunity = await pipelineRepo.findOpportunity(tx, opportunityId);
    if (!opportunity) throw AppError.notFound('opportunity');
    if (opportunity.stageKind !== 'open') throw AppError.conflict(`this opportunity is already ${opportunity.stageKind}`);
    const client = (await clientsRepo.findClient(tx, opportunity.clientId))!;
    const now = Date.now();
    const issueDate = isoDate(now);
    const validUntil = body.validUntil ?? isoDate(now + 30 * DAY);
    if (validUntil < issueDate) throw AppError.invalid('validUntil is before today', [{ path: 'validUntil', message: 'must be today or later' }]);
    const number = await quotesRepo.nextNumber(tx, ctx.actor.tenantId, 'quote', new Date(now).getUTCFullYear());
    const quote = await quotesRepo.insertQuote(
      tx,
      { tenantId: ctx.actor.tenantId, id: randomUUID(), number, opportunityId, clientId: client.id, currency: opportunity.currency, issueDate, validUntil },
      body,
    );
    await ctx.audit(tx, { action: 'quote.create', entity: 'quote', entityId: quote.id, after: { number, opportunityId, totalCents: quote.totalCents } });
    return quote;
  });
}

export async function updateQuote(ctx: Ctx, id: string, body: UpdateQuoteBody): Promise<Quote> {
  return ctx.tx(async (tx) => {
    const before = await quoteOr404(tx, id);
    if (before.status !== 'draft') throw AppError.conflict(`a ${before.status} quote cannot change; make a new one`);
    const after = await quotesRepo.updateQuote(tx, before, ctx.actor.tenantId, body);
    await ctx.audit(tx, { action: 'quote.update', entity: 'quote', entityId: id, before: { totalCents: before.totalCents }, after: { totalCents: after.totalCents } });
    return after;
  });
}

const NEXT: Record<string, Quote['status'][]> = { draft: ['sent', 'accepted', 'declined'], sent: ['accepted', 'declined'], accepted: [], declined: [] };

/**
 * Sent, accepted or declined. Accepting wins the opportunity in the same transaction, and either sells
 * the pack of a renewal on its contract or, when asked, drafts the matching contract.
 */
export async function setStatus(ctx: Ctx, id: string, status: 'sent' | 'accepted' | 'declined', body: AcceptQuoteBody = {}): Promise<Quote> {
  return ctx.tx(async (tx) => {
    const before = await quoteOr404(tx, id);
    if (!NEXT[before.status]!.includes(status)) throw AppError.conflict(`a ${before.status} quote cannot become ${status}`);
    if (status === 'accepted') await accept(ctx, tx, before, body);
    await quotesRepo.setQuoteStatus(tx, id, status);
    await ctx.audit(tx, { action: `quote.${status}`, entity: 'quote', entityId: id, before: { status: before.status }, after: { status } });
    return (await quotesRepo.findQuote(tx, id))!;
  });
}

async function accept(ctx: Ctx, tx: TenantTx, quote: Quote, body: AcceptQuoteBody): Promise<void> {
  const opportunity = await pipelineRepo.findOpportunity(tx, quote.opportunityId);
  if (opportunity?.stageKind === 'lost') throw AppError.conflict('the opportunity is lost; reopen a new one');
  const renewal = await contractsRepo.renewalOf(tx, quote.opportunityId);
  if (renewal && body.contract)
    throw AppError.invalid('a renewal sells its pack on the contract it renews; it drafts no new contract', [{ path: 'contract', message: 'not for a renewal' }]);
  if (opportunity?.stageKind === 'open') {
    const won = (await pipelineRepo.listStages(tx)).find((s) => s.kind === 'won')!;
    await pipelineRepo.moveOpportunity(tx, opportunity.id, won, null);
    await ctx.audit(tx, { action: 'opportunity.won', entity: 'opportunity', entityId: opportunity.id, after: { byQuote: quote.number } });
  }
  // The workflow's sale is idempotent by quote, so it goes before this transaction commits.
  if (renewal) await sellRenewal(ctx, tx, quote, renewal);
  else if (body.contract) await insertContract(ctx, tx, draftFromQuote(quote, body.contract), quote.id);
}
