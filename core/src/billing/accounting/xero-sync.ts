/**
 * Xero Accounting API (api.xro/2.0): an invoice becomes an `ACCREC` invoice, a credit note an
 * `ACCRECCREDIT` credit note (positive amounts), both `AUTHORISED`; a payment settling one invoice a
 * `Payment`, settling several a `BatchPayment` (one bank line in Xero, as in the bank statement).
 *
 * - `PUT https://api.xero.com/api.xro/2.0/Invoices|CreditNotes|Payments|BatchPayments` (PUT only
 *   creates), headers `Authorization: Bearer …`, `xero-tenant-id`, and `Idempotency-Key` so a retried
 *   request returns the first result instead of a second invoice.
 * - Lines: Description, Quantity, UnitAmount, LineAmount (excl. tax, `LineAmountTypes: Exclusive`),
 *   AccountCode (the sales account of the line's rate), TaxType (the organisation's tax type code of the
 *   rate, e.g. `OUTPUT2`). Xero computes the tax per line: with VAT rounded per rate here, a total can
 *   differ by a cent on invoices with many lines.
 * - Success: `{ Invoices: [{ InvoiceID }] }` (`CreditNotes[0].CreditNoteID`, `Payments[0].PaymentID`,
 *   `BatchPayments[0].BatchPaymentID`). Failure: HTTP 400 `{ Type: "ValidationException", Message,
 *   Elements: [{ ValidationErrors: [{ Message }] }] }`, or 401 `{ Title, Detail }`.
 */
import { AppError } from '../../errors';
import type { InvoiceDocument } from '../invoice-document';
import type { VatExemption } from '../invoice-totals';
import { frenchRate, statedLine } from './format';
import { DEFAULT_ACCOUNTING_SETTINGS, salesAccountOf, type AccountingPayment, type AccountingSettings } from './journal';
import { asArray, asText, documentWhat, major, parseJsonBody, prop, send, vendorError, type AccountingSync, type FetchLike, type HttpRequest, type PushResult } from './sync';

export const XERO_API_URL = 'https://api.xero.com';

export interface XeroConnection {
  /** Default: https://api.xero.com. */
  baseUrl?: string;
  /** The organisation (`xero-tenant-id` header). */
  tenantId: string;
}

export interface XeroInvoiceContext {
  /** The Xero ContactID of the buyer. */
  contactId: string;
  /** Tax type code by VAT rate in basis points (`OUTPUT2`…). */
  taxTypeByRate: Readonly<Partial<Record<number, string>>>;
  /** Tax type of 0 % lines by exemption reason, before `taxTypeByRate[0]`. */
  taxTypeByExemption?: Readonly<Partial<Record<VatExemption, string>>>;
  /** Sales account codes come from these settings (`salesAccountOf`). Default: the French defaults. */
  settings?: AccountingSettings;
}

export interface XeroPaymentContext {
  /** The Xero account code of the bank account the money reached. */
  bankAccountCode: string;
  /** The Xero InvoiceID of each settled invoice and the amount applied to it. */
  invoices: readonly { externalId: string; amountCents: number }[];
}

export type XeroCollection = 'Invoices' | 'CreditNotes' | 'Payments' | 'BatchPayments';

const ID_FIELDS: Readonly<Record<XeroCollection, string>> = { Invoices: 'InvoiceID', CreditNotes: 'CreditNoteID', Payments: 'PaymentID', BatchPayments: 'BatchPaymentID' };

function request(conn: XeroConnection, collection: XeroCollection, accessToken: string, idempotencyKey: string, body: unknown): HttpRequest {
  return {
    method: 'PUT',
    url: `${(conn.baseUrl ?? XERO_API_URL).replace(/\/+$/, '')}/api.xro/2.0/${collection}`,
    headers: {
      Authorization: `Bearer ${accessToken}`,
      'xero-tenant-id': conn.tenantId,
      Accept: 'application/json',
      'Content-Type': 'application/json',
      'Idempotency-Key': idempotencyKey,
    },
    body: JSON.stringify(body),
  };
}

function taxType(ctx: XeroInvoiceContext, vatRateBp: number, exemption: VatExemption | null, what: string): string {
  const code = (exemption ? ctx.taxTypeByExemption?.[exemption] : undefined) ?? ctx.taxTypeByRate[vatRateBp];
  if (!code) throw AppError.invalid(`no Xero tax type for ${frenchRate(vatRateBp)}${exemption ? ` (${exemption})` : ''} in the integration settings (${what})`);
  return code;
}

/** The create request of an invoice (`Invoices`) or a credit note (`CreditNotes`). */
export function xeroInvoiceRequest(doc: InvoiceDocument, ctx: XeroInvoiceContext, conn: XeroConnection, accessToken: string): HttpRequest {
  const what = documentWhat(doc);
  const credit = doc.kind === 'credit_note';
  const settings = ctx.settings ?? DEFAULT_ACCOUNTING_SETTINGS;
  const lineItems = doc.lines.map((line) => {
    const stated = statedLine(line, credit ? -1 : 1);
    return {
      Description: stated.description,
      Quantity: stated.quantityMilli / 1000,
      UnitAmount: major(stated.unitPriceCents),
      LineAmount: major(stated.amountCents),
      AccountCode: salesAccountOf(settings, line.vatRateBp, line.vatExemption).number,
      TaxType: taxType(ctx, line.vatRateBp, line.vatExemption, what),
    };
  });
  const common = {
    Contact: { ContactID: ctx.contactId },
    Date: doc.issueDate,
    LineAmountTypes: 'Exclusive',
    LineItems: lineItems,
    CurrencyCode: doc.currency,
    Status: 'AUTHORISED',
  };
  if (credit) {
    const reference = doc.precedingInvoice ? `Avoir sur ${doc.precedingInvoice.number}` : doc.buyerReference;
    const creditNote = { Type: 'ACCRECCREDIT', CreditNoteNumber: doc.number, ...(reference ? { Reference: reference } : {}), ...common };
    return request(conn, 'CreditNotes', accessToken, `vigie-creditnote-${doc.number}`, { CreditNotes: [creditNote] });
  }
  const invoice = { Type: 'ACCREC', InvoiceNumber: doc.number, ...(doc.buyerReference ? { Reference: doc.buyerReference } : {}), DueDate: doc.dueDate, ...common };
  return request(conn, 'Invoices', accessToken, `vigie-invoice-${doc.number}`, { Invoices: [invoice] });
}

/** One invoice: a `Payments` request; several: one `BatchPayments` request. */
export function xeroPaymentRequest(payment: AccountingPayment, ctx: XeroPaymentContext, conn: XeroConnection, accessToken: string): HttpRequest {
  const what = `payment ${payment.reference || payment.id}`;
  if (ctx.invoices.length === 0) throw AppError.invalid(`${what} names no Xero invoice to settle`);
  const applied = ctx.invoices.reduce((s, i) => s + i.amountCents, 0);
  if (applied > payment.amountCents) throw AppError.invalid(`${what} applies ${applied} cents to invoices but is ${payment.amountCents}`);
  const reference = payment.reference ? { Reference: payment.reference } : {};
  const key = `vigie-payment-${payment.id}`;
  if (ctx.invoices.length === 1) {
    const only = ctx.invoices[0]!;
    const body = { Payments: [{ Invoice: { InvoiceID: only.externalId }, Account: { Code: ctx.bankAccountCode }, Date: payment.date, Amount: major(only.amountCents), ...reference }] };
    return request(conn, 'Payments', accessToken, key, body);
  }
  const body = {
    BatchPayments: [
      {
        Account: { Code: ctx.bankAccountCode },
        Date: payment.date,
        ...reference,
        Payments: ctx.invoices.map((i) => ({ Invoice: { InvoiceID: i.externalId }, Amount: major(i.amountCents) })),
      },
    ],
  };
  return request(conn, 'BatchPayments', accessToken, key, body);
}

function xeroMessages(json: unknown): string[] {
  const fromElements = asArray(prop(json, 'Elements')).flatMap((e) => asArray(prop(e, 'ValidationErrors')).map((v) => asText(prop(v, 'Message'))));
  const messages = [...new Set(fromElements.filter((m) => m !== ''))];
  if (messages.length > 0) return messages;
  const top = asText(prop(json, 'Message')) || asText(prop(json, 'Detail')) || asText(prop(json, 'Title'));
  return top ? [top] : [];
}

/** The id of the created object, or the `AppError` the response means. */
export function parseXeroResponse(status: number, body: string, collection: XeroCollection, what: string): PushResult {
  const json = parseJsonBody('xero', status, body, what);
  if (status < 200 || status >= 300) throw vendorError('xero', status, what, xeroMessages(json));
  const first = asArray(prop(json, collection))[0];
  if (prop(first, 'HasValidationErrors') === true) throw vendorError('xero', status, what, xeroMessages({ Elements: [first] }));
  const id = asText(prop(first, ID_FIELDS[collection]));
  if (!id) throw new AppError('unavailable', `Xero answered creating ${what} without ${collection}[0].${ID_FIELDS[collection]}`, undefined, { vendor: 'xero', status, vendorMessages: [] });
  return { externalId: id };
}

export interface XeroSyncOptions extends XeroConnection {
  fetch: FetchLike;
  /** A valid OAuth 2 access token (the caller refreshes it). */
  accessToken: () => Promise<string>;
}

export function xeroSync(options: XeroSyncOptions): AccountingSync<XeroInvoiceContext, XeroPaymentContext> {
  return {
    vendor: 'xero',
    async pushInvoice(doc, ctx) {
      const built = xeroInvoiceRequest(doc, ctx, options, await options.accessToken());
      const what = documentWhat(doc);
      const { status, body } = await send(options.fetch, 'xero', built, what);
      return parseXeroResponse(status, body, doc.kind === 'credit_note' ? 'CreditNotes' : 'Invoices', what);
    },
    async pushPayment(payment, ctx) {
      const built = xeroPaymentRequest(payment, ctx, options, await options.accessToken());
      const what = `payment ${payment.reference || payment.id}`;
      const { status, body } = await send(options.fetch, 'xero', built, what);
      return parseXeroResponse(status, body, ctx.invoices.length === 1 ? 'Payments' : 'BatchPayments', what);
    },
  };
}
