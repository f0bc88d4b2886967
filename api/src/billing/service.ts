import {
  AppError,
  allocatePayment,
  type CreateInvoiceBody,
  type CreditNoteBody,
  type Invoice,
  type InvoiceWorkflowState,
  type Payment,
  type RecordPaymentBody,
  type UpdateInvoiceBody,
  type BillingFrequency,
  type BillingRun,
  checkRunPeriodStart,
} from '@vigie/core';
import { billingRunsRepo, clientsRepo, contractsRepo, invoiceDrafts, invoiceIssue, invoicesRepo, paymentsRepo, type TenantTx } from '@vigie/db';
import { invoiceWorkflowId, invoiceWorkflowState, signalInvoicePaid, startBillingRun, startInvoiceWorkflow } from '@vigie/workflows/client';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;
/** What recording a payment needs: a signed-in user's request, or a provider's webhook (no user). */
export type PaymentCtx = Pick<Ctx, 'tx' | 'audit' | 'deps'> & { actor: { tenantId: string; userId: string | null } };

export async function invoiceOr404(tx: TenantTx, id: string): Promise<Invoice> {
  const invoice = await invoicesRepo.findInvoice(tx, id);
  if (!invoice) throw AppError.notFound('invoice');
  return invoice;
}

async function clientOr422(tx: TenantTx, clientId: string) {
  const client = await clientsRepo.findClient(tx, clientId);
  if (!client) throw AppError.invalid('no such client', [{ path: 'clientId', message: 'unknown client' }]);
  return client;
}

/** A draft typed by hand. */
export function createInvoice(ctx: Ctx, body: CreateInvoiceBody): Promise<Invoice> {
  return ctx.tx(async (tx) => {
    const client = await clientOr422(tx, body.clientId);
    if (body.contractId) {
      const contract = await contractsRepo.findContract(tx, body.contractId);
      if (!contract || contract.clientId !== client.id) throw AppError.invalid('no such contract for this client', [{ path: 'contractId', message: 'unknown contract' }]);
    }
    if ((body.periodStart === null) !== (body.periodEnd === null) || (body.periodStart && body.periodEnd && body.periodEnd < body.periodStart))
      throw AppError.invalid('a service period needs a start and an end, in that order', [{ path: 'periodEnd', message: 'on or after periodStart' }]);
    const id = (await invoicesRepo.insertDraft(tx, {
      tenantId: ctx.actor.tenantId,
      clientId: client.id,
      contractId: body.contractId,
      source: 'manual',
      sourceKey: null,
      currency: client.currency,
      vatRounding: body.vatRounding,
      periodStart: body.periodStart,
      periodEnd: body.periodEnd,
      buyerReference: body.buyerReference,
      notes: body.notes,
      createdBy: ctx.actor.userId,
      lines: body.lines.map(invoicesRepo.storedLineOf),
    }))!;
    await ctx.audit(tx, { action: 'invoice.create', entity: 'invoice', entityId: id, after: { clientId: client.id } });
    return invoiceOr404(tx, id);
  });
}

export function updateInvoice(ctx: Ctx, id: string, body: UpdateInvoiceBody): Promise<Invoice> {
  return ctx.tx(async (tx) => {
    const before = await invoiceOr404(tx, id);
    if (before.status !== 'draft') throw AppError.conflict(`invoice ${before.number} is issued: only a credit note can correct it`);
    await invoicesRepo.updateDraft(tx, id, body);
    const rounding = body.vatRounding ?? before.vatRounding;
    if (body.lines) await invoiceDrafts.replaceLines(tx, ctx.actor.tenantId, id, body.lines.map((l) => ({ ...invoicesRepo.storedLineOf(l), ...(l.id ? { id: l.id } : {}) })), rounding);
    else if (body.vatRounding) await invoiceDrafts.changeRounding(tx, ctx.actor.tenantId, id, rounding);
    const after = await invoiceOr404(tx, id);
    await ctx.audit(tx, { action: 'invoice.update', entity: 'invoice', entityId: id, before: { totalCents: before.totalCents }, after: { totalCents: after.totalCents } });
    return after;
  });
}

export function deleteDraft(ctx: Ctx, id: string): Promise<void> {
  return ctx.tx(async (tx) => {
    const invoice = await invoiceOr404(tx, id);
    if (invoice.status !== 'draft') throw AppError.conflict(`invoice ${invoice.number} is issued and is kept; correct it with a credit note`);
    await invoicesRepo.deleteDraft(tx, id);
    await ctx.audit(tx, { action: 'invoice.delete', entity: 'invoice', entityId: id, before: { clientId: invoice.clientId, totalCents: invoice.totalCents } });
  });
}

export function mergeLines(ctx: Ctx, id: string, lineIds: string[], description?: string): Promise<Invoice> {
  return ctx.tx(async (tx) => {
    await invoiceDrafts.mergeLines(tx, ctx.actor.tenantId, id, lineIds, description);
    await ctx.audit(tx, { action: 'invoice.lines.merge', entity: 'invoice', entityId: id, after: { lineIds } });
    return invoiceOr404(tx, id);
  });
}

export function deferLine(ctx: Ctx, id: string, lineId: string): Promise<Invoice> {
  return ctx.tx(async (tx) => {
    await invoiceDrafts.deferLine(tx, ctx.actor.tenantId, id, lineId);
    await ctx.audit(tx, { action: 'invoice.lines.defer', entity: 'invoice', entityId: id, after: { lineId } });
    return invoiceOr404(tx, id);
  });
}

/** Drafts from the pre-billing queue, one per client. */
export function draftFromPreBilling(ctx: Ctx, clientIds: string[] | undefined): Promise<{ invoices: Invoice[] }> {
  return ctx.tx(async (tx) => {
    const ids = await invoiceDrafts.draftsFromPreBilling(tx, ctx.actor.tenantId, { ...(clientIds ? { clientIds } : {}), actorId: ctx.actor.userId });
    for (const id of ids) await ctx.audit(tx, { action: 'invoice.create', entity: 'invoice', entityId: id, after: { source: 'pre_billing' } });
    return { invoices: await Promise.all(ids.map((id) => invoiceOr404(tx, id))) };
  });
}

/**
 * Validates a draft: numbered and frozen in one transaction, then its workflow renders, sends and
 * follows it. If Temporal cannot be reached the invoice stays validated and the worker's sweep starts
 * the workflow later.
 */
export async function validateInvoice(ctx: Ctx, id: string): Promise<Invoice> {
  const issued = await ctx.tx(async (tx) => {
    const result = await invoiceIssue.issueInvoice(tx, ctx.actor.tenantId, id, ctx.actor.userId);
    await ctx.audit(tx, { action: 'invoice.validate', entity: 'invoice', entityId: id, after: { number: result.number, totalCents: result.document.totalCents } });
    return result;
  });
  await startInvoiceWorkflow(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, invoiceId: issued.invoiceId }).catch((err: unknown) => {
    ctx.deps.log.warn({ err, invoiceId: id }, 'invoice workflow not started; the sweep will retry');
  });
  return ctx.tx((tx) => invoiceOr404(tx, id));
}

export async function creditInvoice(ctx: Ctx, id: string, body: CreditNoteBody): Promise<Invoice> {
  const issued = await ctx.tx(async (tx) => {
    const lines = body.lines?.map((l) => ({ position: l.position, quantityMilli: Math.round(l.quantity * 1000) })) ?? null;
    const result = await invoiceIssue.issueCreditNote(tx, ctx.actor.tenantId, id, { lines, reason: body.reason }, ctx.actor.userId);
    await ctx.audit(tx, { action: 'invoice.credit', entity: 'invoice', entityId: result.invoiceId, after: { number: result.number, credits: id, totalCents: result.document.totalCents } });
    return result;
  });
  await startInvoiceWorkflow(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, invoiceId: issued.invoiceId }).catch((err: unknown) => {
    ctx.deps.log.warn({ err, invoiceId: issued.invoiceId }, 'credit note workflow not started; the sweep will retry');
  });
  // A credit that settles the balance ends the dunning like a payment.
  await settleIfPaid(ctx, [id]);
  return ctx.tx((tx) => invoiceOr404(tx, issued.invoiceId));
}

/**
 * Records a payment and settles the client's invoices with it (the ones named, in that order, or the
 * oldest first). Invoices fully settled become paid and their workflows stop dunning.
 */
export async function recordPayment(ctx: PaymentCtx, body: RecordPaymentBody, provider?: { method: 'stripe'; providerRef: string }): Promise<Payment> {
  const payment = await ctx.tx(async (tx) => {
    const client = await clientOr422(tx, body.clientId);
    const open = await paymentsRepo.lockOpenInvoices(tx, client.id, body.currency);
    const named = body.invoiceIds?.find((id) => !open.some((o) => o.id === id));
    if (named) throw AppError.invalid('an invoice named is not an open invoice of this client in this currency', [{ path: 'invoiceIds', message: `invoice ${named} cannot take a payment` }]);
    // Oldest first: due date, then issue date, then number (invoices issued the same day).
    const oldestFirst = [...open].sort((a, b) => a.dueDate.localeCompare(b.dueDate) || a.issueDate.localeCompare(b.issueDate) || a.number.localeCompare(b.number)).map((o) => o.id);
    const allocation = allocatePayment(body.amountCents, open, { invoiceIds: body.invoiceIds ?? oldestFirst });
    const id = await paymentsRepo.insertPayment(tx, {
      tenantId: ctx.actor.tenantId,
      clientId: client.id,
      paidAt: body.paidAt,
      method: provider?.method ?? body.method,
      reference: body.reference,
      amountCents: body.amountCents,
      currency: body.currency,
      providerRef: provider?.providerRef ?? null,
      createdBy: ctx.actor.userId,
      allocations: allocation.allocations,
    });
    if (!id) throw AppError.conflict('this payment was already recorded');
    for (const a of allocation.allocations) {
      await invoicesRepo.insertEvent(tx, { tenantId: ctx.actor.tenantId, invoiceId: a.invoiceId, kind: 'payment', detail: { paymentId: id, amountCents: a.amountCents, method: provider?.method ?? body.method, reference: body.reference }, actorId: ctx.actor.userId });
    }
    await ctx.audit(tx, { action: 'payment.record', entity: 'payment', entityId: id, after: { amountCents: body.amountCents, allocations: allocation.allocations } });
    return (await paymentsRepo.findPayment(tx, id))!;
  });
  await settleIfPaid(ctx, payment.allocations.map((a) => a.invoiceId));
  return payment;
}

/** Marks fully settled invoices paid, then tells their workflows (after commit: the database is the truth). */
async function settleIfPaid(ctx: PaymentCtx, invoiceIds: string[]): Promise<void> {
  const paid = await ctx.tx(async (tx) => {
    const done: string[] = [];
    for (const id of invoiceIds) {
      const row = await invoicesRepo.findInvoiceRow(tx, id, { lock: true });
      if (!row || row.kind !== 'invoice' || row.status === 'paid' || row.status === 'draft') continue;
      if (invoicesRepo.owedCents(row) > 0) continue;
      await invoicesRepo.setInvoiceState(tx, id, { status: 'paid', paidAt: new Date(), dunningLevel: null });
      await invoicesRepo.insertEvent(tx, { tenantId: ctx.actor.tenantId, invoiceId: id, kind: 'paid', actorId: ctx.actor.userId, stepKey: 'paid' });
      done.push(id);
    }
    return done;
  });
  for (const id of paid) await signalInvoicePaid(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, invoiceId: id }).catch((err: unknown) => ctx.deps.log.warn({ err, invoiceId: id }, 'paid signal not delivered'));
}

/** What the invoice's workflow is doing, for finance (and a link to the Temporal UI). */
export async function workflowState(ctx: Ctx, id: string): Promise<InvoiceWorkflowState> {
  const invoice = await ctx.tx((tx) => invoiceOr404(tx, id));
  const workflowId = invoiceWorkflowId(ctx.actor.tenantId, id);
  const ui = ctx.deps.config.TEMPORAL_UI_URL;
  const temporalUiUrl = ui ? `${ui.replace(/\/$/, '')}/namespaces/${ctx.deps.config.TEMPORAL_NAMESPACE}/workflows/${encodeURIComponent(workflowId)}` : null;
  if (invoice.status === 'draft') return { workflowId, running: false, phase: 'draft', nextStep: null, temporalUiUrl: null };
  const state = await invoiceWorkflowState(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, invoiceId: id });
  if (!state) return { workflowId, running: false, phase: 'not_started', nextStep: null, temporalUiUrl };
  return { workflowId, running: state.running, phase: state.phase, nextStep: state.nextStep, temporalUiUrl };
}

/** A run for a period, now: the run row is claimed here (so it can be shown at once), the workflow does the rest. */
export async function startRun(ctx: Ctx, frequency: BillingFrequency, periodStart: string): Promise<BillingRun> {
  const period = checkRunPeriodStart(frequency, periodStart);
  const { run, rerun } = await ctx.tx(async (tx) => {
    const before = await billingRunsRepo.findRunForPeriod(tx, frequency, period.start);
    const claimed = await billingRunsRepo.claimRun(tx, ctx.actor.tenantId, frequency, period.start, period.end);
    await ctx.audit(tx, { action: 'billing.run', entity: 'billing_run', entityId: claimed.id, after: { frequency, periodStart } });
    return { run: claimed, rerun: !!before && before.status !== 'running' };
  });
  await startBillingRun(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, frequency, periodStart: period.start, rerun });
  return run;
}
