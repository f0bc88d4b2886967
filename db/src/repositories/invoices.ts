import { randomUUID } from 'node:crypto';
import {
  computeInvoiceTotals,
  VAT_EXEMPTION_MENTIONS,
  type Invoice,
  type InvoiceDocument,
  type InvoiceEvent,
  type InvoiceLineInput,
  type InvoiceListQuery,
  type InvoiceStatus,
  type InvoiceSummary,
  type Page,
  type VatExemption,
  type VatRounding,
} from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

const toMilli = (quantity: number) => Math.round(quantity * 1000);
const toBp = (rate: number) => Math.round(rate * 100);
const iso = (d: Date | null) => d?.toISOString() ?? null;

export type InvoiceKind = 'invoice' | 'credit_note';
export type InvoiceSource = Invoice['source'];

export interface InvoiceRow {
  id: string;
  kind: InvoiceKind;
  number: string | null;
  status: InvoiceStatus;
  client_id: string;
  client_name: string;
  contract_id: string | null;
  credits_invoice_id: string | null;
  billing_run_id: string | null;
  source: InvoiceSource;
  source_key: string | null;
  issue_date: string | null;
  due_date: string | null;
  period_start: string | null;
  period_end: string | null;
  currency: string;
  vat_rounding: VatRounding;
  buyer_reference: string;
  notes: string;
  total_excl_tax_cents: number;
  total_tax_cents: number;
  total_cents: number;
  paid_cents: number;
  credited_cents: number;
  document: InvoiceDocument | null;
  pdf_document_id: string | null;
  dunning_level: string | null;
  payment_url: string | null;
  validated_at: Date | null;
  sent_at: Date | null;
  paid_at: Date | null;
  created_at: Date;
}

export interface LineRow {
  id: string;
  invoice_id: string;
  position: number;
  description: string;
  quantity_milli: number;
  unit_code: string;
  unit_price_cents: number;
  vat_rate_bp: number;
  vat_exemption: VatExemption | null;
  total_excl_tax_cents: number;
  credits_line_position: number | null;
  pre_billing_item_count?: number;
}

/** A line in stored units (thousandths, basis points), as generators and credit notes build them. */
export interface StoredLine {
  id?: string;
  description: string;
  quantityMilli: number;
  unitCode: string;
  unitPriceCents: number;
  vatRateBp: number;
  vatExemption: VatExemption | null;
  creditsLinePosition?: number | null;
}

export const storedLineOf = (l: InvoiceLineInput): StoredLine => ({
  description: l.description,
  quantityMilli: toMilli(l.quantity),
  unitCode: l.unitCode,
  unitPriceCents: l.unitPriceCents,
  vatRateBp: toBp(l.vatRate),
  vatExemption: l.vatExemption,
});

export const storedLineOfRow = (l: LineRow): StoredLine => ({
  id: l.id,
  description: l.description,
  quantityMilli: l.quantity_milli,
  unitCode: l.unit_code,
  unitPriceCents: l.unit_price_cents,
  vatRateBp: l.vat_rate_bp,
  vatExemption: l.vat_exemption,
  creditsLinePosition: l.credits_line_position,
});

function selectInvoices(tx: TenantTx) {
  return tx('invoices as i')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'i.tenant_id').andOn('c.id', 'i.client_id');
    })
    .select('i.*', 'c.name as client_name');
}

type Amounts = Pick<InvoiceRow, 'total_cents' | 'paid_cents' | 'credited_cents'>;

/** What is left to pay on an issued invoice, integer cents (total − payments − credit notes). */
export const owedCents = (r: Amounts): number => r.total_cents - r.paid_cents - r.credited_cents;

/** Settled: an issued invoice marked paid, or with nothing left to pay. */
export const isSettled = (r: Amounts & Pick<InvoiceRow, 'kind' | 'status'>): boolean => r.kind === 'invoice' && (r.status === 'paid' || owedCents(r) <= 0);

const balanceOf = (r: InvoiceRow) => (r.kind === 'invoice' && r.status !== 'draft' ? owedCents(r) : 0);

export function toSummary(r: InvoiceRow): InvoiceSummary {
  return {
    id: r.id,
    kind: r.kind,
    number: r.number,
    status: r.status,
    clientId: r.client_id,
    clientName: r.client_name,
    contractId: r.contract_id,
    creditsInvoiceId: r.credits_invoice_id,
    source: r.source,
    issueDate: r.issue_date,
    dueDate: r.due_date,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    currency: r.currency,
    totalExclTaxCents: r.total_excl_tax_cents,
    totalTaxCents: r.total_tax_cents,
    totalCents: r.total_cents,
    paidCents: r.paid_cents,
    creditedCents: r.credited_cents,
    balanceCents: balanceOf(r),
    dunningLevel: r.dunning_level,
    createdAt: r.created_at.toISOString(),
  };
}

/** Amounts already computed (a credit note's, by difference), signed as stored. */
export interface PrecomputedTotals {
  lines: { totalExclTaxCents: number }[];
  totalExclTaxCents: number;
  totalTaxCents: number;
  totalCents: number;
}

/**
 * Writes the lines and the totals computed from them, so stored totals always match the lines; a credit
 * note passes the amounts core's `creditNote` computed (negative).
 */
export async function writeLines(tx: TenantTx, tenantId: string, invoiceId: string, lines: StoredLine[], rounding: VatRounding, precomputed?: PrecomputedTotals): Promise<void> {
  const totals = precomputed ?? computeInvoiceTotals(lines, rounding);
  await tx('invoice_lines').where({ invoice_id: invoiceId }).delete();
  if (lines.length > 0) {
    await tx('invoice_lines').insert(
      lines.map((l, i) => ({
        tenant_id: tenantId,
        id: l.id ?? randomUUID(),
        invoice_id: invoiceId,
        position: i + 1,
        description: l.description,
        quantity_milli: l.quantityMilli,
        unit_code: l.unitCode,
        unit_price_cents: l.unitPriceCents,
        vat_rate_bp: l.vatRateBp,
        vat_exemption: l.vatExemption,
        total_excl_tax_cents: totals.lines[i]!.totalExclTaxCents,
        credits_line_position: l.creditsLinePosition ?? null,
      })),
    );
  }
  await tx('invoices')
    .where({ id: invoiceId })
    .update({
      total_excl_tax_cents: totals.totalExclTaxCents,
      total_tax_cents: totals.totalTaxCents,
      total_cents: totals.totalCents,
      vat_rounding: rounding,
      updated_at: tx.fn.now(),
    });
}

export interface NewDraft {
  tenantId: string;
  id?: string;
  kind?: InvoiceKind;
  clientId: string;
  contractId: string | null;
  creditsInvoiceId?: string | null;
  billingRunId?: string | null;
  source: InvoiceSource;
  /** Made once per key: a second insert with the same key returns undefined. */
  sourceKey: string | null;
  currency: string;
  vatRounding: VatRounding;
  periodStart: string | null;
  periodEnd: string | null;
  buyerReference: string;
  notes: string;
  createdBy: string | null;
  lines: StoredLine[];
  precomputed?: PrecomputedTotals;
}

/** Inserts a draft with its lines; undefined when a draft for the same source key already exists. */
export async function insertDraft(tx: TenantTx, d: NewDraft): Promise<string | undefined> {
  const id = d.id ?? randomUUID();
  const inserted = await tx('invoices')
    .insert({
      tenant_id: d.tenantId,
      id,
      kind: d.kind ?? 'invoice',
      client_id: d.clientId,
      contract_id: d.contractId,
      credits_invoice_id: d.creditsInvoiceId ?? null,
      billing_run_id: d.billingRunId ?? null,
      source: d.source,
      source_key: d.sourceKey,
      currency: d.currency,
      vat_rounding: d.vatRounding,
      period_start: d.periodStart,
      period_end: d.periodEnd,
      buyer_reference: d.buyerReference,
      notes: d.notes,
      created_by: d.createdBy,
    })
    .onConflict(tx.raw('(tenant_id, source_key)'))
    .ignore()
    .returning('id');
  if (inserted.length === 0) return undefined;
  await writeLines(tx, d.tenantId, id, d.lines, d.vatRounding, d.precomputed);
  return id;
}

export async function findInvoiceRow(tx: TenantTx, id: string, opts: { lock?: boolean } = {}): Promise<InvoiceRow | undefined> {
  const q = selectInvoices(tx).where('i.id', id);
  if (opts.lock) q.forUpdate('i');
  return (await q.first()) as InvoiceRow | undefined;
}

export async function linesOf(tx: TenantTx, invoiceId: string): Promise<LineRow[]> {
  return (await tx('invoice_lines as l')
    .where('l.invoice_id', invoiceId)
    .select('l.*', tx.raw('(select count(*)::int from pre_billing_items p where p.tenant_id = l.tenant_id and p.invoice_line_id = l.id) as pre_billing_item_count'))
    .orderBy('l.position')) as LineRow[];
}

export async function findInvoice(tx: TenantTx, id: string): Promise<Invoice | undefined> {
  const row = await findInvoiceRow(tx, id);
  if (!row) return undefined;
  const lines = await linesOf(tx, id);
  const stored = lines.map(storedLineOfRow);
  // Issued: what was printed; a draft: computed from its lines.
  const vat = row.document?.vat ?? computeInvoiceTotals(stored, row.vat_rounding).vat;
  const creditNotes = (await tx('invoices').where({ credits_invoice_id: id }).orderBy('created_at').select('id', 'number', 'total_cents', 'issue_date')) as {
    id: string;
    number: string | null;
    total_cents: number;
    issue_date: string | null;
  }[];
  const payments = (await tx('payment_allocations as a')
    .join('payments as p', function () {
      this.on('p.tenant_id', 'a.tenant_id').andOn('p.id', 'a.payment_id');
    })
    .where('a.invoice_id', id)
    .orderBy([{ column: 'p.paid_on' }, { column: 'p.created_at' }])
    .select('p.id', 'p.paid_on', 'p.method', 'p.reference', 'a.amount_cents')) as { id: string; paid_on: string; method: Invoice['payments'][number]['method']; reference: string; amount_cents: number }[];
  return {
    ...toSummary(row),
    vatRounding: row.vat_rounding,
    buyerReference: row.buyer_reference,
    notes: row.notes,
    lines: lines.map((l) => ({
      id: l.id,
      position: l.position,
      description: l.description,
      quantity: l.quantity_milli / 1000,
      unitCode: l.unit_code,
      unitPriceCents: l.unit_price_cents,
      vatRate: l.vat_rate_bp / 100,
      vatExemption: l.vat_exemption,
      totalExclTaxCents: l.total_excl_tax_cents,
      preBillingItemCount: l.pre_billing_item_count ?? 0,
    })),
    vat: vat.map((v) => ({ vatRate: v.vatRateBp / 100, baseCents: v.baseCents, taxCents: v.taxCents })),
    mentions: row.document?.mentions ?? [...new Set(stored.flatMap((l) => (l.vatExemption ? [VAT_EXEMPTION_MENTIONS[l.vatExemption]] : [])))],
    pdfDocumentId: row.pdf_document_id,
    paymentUrl: row.payment_url,
    creditNotes: creditNotes.map((c) => ({ id: c.id, number: c.number, totalCents: c.total_cents, issueDate: c.issue_date })),
    payments: payments.map((p) => ({ paymentId: p.id, paidAt: p.paid_on, method: p.method, reference: p.reference, amountCents: p.amount_cents })),
    events: await eventsOf(tx, id),
    validatedAt: iso(row.validated_at),
    sentAt: iso(row.sent_at),
    paidAt: iso(row.paid_at),
  };
}

export async function listInvoices(tx: TenantTx, query: InvoiceListQuery): Promise<Page<InvoiceSummary>> {
  const q = selectInvoices(tx).select(tx.raw('coalesce(i.issue_date, i.created_at::date) as sort_date'));
  if (query.clientId) q.where('i.client_id', query.clientId);
  if (query.status) q.where('i.status', query.status);
  if (query.kind) q.where('i.kind', query.kind);
  if (query.source) q.where('i.source', query.source);
  if (query.from) q.whereRaw('coalesce(i.issue_date, i.created_at::date) >= ?', [query.from]);
  if (query.to) q.whereRaw('coalesce(i.issue_date, i.created_at::date) <= ?', [query.to]);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('i.number', like).orWhereILike('c.name', like));
  }
  return paginate<InvoiceRow, InvoiceSummary>(
    q,
    {
      sortable: { createdAt: 'i.created_at', totalCents: 'i.total_cents', clientName: 'c.name', status: 'i.status' },
      defaultSort: '-createdAt',
      idColumn: 'i.id',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    toSummary,
  );
}

export async function updateDraft(tx: TenantTx, id: string, patch: { buyerReference?: string; notes?: string }): Promise<void> {
  await tx('invoices')
    .where({ id, status: 'draft' })
    .update({
      ...(patch.buyerReference !== undefined ? { buyer_reference: patch.buyerReference } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      updated_at: tx.fn.now(),
    });
}

/** Deletes a draft; its pre-billing items go back to pending and its sold blocks to "not invoiced". */
export async function deleteDraft(tx: TenantTx, id: string): Promise<void> {
  await tx('pre_billing_items').where({ invoice_id: id }).update({ invoice_id: null, invoice_line_id: null, updated_at: tx.fn.now() });
  await tx('hour_blocks').where({ invoice_id: id }).update({ invoice_id: null });
  await tx('invoices').where({ id, status: 'draft' }).delete();
}

/** Freezes a draft: number, dates and the printed document; content can no longer change. */
export async function markIssued(tx: TenantTx, id: string, issued: { number: string; issueDate: string; dueDate: string; document: InvoiceDocument }): Promise<void> {
  await tx('invoices')
    .where({ id, status: 'draft' })
    .update({
      number: issued.number,
      issue_date: issued.issueDate,
      due_date: issued.dueDate,
      document: JSON.stringify(issued.document),
      status: 'validated',
      // The moment of validation itself (the number's lock is held), not the transaction's start: it
      // follows the numbering.
      validated_at: tx.raw('clock_timestamp()'),
      updated_at: tx.fn.now(),
    });
  await tx('pre_billing_items').where({ invoice_id: id }).update({ status: 'invoiced', updated_at: tx.fn.now() });
}

export async function setInvoiceState(
  tx: TenantTx,
  id: string,
  patch: Partial<{ status: InvoiceStatus; dunningLevel: string | null; pdfDocumentId: string; paymentUrl: string | null; sentAt: true; paidAt: Date | null }>,
): Promise<void> {
  await tx('invoices')
    .where({ id })
    .update({
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.dunningLevel !== undefined ? { dunning_level: patch.dunningLevel } : {}),
      ...(patch.pdfDocumentId ? { pdf_document_id: patch.pdfDocumentId } : {}),
      ...(patch.paymentUrl !== undefined ? { payment_url: patch.paymentUrl } : {}),
      ...(patch.sentAt ? { sent_at: tx.fn.now() } : {}),
      ...(patch.paidAt !== undefined ? { paid_at: patch.paidAt } : {}),
      updated_at: tx.fn.now(),
    });
}

export async function addCredited(tx: TenantTx, invoiceId: string, cents: number): Promise<void> {
  await tx('invoices')
    .where({ id: invoiceId })
    .update({ credited_cents: tx.raw('credited_cents + ?', [cents]), updated_at: tx.fn.now() });
}

/** Credited quantities per line position of an invoice, from its issued credit notes. */
export async function creditedQuantities(tx: TenantTx, invoiceId: string): Promise<{ position: number; quantityMilli: number }[]> {
  const rows = (await tx('invoice_lines as l')
    .join('invoices as n', function () {
      this.on('n.tenant_id', 'l.tenant_id').andOn('n.id', 'l.invoice_id');
    })
    .where('n.credits_invoice_id', invoiceId)
    .whereNot('n.status', 'draft')
    .whereNotNull('l.credits_line_position')
    .select('l.credits_line_position as position', 'l.quantity_milli')) as { position: number; quantity_milli: number }[];
  return rows.map((r) => ({ position: r.position, quantityMilli: r.quantity_milli }));
}

// ---------------------------------------------------------------- history

export interface NewInvoiceEvent {
  tenantId: string;
  invoiceId: string;
  kind: string;
  detail?: Record<string, unknown>;
  actorId?: string | null;
  emailId?: string | null;
  /** Recorded once per key (a retried workflow step writes nothing the second time). */
  stepKey?: string | null;
}

/** Returns false when an event with the same step key was already recorded. */
export async function insertEvent(tx: TenantTx, e: NewInvoiceEvent): Promise<boolean> {
  const rows = await tx('invoice_events')
    .insert({
      tenant_id: e.tenantId,
      id: randomUUID(),
      invoice_id: e.invoiceId,
      kind: e.kind,
      detail: JSON.stringify(e.detail ?? {}),
      actor_id: e.actorId ?? null,
      email_id: e.emailId ?? null,
      step_key: e.stepKey ?? null,
    })
    .onConflict(tx.raw('(tenant_id, invoice_id, step_key)'))
    .ignore()
    .returning('id');
  return rows.length > 0;
}

export async function eventsOf(tx: TenantTx, invoiceId: string): Promise<InvoiceEvent[]> {
  const rows = (await tx('invoice_events as e')
    .leftJoin('users as u', function () {
      this.on('u.tenant_id', 'e.tenant_id').andOn('u.id', 'e.actor_id');
    })
    .leftJoin('email_outbox as m', function () {
      this.on('m.tenant_id', 'e.tenant_id').andOn('m.id', 'e.email_id');
    })
    .where('e.invoice_id', invoiceId)
    .orderBy([{ column: 'e.at' }, { column: 'e.id' }])
    .select('e.id', 'e.kind', 'e.detail', 'e.at', 'u.name as actor_name', 'm.status as email_status')) as {
    id: string;
    kind: string;
    detail: Record<string, unknown>;
    at: Date;
    actor_name: string | null;
    email_status: InvoiceEvent['emailStatus'];
  }[];
  return rows.map((r) => ({ id: r.id, kind: r.kind, detail: r.detail, actorName: r.actor_name, emailStatus: r.email_status, at: r.at.toISOString() }));
}

export async function sentDunningKinds(tx: TenantTx, invoiceId: string): Promise<string[]> {
  const rows = (await tx('invoice_events').where({ invoice_id: invoiceId, kind: 'dunning' }).orderBy('at').select('detail')) as { detail: { level: string } }[];
  return rows.map((r) => r.detail.level);
}

/** Cross-tenant (SECURITY DEFINER): issued invoices whose workflow has not sent them after a while. */
export async function findInvoicesAwaitingWorkflow(db: Db, olderThanSeconds: number): Promise<{ tenantId: string; invoiceId: string }[]> {
  const { rows } = await db.raw(`select tenant_id, invoice_id from invoices_awaiting_workflow(make_interval(secs => ?))`, [olderThanSeconds]);
  return (rows as { tenant_id: string; invoice_id: string }[]).map((r) => ({ tenantId: r.tenant_id, invoiceId: r.invoice_id }));
}
