import { invoicesRepo, withTenant, type Db, type InvoiceRow, type TenantTx } from '@vigie/db';
import type { PaymentProvider } from './provider';

export interface EnsurePaymentLinkInput {
  tenantId: string;
  invoiceId: string;
  /** Where the customer comes back after paying or giving up (PUBLIC_URL). */
  publicUrl: string;
  /** Who asked for the link (the invoice history shows it); absent for the system. */
  actorId?: string | null;
}

type Payable = Pick<InvoiceRow, 'kind' | 'status' | 'number' | 'total_cents' | 'paid_cents' | 'credited_cents'>;

/** Why this invoice cannot be paid online, or null when its balance is owed. */
export function paymentLinkRefusal(row: Payable): string | null {
  if (row.kind !== 'invoice') return `${row.number ?? 'this document'} is a credit note: there is nothing to pay`;
  if (row.status === 'draft') return 'a draft cannot be paid: validate it first';
  if (row.status === 'paid' || invoicesRepo.owedCents(row) <= 0) return `invoice ${row.number} is settled: nothing is owed`;
  return null;
}

/**
 * The online payment link of an issued invoice, for its balance: created once (Stripe Checkout), stored
 * in `payment_url` (the invoice e-mails print it) and recorded in the invoice history. The link already
 * stored is returned as long as the balance is the one it was made for; after a partial payment or a
 * credit note a new link for the new balance replaces it. Null when nothing can be paid (settled,
 * draft, credit note). Safe to call concurrently or again after a failure: the provider call
 * carries an idempotency key made of the invoice and the balance, so both callers get the same checkout.
 */
export async function ensurePaymentLink(db: Db, provider: PaymentProvider, input: EnsurePaymentLinkInput): Promise<string | null> {
  const { tenantId, invoiceId } = input;
  const base = input.publicUrl.replace(/\/+$/, '');
  // A payment or credit note landing between reading the balance and storing the link: read again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await withTenant(db, tenantId, async (tx): Promise<InvoiceRow | { url: string | null }> => {
      const found = await invoicesRepo.findInvoiceRow(tx, invoiceId);
      if (!found) throw new Error(`invoice ${invoiceId} not found in tenant ${tenantId}`);
      if (paymentLinkRefusal(found)) return { url: null };
      if (found.payment_url && (await linkFitsBalance(tx, invoiceId, found.payment_url, invoicesRepo.owedCents(found)))) return { url: found.payment_url };
      return found;
    });
    if (!('id' in row)) return row.url;
    const amountCents = invoicesRepo.owedCents(row);
    const link = await provider.createPaymentLink({
      tenantId,
      invoiceId,
      invoiceNumber: row.number!,
      amountCents,
      currency: row.currency,
      customerEmail: row.document?.buyer.email ?? '',
      successUrl: `${base}/portal/invoices/${invoiceId}?payment=done`,
      cancelUrl: `${base}/portal/invoices/${invoiceId}?payment=cancelled`,
      idempotencyKey: `invoice-payment-link:${invoiceId}:${amountCents}`,
    });
    const stored = await withTenant(db, tenantId, async (tx): Promise<{ url: string | null } | 'retry'> => {
      const now = await invoicesRepo.findInvoiceRow(tx, invoiceId, { lock: true });
      if (!now || paymentLinkRefusal(now)) return { url: null };
      if (invoicesRepo.owedCents(now) !== amountCents) return 'retry';
      // Another call stored a link for this same balance meanwhile: keep the one already given out.
      if (now.payment_url !== row.payment_url) return { url: now.payment_url };
      await invoicesRepo.setInvoiceState(tx, invoiceId, { paymentUrl: link.url });
      await invoicesRepo.insertEvent(tx, {
        tenantId,
        invoiceId,
        kind: 'payment_link',
        detail: { url: link.url, amountCents, currency: row.currency, providerRef: link.providerRef, expiresAt: link.expiresAt, ...(row.payment_url ? { replaces: row.payment_url } : {}) },
        actorId: input.actorId ?? null,
        stepKey: `payment_link:${amountCents}`,
      });
      return { url: link.url };
    });
    if (stored !== 'retry') return stored.url;
  }
  throw new Error(`invoice ${invoiceId}: its balance kept changing while the payment link was being made`);
}

/** A stored link fits when it was made for this balance (a link Vigie did not record is trusted as is). */
async function linkFitsBalance(tx: TenantTx, invoiceId: string, url: string, balanceCents: number): Promise<boolean> {
  const made = (await invoicesRepo.eventsOf(tx, invoiceId)).filter((e) => e.kind === 'payment_link' && e.detail.url === url).at(-1);
  return !made || made.detail.amountCents === balanceCents;
}
