import {
  marginRateOf,
  type AccountingDocument,
  type AccountingPayment,
  type InvoiceDocument,
  type JournalSource,
  type PaymentMethod,
  type ProfitabilityGroup,
  type ProfitabilityItem,
} from '@vigie/core';
import type { TenantTx } from '../tenancy';

/**
 * What the accounting exports and the profitability report read, for one tenant (the transaction's) and a
 * range of whole days `from`…`to`, both included:
 * - the journal source: issued invoices and credit notes by issue date, with their frozen document, and
 *   payments by payment date with the invoice numbers they settle;
 * - profitability per client or per contract: revenue excl. tax of issued documents by issue date
 *   against the internal cost of approved time by work date (cost frozen at approval).
 */

export interface DateRange {
  from: string;
  to: string;
}

/** The code a client's auxiliary account is built from: clients have no code column, so the id's first 8 characters. */
export const clientCodeOf = (clientId: string): string => clientId.slice(0, 8).toUpperCase();

async function timezoneOf(tx: TenantTx): Promise<string> {
  const row = (await tx('tenant_settings').first('timezone')) as { timezone: string } | undefined;
  return row?.timezone ?? 'Europe/Paris';
}

/** Issued documents and payments of the range, in the order of their dates, for `buildJournal`. */
export async function journalSource(tx: TenantTx, range: DateRange): Promise<JournalSource> {
  const timezone = await timezoneOf(tx);
  const documents = (await tx('invoices')
    .whereNot('status', 'draft')
    .whereBetween('issue_date', [range.from, range.to])
    .orderBy([{ column: 'issue_date' }, { column: 'number' }])
    .select('client_id', 'document', tx.raw(`to_char(validated_at at time zone ?, 'YYYY-MM-DD') as validated_on`, [timezone]))) as {
    client_id: string;
    document: InvoiceDocument;
    validated_on: string;
  }[];

  const payments = (await tx('payments as p')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'p.tenant_id').andOn('c.id', 'p.client_id');
    })
    .whereBetween('p.paid_on', [range.from, range.to])
    .orderBy([{ column: 'p.paid_on' }, { column: 'p.created_at' }, { column: 'p.id' }])
    .select(
      'p.id',
      'p.client_id',
      'c.name as client_name',
      'p.paid_on',
      'p.method',
      'p.reference',
      'p.amount_cents',
      'p.currency',
      tx.raw(`to_char(p.created_at at time zone ?, 'YYYY-MM-DD') as recorded_on`, [timezone]),
    )) as {
    id: string;
    client_id: string;
    client_name: string;
    paid_on: string;
    method: PaymentMethod;
    reference: string;
    amount_cents: number;
    currency: string;
    recorded_on: string;
  }[];
  const settled = payments.length
    ? ((await tx('payment_allocations as a')
        .join('invoices as i', function () {
          this.on('i.tenant_id', 'a.tenant_id').andOn('i.id', 'a.invoice_id');
        })
        .whereIn(
          'a.payment_id',
          payments.map((p) => p.id),
        )
        .orderBy('i.number')
        .select('a.payment_id', 'i.number')) as { payment_id: string; number: string }[])
    : [];

  return {
    documents: documents.map(
      (d): AccountingDocument => ({ document: d.document, clientId: d.client_id, clientCode: clientCodeOf(d.client_id), validatedAt: d.validated_on }),
    ),
    payments: payments.map(
      (p): AccountingPayment => ({
        id: p.id,
        date: p.paid_on,
        reference: p.reference,
        method: p.method,
        amountCents: p.amount_cents,
        currency: p.currency,
        clientId: p.client_id,
        clientCode: clientCodeOf(p.client_id),
        clientName: p.client_name,
        invoiceNumbers: settled.filter((s) => s.payment_id === p.id).map((s) => s.number),
        // Recorded before its payment date (a transfer announced ahead): validated on the payment date.
        validatedAt: p.recorded_on > p.paid_on ? p.recorded_on : p.paid_on,
      }),
    ),
  };
}

export interface ProfitabilityFigures {
  revenueCents: number;
  costCents: number;
  marginCents: number;
  marginRate: number | null;
  minutes: number;
}

export interface ProfitabilityReport {
  items: ProfitabilityItem[];
  totals: ProfitabilityFigures;
}

interface Bucket {
  clientId: string;
  contractId: string | null;
  revenueCents: number;
  costCents: number;
  minutes: number;
}

const figuresOf = (b: { revenueCents: number; costCents: number; minutes: number }): ProfitabilityFigures => {
  const marginCents = b.revenueCents - b.costCents;
  return { revenueCents: b.revenueCents, costCents: b.costCents, marginCents, marginRate: marginRateOf(b.revenueCents, marginCents), minutes: b.minutes };
};

/**
 * Revenue, internal cost and margin of the range per client, or per contract (with one row per client
 * for what is outside any contract), sorted by revenue, highest first. Revenue counts the documents in
 * `currency` only (the tenant's).
 */
export async function profitability(tx: TenantTx, range: DateRange, groupBy: ProfitabilityGroup, currency: string): Promise<ProfitabilityReport> {
  const byContract = groupBy === 'contract';
  const revenue = (await tx('invoices')
    .whereNot('status', 'draft')
    .where('currency', currency)
    .whereBetween('issue_date', [range.from, range.to])
    .groupBy(['client_id', ...(byContract ? ['contract_id'] : [])])
    .select('client_id', byContract ? 'contract_id' : tx.raw('null::uuid as contract_id'), tx.raw('sum(total_excl_tax_cents)::bigint as revenue_cents'))) as {
    client_id: string;
    contract_id: string | null;
    revenue_cents: number;
  }[];
  const cost = (await tx('time_entries as e')
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'e.tenant_id').andOn('t.id', 'e.ticket_id');
    })
    .where('e.status', 'approved')
    .whereBetween('e.work_date', [range.from, range.to])
    .groupBy(['t.client_id', ...(byContract ? ['e.contract_id'] : [])])
    .select(
      't.client_id',
      byContract ? 'e.contract_id' : tx.raw('null::uuid as contract_id'),
      tx.raw('sum(e.cost_cents)::bigint as cost_cents'),
      tx.raw('sum(case when e.billable then e.minutes else 0 end)::bigint as minutes'),
    )) as { client_id: string; contract_id: string | null; cost_cents: number; minutes: number }[];

  const buckets = new Map<string, Bucket>();
  const bucket = (clientId: string, contractId: string | null): Bucket => {
    const key = `${clientId}/${contractId ?? ''}`;
    let b = buckets.get(key);
    if (!b) buckets.set(key, (b = { clientId, contractId, revenueCents: 0, costCents: 0, minutes: 0 }));
    return b;
  };
  for (const r of revenue) bucket(r.client_id, r.contract_id).revenueCents += r.revenue_cents;
  for (const c of cost) {
    const b = bucket(c.client_id, c.contract_id);
    b.costCents += c.cost_cents;
    b.minutes += c.minutes;
  }

  const list = [...buckets.values()];
  const clientIds = [...new Set(list.map((b) => b.clientId))];
  const contractIds = [...new Set(list.flatMap((b) => (b.contractId ? [b.contractId] : [])))];
  const clientNames = new Map(
    clientIds.length ? ((await tx('clients').whereIn('id', clientIds).select('id', 'name')) as { id: string; name: string }[]).map((c) => [c.id, c.name]) : [],
  );
  const contractNames = new Map(
    contractIds.length ? ((await tx('contracts').whereIn('id', contractIds).select('id', 'name')) as { id: string; name: string }[]).map((c) => [c.id, c.name]) : [],
  );

  const items: ProfitabilityItem[] = list.map((b) => {
    const clientName = clientNames.get(b.clientId) ?? '';
    const figures = figuresOf(b);
    return byContract
      ? { id: b.contractId, name: b.contractId ? (contractNames.get(b.contractId) ?? '') : null, clientId: b.clientId, clientName, ...figures }
      : { id: b.clientId, name: clientName, ...figures };
  });
  const label = (i: ProfitabilityItem) => `${i.clientName ?? ''}\u0000${i.name ?? ''}\u0000${i.id ?? ''}`;
  items.sort((a, b) => b.revenueCents - a.revenueCents || (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));

  const sum = (pick: (b: Bucket) => number) => list.reduce((s, b) => s + pick(b), 0);
  return { items, totals: figuresOf({ revenueCents: sum((b) => b.revenueCents), costCents: sum((b) => b.costCents), minutes: sum((b) => b.minutes) }) };
}
