/**
 * Allocation of one payment across a client's open invoices, in integer cents. An invoice's balance is
 * total − paid − credited (credit notes reduce what is owed); a payment goes to invoices oldest first
 * (due date, then issue date, then id) or in an order the user gives, filling each balance before the
 * next. Nothing is allocated beyond a balance: what is left is returned as `unallocatedCents` (a credit
 * on the client's account, or a refund — the caller's choice).
 */
import { AppError } from '../errors';
import type { LocalDate } from './calendar';

export interface OpenInvoice {
  id: string;
  issueDate: LocalDate;
  dueDate: LocalDate;
  /** Total incl. tax. */
  totalCents: number;
  /** Payments already allocated. */
  paidCents: number;
  /** Credit notes issued against it, as a positive amount. */
  creditedCents: number;
}

export type InvoicePaymentStatus = 'unpaid' | 'partially_paid' | 'paid';

/** 'oldest_first', or the ids in the order to settle them (other invoices get nothing). */
export type AllocationOrder = 'oldest_first' | { invoiceIds: string[] };

export interface Allocation {
  invoiceId: string;
  amountCents: number;
}

export interface InvoiceBalance {
  invoiceId: string;
  balanceCents: number;
  status: InvoicePaymentStatus;
}

export interface PaymentAllocation {
  /** Positive amounts only, in the order applied. */
  allocations: Allocation[];
  unallocatedCents: number;
  /** Every invoice given, after the payment, in the order given. */
  balances: InvoiceBalance[];
}

const whole = (n: number, what: string) => {
  if (!Number.isSafeInteger(n) || n < 0) throw AppError.invalid(`${what} must be whole cents ≥ 0, not ${n}`);
  return n;
};

/** What is still owed; throws when payments and credits already exceed the total. */
export function invoiceBalanceOf(invoice: OpenInvoice): number {
  const balance = whole(invoice.totalCents, `invoice ${invoice.id}: total`) - whole(invoice.paidCents, `invoice ${invoice.id}: paid`) - whole(invoice.creditedCents, `invoice ${invoice.id}: credited`);
  if (balance < 0) throw AppError.invalid(`invoice ${invoice.id} is settled beyond its total by ${-balance} cents`);
  return balance;
}

/** `paid` when nothing is owed; `partially_paid` when something was paid or credited but not all; else `unpaid`. */
export function paymentStatus(invoice: OpenInvoice): InvoicePaymentStatus {
  const balance = invoiceBalanceOf(invoice);
  if (balance === 0) return 'paid';
  return invoice.paidCents + invoice.creditedCents > 0 ? 'partially_paid' : 'unpaid';
}

const compareOldestFirst = (a: OpenInvoice, b: OpenInvoice) =>
  a.dueDate.localeCompare(b.dueDate) || a.issueDate.localeCompare(b.issueDate) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function allocatePayment(amountCents: number, invoices: OpenInvoice[], order: AllocationOrder): PaymentAllocation {
  whole(amountCents, 'payment');
  const byId = new Map<string, OpenInvoice>();
  for (const inv of invoices) {
    if (byId.has(inv.id)) throw AppError.invalid(`invoice ${inv.id} is given twice`);
    invoiceBalanceOf(inv);
    byId.set(inv.id, inv);
  }
  let sequence: OpenInvoice[];
  if (order === 'oldest_first') sequence = [...invoices].sort(compareOldestFirst);
  else {
    if (new Set(order.invoiceIds).size !== order.invoiceIds.length) throw AppError.invalid('an invoice is named twice in the allocation order');
    sequence = order.invoiceIds.map((id) => {
      const inv = byId.get(id);
      if (!inv) throw AppError.invalid(`invoice ${id} is not among the open invoices`);
      return inv;
    });
  }
  let left = amountCents;
  const allocations: Allocation[] = [];
  const applied = new Map<string, number>();
  for (const inv of sequence) {
    if (left === 0) break;
    const amount = Math.min(left, invoiceBalanceOf(inv));
    if (amount === 0) continue;
    allocations.push({ invoiceId: inv.id, amountCents: amount });
    applied.set(inv.id, amount);
    left -= amount;
  }
  const balances = invoices.map((inv) => {
    const after = { ...inv, paidCents: inv.paidCents + (applied.get(inv.id) ?? 0) };
    return { invoiceId: inv.id, balanceCents: invoiceBalanceOf(after), status: paymentStatus(after) };
  });
  return { allocations, unallocatedCents: left, balances };
}
