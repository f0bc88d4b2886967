/**
 * Pushing issued documents and payments to an accounting API (QuickBooks Online, Xero).
 *
 * Core does no I/O: each vendor has pure request builders (document → method, URL, headers, JSON body)
 * and pure response parsers (status + body → external id, or an `AppError`), and an adapter that glues
 * them with a `fetch`-like function the caller injects (the global `fetch` in an activity, a fake in
 * tests). Access tokens come from a callback, so the OAuth refresh stays with the caller.
 *
 * Errors, as `AppError` with `extensions: { vendor, status, vendorMessages }`:
 * - the vendor refused the data (400, 422, or a fault in the body) → `invalid_input`, with the vendor's
 *   own messages in the text: retrying will not help, someone must fix the mapping or the data;
 * - the vendor refused the credentials (401, 403) → `unavailable`: the connection must be renewed;
 * - too many requests (429) → `rate_limited`; anything else (5xx, network, a body that is not the
 *   expected JSON) → `unavailable`, worth a retry.
 *
 * Every create carries an idempotency key derived from the document number or payment id (QuickBooks
 * `requestid`, Xero `Idempotency-Key`), so a retried activity does not create a second invoice.
 */
import { AppError, type ErrorKind } from '../../errors';
import type { InvoiceDocument } from '../invoice-document';
import type { AccountingPayment } from './journal';

export type AccountingVendor = 'quickbooks' | 'xero';

export const VENDOR_NAMES: Readonly<Record<AccountingVendor, string>> = { quickbooks: 'QuickBooks', xero: 'Xero' };

export interface HttpRequest {
  method: 'POST' | 'PUT';
  url: string;
  headers: Record<string, string>;
  /** JSON text. */
  body: string;
}

export interface HttpResponseLike {
  status: number;
  text(): Promise<string>;
}

/** What the adapters need of `fetch`; the global `fetch` fits. */
export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: string }) => Promise<HttpResponseLike>;

export interface PushResult {
  /** The vendor's id of what was created (QuickBooks Invoice.Id, Xero InvoiceID…). */
  externalId: string;
}

export interface AccountingSync<InvoiceContext, PaymentContext> {
  readonly vendor: AccountingVendor;
  /** Creates an invoice, or a credit note for a `credit_note` document. */
  pushInvoice(doc: InvoiceDocument, ctx: InvoiceContext): Promise<PushResult>;
  /** Records a payment against invoices already pushed (`ctx` names their external ids). */
  pushPayment(payment: AccountingPayment, ctx: PaymentContext): Promise<PushResult>;
}

/** Cents as the JSON number of major units the APIs take: 111601 → 1116.01. */
export const major = (cents: number): number => cents / 100;

/** The `AppError` for a failed call, its kind chosen by the status (see the module comment). */
export function vendorError(vendor: AccountingVendor, status: number, what: string, messages: readonly string[]): AppError {
  const name = VENDOR_NAMES[vendor];
  const detail = messages.length > 0 ? `: ${messages.join('; ')}` : '';
  let kind: ErrorKind;
  let message: string;
  if (status === 401 || status === 403) {
    kind = 'unavailable';
    message = `${name} refused the credentials (HTTP ${status}) while creating ${what}${detail}; reconnect the ${name} integration`;
  } else if (status === 429) {
    kind = 'rate_limited';
    message = `${name} limits the request rate (HTTP 429) while creating ${what}${detail}; retry later`;
  } else if (status === 400 || status === 422 || (status >= 200 && status < 300)) {
    kind = 'invalid_input';
    message = `${name} refused ${what}${detail}`;
  } else {
    kind = 'unavailable';
    message = `${name} failed while creating ${what} (HTTP ${status})${detail}`;
  }
  return new AppError(kind, message, undefined, { vendor, status, vendorMessages: [...messages] });
}

/** The JSON body, or an `unavailable` error naming what came instead. */
export function parseJsonBody(vendor: AccountingVendor, status: number, body: string, what: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    const excerpt = body.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (status >= 200 && status < 300) {
      throw new AppError('unavailable', `${VENDOR_NAMES[vendor]} answered creating ${what} with something other than JSON: ${excerpt}`, undefined, { vendor, status, vendorMessages: [] });
    }
    throw vendorError(vendor, status, what, excerpt ? [excerpt] : []);
  }
}

/** Sends a built request; a network failure becomes an `unavailable` error. */
export async function send(fetch: FetchLike, vendor: AccountingVendor, request: HttpRequest, what: string): Promise<{ status: number; body: string }> {
  try {
    const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
    return { status: response.status, body: await response.text() };
  } catch (e) {
    throw new AppError('unavailable', `${VENDOR_NAMES[vendor]} could not be reached while creating ${what}: ${e instanceof Error ? e.message : String(e)}`, undefined, {
      vendor,
      status: 0,
      vendorMessages: [],
    });
  }
}

/** A plain object's property, or undefined (for walking untyped JSON). */
export function prop(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

export const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export const asText = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');

/** "invoice F-2027-0001", "credit note F-2027-0003". */
export const documentWhat = (doc: InvoiceDocument): string => `${doc.kind === 'credit_note' ? 'credit note' : 'invoice'} ${doc.number}`;
