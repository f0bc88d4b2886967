import { randomUUID } from 'node:crypto';
import { AppError, STANDARD_VAT_BP } from '@vigie/core';
import type { TenantTx } from '../tenancy';
import { findInvoiceRow, insertDraft, linesOf, storedLineOfRow, writeLines, type StoredLine } from './invoices';

interface PendingItem {
  id: string;
  client_id: string;
  currency: string;
  ticket_number: string;
  description: string;
  minutes: number;
  unit_rate_cents: number;
  amount_cents: number;
}

const hoursText = (minutes: number) => `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')}`;

/**
 * The invoice line of one item of ticket time: hours at the hourly rate when the minutes make a whole
 * number of thousandths of an hour (15 min = 0.25 h), else one unit at the item's amount, so the line
 * always totals exactly what pre-billing valued.
 */
export function lineOfItem(item: Pick<PendingItem, 'ticket_number' | 'description' | 'minutes' | 'unit_rate_cents' | 'amount_cents'>): StoredLine {
  // Pre-billing already names the ticket ("T-2026-0001 — …"); older items may not.
  const description = (item.description.startsWith(item.ticket_number) ? item.description : `${item.ticket_number} — ${item.description}`).slice(0, 500);
  const exactHours = (item.minutes * 1000) % 60 === 0;
  return exactHours
    ? { description, quantityMilli: (item.minutes * 1000) / 60, unitCode: 'HUR', unitPriceCents: item.unit_rate_cents, vatRateBp: STANDARD_VAT_BP, vatExemption: null }
    : { description: `${description} (${hoursText(item.minutes)})`, quantityMilli: 1000, unitCode: 'C62', unitPriceCents: item.amount_cents, vatRateBp: STANDARD_VAT_BP, vatExemption: null };
}

/**
 * One draft per client from its pending ticket time not yet on an invoice, one line per item. Items are
 * locked and linked to the draft, so a concurrent or repeated call never bills them twice. `sourceKey`
 * (a billing run) makes each client's draft once.
 */
export async function draftsFromPreBilling(
  tx: TenantTx,
  tenantId: string,
  opts: { clientIds?: string[]; actorId: string | null; billingRunId?: string | null; sourceKeyPrefix?: string | null },
): Promise<string[]> {
  const q = tx('pre_billing_items as p')
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'p.tenant_id').andOn('t.id', 'p.ticket_id');
    })
    .join('clients as c', function () {
      this.on('c.tenant_id', 'p.tenant_id').andOn('c.id', 'p.client_id');
    })
    .join('time_entries as e', function () {
      this.on('e.tenant_id', 'p.tenant_id').andOn('e.id', 'p.time_entry_id');
    })
    .where('p.status', 'pending')
    .whereNull('p.invoice_id')
    // Lines in the order the work was done.
    .orderBy([{ column: 'p.client_id' }, { column: 'e.work_date' }, { column: 'e.created_at' }, { column: 'p.id' }])
    .forUpdate('p')
    .select('p.id', 'p.client_id', 'c.currency', 't.number as ticket_number', 'p.description', 'p.minutes', 'p.unit_rate_cents', 'p.amount_cents');
  if (opts.clientIds) q.whereIn('p.client_id', opts.clientIds);
  const items = (await q) as PendingItem[];
  const byClient = new Map<string, PendingItem[]>();
  for (const item of items) byClient.set(item.client_id, [...(byClient.get(item.client_id) ?? []), item]);

  const created: string[] = [];
  for (const [clientId, clientItems] of byClient) {
    const lines = clientItems.map((item) => ({ ...lineOfItem(item), id: randomUUID() }));
    const id = await insertDraft(tx, {
      tenantId,
      clientId,
      contractId: null,
      billingRunId: opts.billingRunId ?? null,
      source: 'pre_billing',
      sourceKey: opts.sourceKeyPrefix ? `${opts.sourceKeyPrefix}:${clientId}` : null,
      currency: clientItems[0]!.currency,
      vatRounding: 'per_rate',
      periodStart: null,
      periodEnd: null,
      buyerReference: '',
      notes: '',
      createdBy: opts.actorId,
      lines,
    });
    if (!id) continue;
    for (const [i, item] of clientItems.entries()) {
      await tx('pre_billing_items').where({ id: item.id }).update({ invoice_id: id, invoice_line_id: lines[i]!.id, updated_at: tx.fn.now() });
    }
    created.push(id);
  }
  return created;
}

async function draftOr409(tx: TenantTx, invoiceId: string) {
  const row = await findInvoiceRow(tx, invoiceId, { lock: true });
  if (!row) throw AppError.notFound('invoice');
  if (row.status !== 'draft') throw AppError.conflict(`invoice ${row.number} is issued: only a credit note can correct it`);
  return row;
}

/**
 * Merges lines of a draft into the first one: same VAT rate (and exemption) required. Same unit and unit
 * price: quantities add up; otherwise one unit at the sum of their amounts. Their ticket time follows.
 */
export async function mergeLines(tx: TenantTx, tenantId: string, invoiceId: string, lineIds: string[], description?: string): Promise<void> {
  const row = await draftOr409(tx, invoiceId);
  const lines = await linesOf(tx, invoiceId);
  const picked = lineIds.map((id) => lines.find((l) => l.id === id) ?? AppError.invalid(`line ${id} is not on this invoice`, [{ path: 'lineIds', message: 'unknown line' }]));
  const missing = picked.find((p) => p instanceof AppError);
  if (missing) throw missing;
  const merged = picked as typeof lines;
  if (new Set(merged.map((l) => l.id)).size !== merged.length) throw AppError.invalid('a line is named twice', [{ path: 'lineIds', message: 'duplicate line' }]);
  if (new Set(merged.map((l) => `${l.vat_rate_bp}:${l.vat_exemption}`)).size > 1) throw AppError.conflict('only lines with the same VAT rate can be merged');
  const [first] = merged;
  const samePrice = merged.every((l) => l.unit_price_cents === first!.unit_price_cents && l.unit_code === first!.unit_code);
  const combined: StoredLine = {
    id: first!.id,
    description: description ?? merged.map((l) => l.description).join(' ; ').slice(0, 500),
    quantityMilli: samePrice ? merged.reduce((s, l) => s + l.quantity_milli, 0) : 1000,
    unitCode: samePrice ? first!.unit_code : 'C62',
    unitPriceCents: samePrice ? first!.unit_price_cents : merged.reduce((s, l) => s + l.total_excl_tax_cents, 0),
    vatRateBp: first!.vat_rate_bp,
    vatExemption: first!.vat_exemption,
  };
  const others = new Set(merged.slice(1).map((l) => l.id));
  await tx('pre_billing_items').whereIn('invoice_line_id', [...others]).update({ invoice_line_id: first!.id, updated_at: tx.fn.now() });
  const next = lines.filter((l) => !others.has(l.id)).map((l) => (l.id === first!.id ? combined : storedLineOfRow(l)));
  await rewriteKeepingLinks(tx, tenantId, invoiceId, next, row.vat_rounding);
}

/** Takes a line off a draft; its ticket time is deferred to a later invoice (not billed now). */
export async function deferLine(tx: TenantTx, tenantId: string, invoiceId: string, lineId: string): Promise<void> {
  const row = await draftOr409(tx, invoiceId);
  const lines = await linesOf(tx, invoiceId);
  if (!lines.some((l) => l.id === lineId)) throw AppError.notFound('invoice line');
  await tx('pre_billing_items').where({ invoice_line_id: lineId }).update({ status: 'deferred', invoice_id: null, invoice_line_id: null, updated_at: tx.fn.now() });
  await rewriteKeepingLinks(tx, tenantId, invoiceId, lines.filter((l) => l.id !== lineId).map(storedLineOfRow), row.vat_rounding);
}

/**
 * Replaces the lines of a draft. A line given with the id of one of the draft's lines stays that line
 * (its ticket time stays on it); the time of a line left out goes back to the pre-billing queue.
 */
export async function replaceLines(tx: TenantTx, tenantId: string, invoiceId: string, lines: StoredLine[], rounding: 'per_rate' | 'per_line'): Promise<void> {
  await draftOr409(tx, invoiceId);
  const existing = new Set((await linesOf(tx, invoiceId)).map((l) => l.id));
  const unknown = lines.find((l) => l.id && !existing.has(l.id));
  if (unknown) throw AppError.invalid(`line ${unknown.id} is not on this invoice`, [{ path: 'lines', message: 'unknown line id' }]);
  if (new Set(lines.flatMap((l) => (l.id ? [l.id] : []))).size !== lines.filter((l) => l.id).length) throw AppError.invalid('a line id is given twice', [{ path: 'lines', message: 'duplicate line id' }]);
  const kept = lines.flatMap((l) => (l.id ? [l.id] : []));
  await tx('pre_billing_items')
    .where({ invoice_id: invoiceId })
    .where((w) => w.whereNull('invoice_line_id').orWhereNotIn('invoice_line_id', kept.length ? kept : ['00000000-0000-0000-0000-000000000000']))
    .update({ invoice_id: null, invoice_line_id: null, updated_at: tx.fn.now() });
  await rewriteKeepingLinks(tx, tenantId, invoiceId, lines, rounding);
}

/** The same lines with another VAT rounding (ticket time stays on its lines). */
export async function changeRounding(tx: TenantTx, tenantId: string, invoiceId: string, rounding: 'per_rate' | 'per_line'): Promise<void> {
  await draftOr409(tx, invoiceId);
  await rewriteKeepingLinks(tx, tenantId, invoiceId, (await linesOf(tx, invoiceId)).map(storedLineOfRow), rounding);
}

/** Rewrites lines with their ids unchanged, so pre-billing links survive (they are detached meanwhile). */
async function rewriteKeepingLinks(tx: TenantTx, tenantId: string, invoiceId: string, lines: StoredLine[], rounding: 'per_rate' | 'per_line'): Promise<void> {
  const links = (await tx('pre_billing_items').where({ invoice_id: invoiceId }).select('id', 'invoice_line_id')) as { id: string; invoice_line_id: string | null }[];
  await tx('pre_billing_items').where({ invoice_id: invoiceId }).update({ invoice_line_id: null });
  await writeLines(tx, tenantId, invoiceId, lines, rounding);
  for (const link of links) if (link.invoice_line_id) await tx('pre_billing_items').where({ id: link.id }).update({ invoice_line_id: link.invoice_line_id });
}
