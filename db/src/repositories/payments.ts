import { randomUUID } from 'node:crypto';
import type { OpenInvoice, Page, Payment, PaymentMethod } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

type PaymentListQuery = { limit: number; cursor?: string | undefined; sort?: string | undefined; q?: string | undefined; clientId?: string | undefined; method?: PaymentMethod | undefined };

interface PaymentRow {
  id: string;
  client_id: string;
  client_name: string;
  paid_on: string;
  method: PaymentMethod;
  reference: string;
  amount_cents: number;
  currency: string;
  unallocated_cents: number;
  created_at: Date;
}

/** A client's issued invoices with something left to pay, locked so concurrent payments queue. */
export async function lockOpenInvoices(tx: TenantTx, clientId: string, currency: string): Promise<(OpenInvoice & { number: string })[]> {
  const rows = (await tx('invoices')
    .where({ client_id: clientId, kind: 'invoice', currency })
    .whereIn('status', ['validated', 'sent', 'overdue', 'unpaid'])
    .whereRaw('total_cents - paid_cents - credited_cents > 0')
    .orderBy('id')
    .forUpdate()
    .select('id', 'number', 'issue_date', 'due_date', 'total_cents', 'paid_cents', 'credited_cents')) as {
    id: string;
    number: string;
    issue_date: string;
    due_date: string;
    total_cents: number;
    paid_cents: number;
    credited_cents: number;
  }[];
  return rows.map((r) => ({ id: r.id, number: r.number, issueDate: r.issue_date, dueDate: r.due_date, totalCents: r.total_cents, paidCents: r.paid_cents, creditedCents: r.credited_cents }));
}

export interface NewPayment {
  tenantId: string;
  clientId: string;
  paidAt: string;
  method: PaymentMethod;
  reference: string;
  amountCents: number;
  currency: string;
  providerRef: string | null;
  createdBy: string | null;
  allocations: { invoiceId: string; amountCents: number }[];
}

/** Records a payment and its allocations (the trigger adds them to the invoices); undefined if the provider ref is known. */
export async function insertPayment(tx: TenantTx, p: NewPayment): Promise<string | undefined> {
  const id = randomUUID();
  const allocated = p.allocations.reduce((sum, a) => sum + a.amountCents, 0);
  const inserted = await tx('payments')
    .insert({
      tenant_id: p.tenantId,
      id,
      client_id: p.clientId,
      paid_on: p.paidAt,
      method: p.method,
      reference: p.reference,
      amount_cents: p.amountCents,
      currency: p.currency,
      unallocated_cents: p.amountCents - allocated,
      provider_ref: p.providerRef,
      created_by: p.createdBy,
    })
    .onConflict(tx.raw('(tenant_id, provider_ref)'))
    .ignore()
    .returning('id');
  if (inserted.length === 0) return undefined;
  const rows = p.allocations.filter((a) => a.amountCents > 0).map((a) => ({ tenant_id: p.tenantId, payment_id: id, invoice_id: a.invoiceId, amount_cents: a.amountCents }));
  if (rows.length > 0) await tx('payment_allocations').insert(rows);
  return id;
}

export async function findPaymentByProviderRef(tx: TenantTx, providerRef: string): Promise<string | undefined> {
  const row = (await tx('payments').where({ provider_ref: providerRef }).first('id')) as { id: string } | undefined;
  return row?.id;
}

function selectPayments(tx: TenantTx) {
  return tx('payments as p')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'p.tenant_id').andOn('c.id', 'p.client_id');
    })
    .select('p.*', 'c.name as client_name');
}

async function withAllocations(tx: TenantTx, rows: PaymentRow[]): Promise<Payment[]> {
  const allocations = (await tx('payment_allocations as a')
    .join('invoices as i', function () {
      this.on('i.tenant_id', 'a.tenant_id').andOn('i.id', 'a.invoice_id');
    })
    .whereIn(
      'a.payment_id',
      rows.map((r) => r.id),
    )
    .orderBy('i.number')
    .select('a.payment_id', 'a.invoice_id', 'i.number', 'a.amount_cents')) as { payment_id: string; invoice_id: string; number: string; amount_cents: number }[];
  return rows.map((r) => ({
    id: r.id,
    clientId: r.client_id,
    clientName: r.client_name,
    paidAt: r.paid_on,
    method: r.method,
    reference: r.reference,
    amountCents: r.amount_cents,
    currency: r.currency,
    unallocatedCents: r.unallocated_cents,
    allocations: allocations.filter((a) => a.payment_id === r.id).map((a) => ({ invoiceId: a.invoice_id, invoiceNumber: a.number, amountCents: a.amount_cents })),
    createdAt: r.created_at.toISOString(),
  }));
}

export async function findPayment(tx: TenantTx, id: string): Promise<Payment | undefined> {
  const row = (await selectPayments(tx).where('p.id', id).first()) as PaymentRow | undefined;
  return row ? (await withAllocations(tx, [row]))[0] : undefined;
}

export async function listPayments(tx: TenantTx, query: PaymentListQuery): Promise<Page<Payment>> {
  const q = selectPayments(tx);
  if (query.clientId) q.where('p.client_id', query.clientId);
  if (query.method) q.where('p.method', query.method);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('p.reference', like).orWhereILike('c.name', like));
  }
  const page = await paginate<PaymentRow, PaymentRow>(
    q,
    { sortable: { createdAt: 'p.created_at', amountCents: 'p.amount_cents' }, defaultSort: '-createdAt', idColumn: 'p.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    (r) => r,
  );
  return { items: await withAllocations(tx, page.items), nextCursor: page.nextCursor };
}

