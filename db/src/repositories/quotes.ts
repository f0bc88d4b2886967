import {
  computeTotals,
  type CreateQuoteBody,
  type Page,
  type Quote,
  type QuoteLineInput,
  type QuoteListQuery,
  type QuoteStatus,
  type VatRounding,
} from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';
export { nextNumber } from './sequences';

const toMilli = (quantity: number) => Math.round(quantity * 1000);
const toBp = (rate: number) => Math.round(rate * 100);

interface QuoteRow {
  id: string;
  number: string;
  opportunity_id: string;
  client_id: string;
  client_name: string;
  status: QuoteStatus;
  issue_date: string;
  valid_until: string;
  currency: string;
  vat_rounding: VatRounding;
  notes: string;
  total_excl_tax_cents: number;
  total_tax_cents: number;
  total_cents: number;
  document_id: string | null;
  accepted_at: Date | null;
  contract_id: string | null;
  renews_contract_id: string | null;
  renewal_minutes: number | null;
  created_at: Date;
  updated_at: Date;
}

interface LineRow {
  quote_id: string;
  position: number;
  description: string;
  quantity_milli: number;
  unit_price_cents: number;
  vat_rate_bp: number;
  total_excl_tax_cents: number;
}

function toQuote(row: QuoteRow, lines: LineRow[]): Quote {
  const priced = lines.map((l) => ({ quantityMilli: l.quantity_milli, unitPriceCents: l.unit_price_cents, vatRateBp: l.vat_rate_bp }));
  const totals = computeTotals(priced, row.vat_rounding);
  return {
    id: row.id,
    number: row.number,
    opportunityId: row.opportunity_id,
    clientId: row.client_id,
    clientName: row.client_name,
    status: row.status,
    issueDate: row.issue_date,
    validUntil: row.valid_until,
    currency: row.currency,
    vatRounding: row.vat_rounding,
    notes: row.notes,
    lines: lines.map((l) => ({
      description: l.description,
      quantity: l.quantity_milli / 1000,
      unitPriceCents: l.unit_price_cents,
      vatRate: l.vat_rate_bp / 100,
      totalExclTaxCents: l.total_excl_tax_cents,
    })),
    vat: totals.vat.map((v) => ({ vatRate: v.vatRateBp / 100, baseCents: v.baseCents, taxCents: v.taxCents })),
    totalExclTaxCents: row.total_excl_tax_cents,
    totalTaxCents: row.total_tax_cents,
    totalCents: row.total_cents,
    documentId: row.document_id,
    acceptedAt: row.accepted_at?.toISOString() ?? null,
    contractId: row.contract_id,
    renewsContractId: row.renews_contract_id,
    renewalPackMinutes: row.renewal_minutes,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function selectQuotes(tx: TenantTx) {
  return tx('quotes as q')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'q.tenant_id').andOn('c.id', 'q.client_id');
    })
    .join('opportunities as o', function () {
      this.on('o.tenant_id', 'q.tenant_id').andOn('o.id', 'q.opportunity_id');
    })
    .leftJoin('contracts as k', function () {
      this.on('k.tenant_id', 'q.tenant_id').andOn('k.quote_id', 'q.id');
    })
    .select('q.*', 'c.name as client_name', 'k.id as contract_id', 'o.renews_contract_id', 'o.renewal_minutes');
}

async function linesOf(tx: TenantTx, quoteIds: string[]): Promise<Map<string, LineRow[]>> {
  const rows = (await tx('quote_lines').whereIn('quote_id', quoteIds).orderBy(['quote_id', 'position'])) as LineRow[];
  const byQuote = new Map<string, LineRow[]>();
  for (const row of rows) byQuote.set(row.quote_id, [...(byQuote.get(row.quote_id) ?? []), row]);
  return byQuote;
}

/** Writes lines and the totals computed from them, so the stored totals always match the lines. */
async function writeLines(tx: TenantTx, tenantId: string, quoteId: string, lines: QuoteLineInput[], rounding: VatRounding): Promise<void> {
  const priced = lines.map((l) => ({ quantityMilli: toMilli(l.quantity), unitPriceCents: l.unitPriceCents, vatRateBp: toBp(l.vatRate) }));
  const totals = computeTotals(priced, rounding);
  await tx('quote_lines').where({ quote_id: quoteId }).delete();
  await tx('quote_lines').insert(
    lines.map((l, i) => ({
      tenant_id: tenantId,
      quote_id: quoteId,
      position: i,
      description: l.description,
      quantity_milli: priced[i]!.quantityMilli,
      unit_price_cents: l.unitPriceCents,
      vat_rate_bp: priced[i]!.vatRateBp,
      total_excl_tax_cents: totals.lines[i]!.totalExclTaxCents,
    })),
  );
  await tx('quotes').where({ id: quoteId }).update({
    total_excl_tax_cents: totals.totalExclTaxCents,
    total_tax_cents: totals.totalTaxCents,
    total_cents: totals.totalCents,
    vat_rounding: rounding,
    updated_at: tx.fn.now(),
  });
}

export async function insertQuote(
  tx: TenantTx,
  q: { tenantId: string; id: string; number: string; opportunityId: string; clientId: string; currency: string; issueDate: string; validUntil: string },
  body: CreateQuoteBody,
): Promise<Quote> {
  await tx('quotes').insert({
    tenant_id: q.tenantId,
    id: q.id,
    number: q.number,
    opportunity_id: q.opportunityId,
    client_id: q.clientId,
    issue_date: q.issueDate,
    valid_until: q.validUntil,
    currency: q.currency,
    vat_rounding: body.vatRounding,
    notes: body.notes ?? '',
    total_excl_tax_cents: 0,
    total_tax_cents: 0,
    total_cents: 0,
  });
  await writeLines(tx, q.tenantId, q.id, body.lines, body.vatRounding);
  return (await findQuote(tx, q.id))!;
}

export async function updateQuote(
  tx: TenantTx,
  quote: Quote,
  tenantId: string,
  patch: { lines?: QuoteLineInput[]; validUntil?: string; notes?: string; vatRounding?: VatRounding },
): Promise<Quote> {
  await tx('quotes')
    .where({ id: quote.id })
    .update({
      ...(patch.validUntil ? { valid_until: patch.validUntil } : {}),
      ...(patch.notes !== undefined ? { notes: patch.notes } : {}),
      updated_at: tx.fn.now(),
    });
  if (patch.lines || patch.vatRounding) {
    const lines = patch.lines ?? quote.lines.map(({ description, quantity, unitPriceCents, vatRate }) => ({ description, quantity, unitPriceCents, vatRate }));
    await writeLines(tx, tenantId, quote.id, lines, patch.vatRounding ?? quote.vatRounding);
  }
  return (await findQuote(tx, quote.id))!;
}

export async function findQuote(tx: TenantTx, id: string): Promise<Quote | undefined> {
  const row = (await selectQuotes(tx).where('q.id', id).first()) as QuoteRow | undefined;
  if (!row) return undefined;
  return toQuote(row, (await linesOf(tx, [id])).get(id) ?? []);
}

export async function setQuoteStatus(tx: TenantTx, id: string, status: QuoteStatus): Promise<void> {
  await tx('quotes')
    .where({ id })
    .update({ status, ...(status === 'accepted' ? { accepted_at: tx.fn.now() } : {}), updated_at: tx.fn.now() });
}

export async function listQuotes(tx: TenantTx, query: QuoteListQuery): Promise<Page<Quote>> {
  const q = selectQuotes(tx);
  if (query.opportunityId) q.where('q.opportunity_id', query.opportunityId);
  if (query.clientId) q.where('q.client_id', query.clientId);
  if (query.status) q.where('q.status', query.status);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('q.number', like).orWhereILike('c.name', like));
  }
  const page = await paginate<QuoteRow, QuoteRow>(
    q,
    { sortable: { createdAt: 'q.created_at', number: 'q.number' }, defaultSort: '-createdAt', idColumn: 'q.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    (row) => row,
  );
  const lines = await linesOf(tx, page.items.map((r) => r.id));
  return { items: page.items.map((r) => toQuote(r, lines.get(r.id) ?? [])), nextCursor: page.nextCursor };
}
