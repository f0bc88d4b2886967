/**
 * QuickBooks Online Accounting API (v3): an invoice becomes an `Invoice`, a credit note a `CreditMemo`
 * (positive amounts), a payment a `Payment` linked to the pushed invoices.
 *
 * - `POST {baseUrl}/v3/company/{realmId}/invoice|creditmemo|payment?minorversion=75&requestid=…`, with
 *   `Authorization: Bearer …`, JSON in and out. `requestid` makes a retried create return the first result.
 * - Lines are `SalesItemLineDetail` lines on one item (`itemId`) with the tax code of their VAT rate
 *   (`taxCodeByRate`, or `taxCodeByExemption` for a 0 % line); `GlobalTaxCalculation: TaxExcluded`.
 *   QuickBooks computes the tax itself: with VAT rounded per rate here and per line there, a total can
 *   differ by a cent on invoices with many lines.
 * - Success: `{ Invoice: { Id } }` (or `CreditMemo`, `Payment`). Failure: `{ Fault: { Error: [{ Message,
 *   Detail, code, element }], type } }` (`fault`/`error` in lower case on authentication failures).
 */
import { AppError } from '../../errors';
import { frenchRate, statedLine } from './format';
import type { InvoiceDocument } from '../invoice-document';
import type { VatExemption } from '../invoice-totals';
import type { AccountingPayment } from './journal';
import { asArray, asText, documentWhat, major, parseJsonBody, prop, send, vendorError, type AccountingSync, type FetchLike, type HttpRequest, type PushResult } from './sync';

export const QUICKBOOKS_PRODUCTION_URL = 'https://quickbooks.api.intuit.com';
export const QUICKBOOKS_SANDBOX_URL = 'https://sandbox-quickbooks.api.intuit.com';
export const QUICKBOOKS_MINOR_VERSION = 75;

export interface QuickBooksConnection {
  /** Default: production. */
  baseUrl?: string;
  /** The company id. */
  realmId: string;
}

export interface QuickBooksInvoiceContext {
  /** The QuickBooks Customer.Id of the buyer. */
  customerId: string;
  /** The Item.Id every line is booked on (a "Services" item whose income account is the sales account). */
  itemId: string;
  /** TaxCode.Id by VAT rate in basis points. */
  taxCodeByRate: Readonly<Partial<Record<number, string>>>;
  /** TaxCode.Id of 0 % lines by exemption reason, before `taxCodeByRate[0]`. */
  taxCodeByExemption?: Readonly<Partial<Record<VatExemption, string>>>;
}

export interface QuickBooksPaymentContext {
  customerId: string;
  /** The QuickBooks Invoice.Id of each settled invoice and the amount applied to it. */
  invoices: readonly { externalId: string; amountCents: number }[];
  /** Account.Id of the bank account; default: QuickBooks' Undeposited Funds. */
  depositAccountId?: string;
}

export type QuickBooksEntity = 'Invoice' | 'CreditMemo' | 'Payment';

function url(conn: QuickBooksConnection, entity: QuickBooksEntity, requestId: string): string {
  const base = (conn.baseUrl ?? QUICKBOOKS_PRODUCTION_URL).replace(/\/+$/, '');
  return `${base}/v3/company/${encodeURIComponent(conn.realmId)}/${entity.toLowerCase()}?minorversion=${QUICKBOOKS_MINOR_VERSION}&requestid=${encodeURIComponent(requestId)}`;
}

const headers = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}`, Accept: 'application/json', 'Content-Type': 'application/json' });

function taxCode(ctx: QuickBooksInvoiceContext, vatRateBp: number, exemption: VatExemption | null, what: string): string {
  const code = (exemption ? ctx.taxCodeByExemption?.[exemption] : undefined) ?? ctx.taxCodeByRate[vatRateBp];
  if (!code) throw AppError.invalid(`no QuickBooks tax code for ${frenchRate(vatRateBp)}${exemption ? ` (${exemption})` : ''} in the integration settings (${what})`);
  return code;
}

/** The create request of an invoice (`Invoice`) or a credit note (`CreditMemo`). */
export function quickBooksInvoiceRequest(doc: InvoiceDocument, ctx: QuickBooksInvoiceContext, conn: QuickBooksConnection, accessToken: string): HttpRequest {
  const what = documentWhat(doc);
  const credit = doc.kind === 'credit_note';
  const sign = credit ? -1 : 1;
  const body: Record<string, unknown> = {
    DocNumber: doc.number,
    TxnDate: doc.issueDate,
    ...(credit ? {} : { DueDate: doc.dueDate }),
    CustomerRef: { value: ctx.customerId },
    CurrencyRef: { value: doc.currency },
    GlobalTaxCalculation: 'TaxExcluded',
    ...(doc.buyer.email ? { BillEmail: { Address: doc.buyer.email } } : {}),
    ...(credit && doc.precedingInvoice ? { PrivateNote: `Avoir sur la facture ${doc.precedingInvoice.number} du ${doc.precedingInvoice.issueDate}` } : {}),
    Line: doc.lines.map((line, i) => {
      const stated = statedLine(line, sign);
      return {
        LineNum: i + 1,
        Description: stated.description,
        Amount: major(stated.amountCents),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: {
          ItemRef: { value: ctx.itemId },
          Qty: stated.quantityMilli / 1000,
          UnitPrice: major(stated.unitPriceCents),
          TaxCodeRef: { value: taxCode(ctx, line.vatRateBp, line.vatExemption, what) },
          ...(doc.periodStart ? { ServiceDate: doc.periodStart } : {}),
        },
      };
    }),
  };
  const entity: QuickBooksEntity = credit ? 'CreditMemo' : 'Invoice';
  return { method: 'POST', url: url(conn, entity, `vigie-${entity.toLowerCase()}-${doc.number}`), headers: headers(accessToken), body: JSON.stringify(body) };
}

/** The create request of a payment applied to invoices already in QuickBooks. */
export function quickBooksPaymentRequest(payment: AccountingPayment, ctx: QuickBooksPaymentContext, conn: QuickBooksConnection, accessToken: string): HttpRequest {
  const applied = ctx.invoices.reduce((s, i) => s + i.amountCents, 0);
  if (applied > payment.amountCents) throw AppError.invalid(`payment ${payment.reference || payment.id} applies ${applied} cents to invoices but is ${payment.amountCents}`);
  const body = {
    TxnDate: payment.date,
    TotalAmt: major(payment.amountCents),
    CustomerRef: { value: ctx.customerId },
    CurrencyRef: { value: payment.currency },
    ...(payment.reference ? { PaymentRefNum: payment.reference.slice(0, 21) } : {}),
    ...(ctx.depositAccountId ? { DepositToAccountRef: { value: ctx.depositAccountId } } : {}),
    Line: ctx.invoices.map((i) => ({ Amount: major(i.amountCents), LinkedTxn: [{ TxnId: i.externalId, TxnType: 'Invoice' }] })),
  };
  return { method: 'POST', url: url(conn, 'Payment', `vigie-payment-${payment.id}`), headers: headers(accessToken), body: JSON.stringify(body) };
}

function faultMessages(json: unknown): string[] | null {
  const fault = prop(json, 'Fault') ?? prop(json, 'fault');
  if (fault === undefined) return null;
  return asArray(prop(fault, 'Error') ?? prop(fault, 'error')).map((e) => {
    const message = asText(prop(e, 'Message') ?? prop(e, 'message'));
    const detail = asText(prop(e, 'Detail') ?? prop(e, 'detail'));
    const code = asText(prop(e, 'code'));
    const text = detail && !detail.startsWith(message) ? `${message}: ${detail}` : detail || message;
    return code ? `${text} (code ${code})` : text;
  });
}

/** The id of the created entity, or the `AppError` the response means. */
export function parseQuickBooksResponse(status: number, body: string, entity: QuickBooksEntity, what: string): PushResult {
  const json = parseJsonBody('quickbooks', status, body, what);
  const faults = faultMessages(json);
  if (faults !== null || status < 200 || status >= 300) throw vendorError('quickbooks', status, what, faults ?? []);
  const id = asText(prop(prop(json, entity), 'Id'));
  if (!id) throw new AppError('unavailable', `QuickBooks answered creating ${what} without ${entity}.Id`, undefined, { vendor: 'quickbooks', status, vendorMessages: [] });
  return { externalId: id };
}

export interface QuickBooksSyncOptions extends QuickBooksConnection {
  fetch: FetchLike;
  /** A valid OAuth 2 access token (the caller refreshes it). */
  accessToken: () => Promise<string>;
}

export function quickBooksSync(options: QuickBooksSyncOptions): AccountingSync<QuickBooksInvoiceContext, QuickBooksPaymentContext> {
  return {
    vendor: 'quickbooks',
    async pushInvoice(doc, ctx) {
      const request = quickBooksInvoiceRequest(doc, ctx, options, await options.accessToken());
      const what = documentWhat(doc);
      const { status, body } = await send(options.fetch, 'quickbooks', request, what);
      return parseQuickBooksResponse(status, body, doc.kind === 'credit_note' ? 'CreditMemo' : 'Invoice', what);
    },
    async pushPayment(payment, ctx) {
      const request = quickBooksPaymentRequest(payment, ctx, options, await options.accessToken());
      const what = `payment ${payment.reference || payment.id}`;
      const { status, body } = await send(options.fetch, 'quickbooks', request, what);
      return parseQuickBooksResponse(status, body, 'Payment', what);
    },
  };
}
