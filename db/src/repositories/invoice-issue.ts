import {
  AppError,
  buildInvoiceDocument,
  creditNote,
  localDateIn,
  type Buyer,
  type CreditNote,
  type InvoiceDocument,
  type PaymentTerms,
  type Seller,
} from '@vigie/core';
import type { TenantTx } from '../tenancy';
import { getBillingSettings } from './billing-settings';
import { findClient } from './clients';
import { addCredited, creditedQuantities, findInvoiceRow, insertDraft, insertEvent, linesOf, markIssued, owedCents, storedLineOfRow, type InvoiceRow } from './invoices';
import { nextNumber } from './sequences';
import { ensureTenantSettings, getTenantSettings } from './tenants';

/**
 * Issuing: a draft gets the next number of the tenant's yearly sequence and its printed content is
 * frozen, in one transaction. The sequence row stays locked until commit, so concurrent validations are
 * numbered in the order they commit and a rolled-back one gives its number back: no gaps, and numbers
 * follow issue dates.
 */

async function sellerOf(tx: TenantTx, tenantId: string): Promise<{ seller: Seller; timezone: string }> {
  await ensureTenantSettings(tx, tenantId);
  const tenant = (await getTenantSettings(tx, tenantId))!;
  const billing = await getBillingSettings(tx);
  const { legal } = tenant;
  return {
    timezone: tenant.timezone,
    seller: {
      legalName: legal.legalName || tenant.name,
      legalForm: legal.legalForm,
      siren: legal.siren,
      siret: legal.siret,
      vatNumber: legal.vatNumber,
      shareCapital: legal.shareCapital,
      rcs: legal.rcs,
      address: legal.address,
      email: tenant.supportEmail ?? '',
      iban: billing.iban,
      bic: billing.bic,
    },
  };
}

async function buyerOf(tx: TenantTx, clientId: string): Promise<{ buyer: Buyer; terms: PaymentTerms | null }> {
  const client = (await findClient(tx, clientId))!;
  const contact = (await tx('contacts')
    .where({ client_id: clientId })
    .whereNotNull('email')
    .orderBy([{ column: 'is_primary', order: 'desc' }, { column: 'created_at' }])
    .first('email')) as { email: string } | undefined;
  return {
    buyer: {
      legalName: client.name,
      siren: client.siren ?? '',
      siret: client.siret ?? '',
      vatNumber: client.vatNumber ?? '',
      address: client.billingAddress,
      email: contact?.email ?? '',
      // A company (SIREN or VAT number) is a professional: late-payment mentions apply.
      professional: Boolean(client.siren || client.vatNumber),
    },
    terms: { kind: client.paymentTermsEndOfMonth ? 'end_of_month' : 'net', days: client.paymentTermsDays },
  };
}

export interface Issued {
  invoiceId: string;
  number: string;
  document: InvoiceDocument;
}

/** Validates a draft invoice (409 unless it is a draft with a positive total). */
export async function issueInvoice(tx: TenantTx, tenantId: string, invoiceId: string, actorId: string | null, nowMs = Date.now()): Promise<Issued> {
  const row = await findInvoiceRow(tx, invoiceId, { lock: true });
  if (!row) throw AppError.notFound('invoice');
  if (row.status !== 'draft') throw AppError.conflict(`invoice ${row.number} is already ${row.status}`);
  if (row.kind !== 'invoice') throw AppError.conflict('a credit note is issued when it is created');
  if (row.total_cents <= 0) throw AppError.conflict('an invoice must total more than zero; credit a past invoice with a credit note instead');
  const lines = (await linesOf(tx, invoiceId)).map(storedLineOfRow);
  const { seller, timezone } = await sellerOf(tx, tenantId);
  const { buyer, terms } = await buyerOf(tx, row.client_id);
  const settings = await getBillingSettings(tx);
  const issueDate = localDateIn(nowMs, timezone);
  // Checked before taking a number, so a refusal never holds the sequence.
  const draft = { kind: 'invoice' as const, number: 'FA-DRAFT', issueDate, currency: row.currency, seller, buyer, terms: terms ?? settings.paymentTerms };
  const common = {
    penaltyRate: settings.penaltyRate,
    earlyPaymentDiscount: settings.earlyPaymentDiscount,
    lines,
    vatRounding: row.vat_rounding,
    creditNote: null,
    precedingInvoice: null,
    periodStart: row.period_start,
    periodEnd: row.period_end,
    buyerReference: row.buyer_reference,
    notes: [row.notes, settings.footer].filter(Boolean).join('\n'),
  };
  buildInvoiceDocument({ ...draft, ...common });
  const number = await nextNumber(tx, tenantId, 'invoice', Number(issueDate.slice(0, 4)));
  const document = buildInvoiceDocument({ ...draft, ...common, number });
  await markIssued(tx, invoiceId, { number, issueDate, dueDate: document.dueDate, document });
  await insertEvent(tx, { tenantId, invoiceId, kind: 'validated', detail: { number }, actorId, stepKey: 'validated' });
  return { invoiceId, number, document };
}

export interface CreditRequest {
  /** Quantities (thousandths) per line position; null: everything still creditable. */
  lines: { position: number; quantityMilli: number }[] | null;
  reason: string;
}

/** Issues a credit note (avoir) against an issued invoice, numbered in its own sequence. */
export async function issueCreditNote(tx: TenantTx, tenantId: string, invoiceId: string, request: CreditRequest, actorId: string | null, nowMs = Date.now()): Promise<Issued> {
  const invoice = await findInvoiceRow(tx, invoiceId, { lock: true });
  if (!invoice) throw AppError.notFound('invoice');
  if (invoice.kind !== 'invoice' || invoice.status === 'draft') throw AppError.conflict('only an issued invoice can be credited; a draft is edited or deleted');
  const rows = await linesOf(tx, invoiceId);
  const lines = rows.map(storedLineOfRow);
  const previous = (await creditedQuantities(tx, invoiceId)).map((c) => ({ lineIndex: c.position - 1, quantityMilli: c.quantityMilli }));
  const requested =
    request.lines?.map((l) => ({ lineIndex: l.position - 1, quantityMilli: l.quantityMilli })) ??
    lines.map((l, i) => ({ lineIndex: i, quantityMilli: l.quantityMilli - previous.filter((p) => p.lineIndex === i).reduce((s, p) => s + p.quantityMilli, 0) })).filter((r) => r.quantityMilli > 0);
  const result = creditNote({ lines, vatRounding: invoice.vat_rounding }, previous, requested);
  if (!result.ok) throw creditRefusal(result);
  const note: CreditNote = result.creditNote;
  // The balance left to pay can only go down to zero: crediting what was already paid is a refund, not handled here.
  const balance = owedCents(invoice);
  if (-note.totalCents > balance) throw AppError.conflict(`the credit (${-note.totalCents / 100}) exceeds what is left to pay (${balance / 100}): part of the invoice is already paid`);
  const noteLines = note.lines.map((l) => ({ ...lines[l.lineIndex]!, id: undefined, quantityMilli: l.quantityMilli, creditsLinePosition: l.lineIndex + 1 }));
  const { seller, timezone } = await sellerOf(tx, tenantId);
  const { buyer } = await buyerOf(tx, invoice.client_id);
  const settings = await getBillingSettings(tx);
  const issueDate = localDateIn(nowMs, timezone);
  const base = {
    kind: 'credit_note' as const,
    issueDate,
    currency: invoice.currency,
    seller,
    buyer,
    terms: { kind: 'net' as const, days: 0 },
    penaltyRate: settings.penaltyRate,
    earlyPaymentDiscount: null,
    lines: noteLines,
    vatRounding: invoice.vat_rounding,
    creditNote: note,
    precedingInvoice: { number: invoice.number!, issueDate: invoice.issue_date! },
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    buyerReference: invoice.buyer_reference,
    notes: request.reason,
  };
  buildInvoiceDocument({ ...base, number: 'AV-DRAFT' });
  const id = (await insertDraft(tx, {
    tenantId,
    kind: 'credit_note',
    clientId: invoice.client_id,
    contractId: invoice.contract_id,
    creditsInvoiceId: invoiceId,
    source: 'credit_note',
    sourceKey: null,
    currency: invoice.currency,
    vatRounding: invoice.vat_rounding,
    periodStart: invoice.period_start,
    periodEnd: invoice.period_end,
    buyerReference: invoice.buyer_reference,
    notes: request.reason,
    createdBy: actorId,
    lines: noteLines,
    precomputed: { lines: note.lines, totalExclTaxCents: note.totalExclTaxCents, totalTaxCents: note.totalTaxCents, totalCents: note.totalCents },
  }))!;
  const number = await nextNumber(tx, tenantId, 'credit_note', Number(issueDate.slice(0, 4)));
  const document = buildInvoiceDocument({ ...base, number });
  await markIssued(tx, id, { number, issueDate, dueDate: document.dueDate, document });
  await addCredited(tx, invoiceId, -note.totalCents);
  await insertEvent(tx, { tenantId, invoiceId: id, kind: 'validated', detail: { number, credits: invoice.number }, actorId, stepKey: 'validated' });
  await insertEvent(tx, { tenantId, invoiceId, kind: 'credited', detail: { creditNote: number, amountCents: -note.totalCents, reason: request.reason, balanceBefore: balance }, actorId });
  return { invoiceId: id, number, document };
}

function creditRefusal(r: Exclude<ReturnType<typeof creditNote>, { ok: true }>): AppError {
  switch (r.reason) {
    case 'nothing_to_credit':
      return AppError.conflict('nothing is left to credit on this invoice');
    case 'unknown_line':
      return AppError.invalid(`the invoice has no line ${r.lineIndex + 1}`, [{ path: 'lines', message: `no line ${r.lineIndex + 1}` }]);
    case 'invalid_quantity':
      return AppError.invalid(`line ${r.lineIndex + 1}: the quantity must be positive`, [{ path: 'lines', message: 'positive quantity' }]);
    case 'exceeds_remaining':
      return AppError.conflict(`line ${r.lineIndex + 1}: only ${r.remainingMilli / 1000} can still be credited (asked ${r.requestedMilli / 1000})`);
  }
}

export type { InvoiceRow };
