import type { z } from 'zod';
import type {
  AccountingRangeQuery,
  BillingRun,
  BillingSettings,
  BillingSettingsView,
  CreateInvoiceBody,
  CreditNoteBody,
  Invoice,
  InvoiceListQuery,
  InvoiceStatus,
  InvoiceSummary,
  InvoiceWorkflowState,
  ListQuery,
  MergeLinesBody,
  Page,
  Payment,
  PreBillingItem,
  PRE_BILLING_STATUSES,
  Profitability,
  ProfitabilityGroup,
  ProfitabilityItem,
  RecordPaymentBody,
  UpdateInvoiceBody,
  paymentListQuerySchema,
  startBillingRunBodySchema,
} from '@vigie/core';
import type { ListParams } from '@/composables/use-cursor-list';
import { downloadDocument } from './documents';
import { http, upload, type DownloadedFile } from './http';

export type PreBillingStatus = (typeof PRE_BILLING_STATUSES)[number];

export interface PreBillingListParams extends Partial<ListParams> {
  clientId?: string;
  status?: PreBillingStatus;
}

const id = (value: string) => encodeURIComponent(value);
const idempotent = (key?: string): { headers: Record<string, string> } => ({ headers: key ? { 'Idempotency-Key': key } : {} });

/**
 * Out-of-contract time waiting to be invoiced (admins and managers): one line per approved entry of a
 * closed ticket, valued at the contract's, the client's or the tenant's hourly rate.
 */
export const listPreBilling = (params: PreBillingListParams) => http.get<Page<PreBillingItem>>('/billing/pre-billing', { ...params });

// Invoices and credit notes (admins and managers).

export type InvoiceListParams = Partial<InvoiceListQuery>;

/** Invoices and credit notes; `from` / `to` on the issue date (drafts: the day they were created). */
export const listInvoices = (params: InvoiceListParams) => http.get<Page<InvoiceSummary>>('/invoices', params);
export const getInvoice = (invoiceId: string) => http.get<Invoice>(`/invoices/${id(invoiceId)}`);
/** A draft typed by hand; the key makes a double submit or a retry create one draft. */
export const createInvoice = (body: CreateInvoiceBody, idempotencyKey?: string) => http.post<Invoice>('/invoices', body, idempotent(idempotencyKey));
/** One draft per client from the pending ticket time of the pre-billing queue (only these clients when given). */
export const draftFromPreBilling = (body: { clientIds?: string[] }, idempotencyKey?: string) =>
  http.post<{ invoices: Invoice[] }>('/invoices/from-pre-billing', body, idempotent(idempotencyKey));
/** Drafts only (409 once issued). `lines` replaces every line. */
export const updateInvoice = (invoiceId: string, body: UpdateInvoiceBody) => http.patch<Invoice>(`/invoices/${id(invoiceId)}`, body);
/** Drafts only; their ticket time goes back to the pre-billing queue. */
export const deleteInvoice = (invoiceId: string) => http.delete(`/invoices/${id(invoiceId)}`);
/** Lines of one VAT rate merged into the first one; their ticket time follows. */
export const mergeInvoiceLines = (invoiceId: string, body: MergeLinesBody) => http.post<Invoice>(`/invoices/${id(invoiceId)}/merge-lines`, body);
/** Takes a line off a draft; its ticket time waits, deferred, for a later invoice. */
export const deferInvoiceLine = (invoiceId: string, lineId: string) => http.post<Invoice>(`/invoices/${id(invoiceId)}/lines/${id(lineId)}/defer`);
/** The next number of the gap-free sequence, content frozen; the workflow then renders, sends and follows it. */
export const validateInvoice = (invoiceId: string, idempotencyKey?: string) => http.post<Invoice>(`/invoices/${id(invoiceId)}/validate`, undefined, idempotent(idempotencyKey));
/** A credit note (avoir) for some line quantities, or for everything still creditable. */
export const creditInvoice = (invoiceId: string, body: CreditNoteBody, idempotencyKey?: string) =>
  http.post<Invoice>(`/invoices/${id(invoiceId)}/credit-notes`, body, idempotent(idempotencyKey));
/** What the invoice's workflow is doing: phase, next dunning step, Temporal UI link. */
export const getInvoiceWorkflow = (invoiceId: string) => http.get<InvoiceWorkflowState>(`/invoices/${id(invoiceId)}/workflow`);
/** The PDF (Factur-X) is a client document: the documents route serves it. */
export const downloadInvoicePdf = (pdfDocumentId: string) => downloadDocument(pdfDocumentId);
/**
 * The online payment link (Stripe Checkout) for the balance of an issued invoice, made once and kept in
 * `paymentUrl`; 409 when online payment is not configured or nothing is owed.
 */
export const createPaymentLink = (invoiceId: string) => http.post<{ url: string }>(`/invoices/${id(invoiceId)}/payment-link`);

// Payments.

export type PaymentListParams = Partial<z.infer<typeof paymentListQuerySchema>>;

export const listPayments = (params: PaymentListParams) => http.get<Page<Payment>>('/payments', params);
export const getPayment = (paymentId: string) => http.get<Payment>(`/payments/${id(paymentId)}`);
/** Settles the invoices named, in that order, or the client's oldest open ones; what is left stays unallocated. */
export const recordPayment = (body: RecordPaymentBody, idempotencyKey?: string) => http.post<Payment>('/payments', body, idempotent(idempotencyKey));

// Settings and billing runs.

export const getBillingSettings = () => http.get<BillingSettingsView>('/billing/settings');
/** Admins only. */
export const updateBillingSettings = (body: Partial<BillingSettings>) => http.patch<BillingSettingsView>('/billing/settings', body);
/** Admins: applies the run frequency and the tenant's time zone to its Temporal Schedule now. */
export const applyBillingSchedule = () => http.post<{ frequency: string; timezone: string }>('/billing/settings/schedule');

// The invoice template: an ODT with Carbone tags (admins upload and remove; managers preview).

const ODT = 'application/vnd.oasis.opendocument.text';
/**
 * Checked by the worker, which renders the sample invoice with it: a 400 says why it was refused. Always sent
 * as ODT, whatever type the browser guessed, so that the API reads the bytes and names what is wrong with them.
 */
export const uploadInvoiceTemplate = (file: File, onProgress?: (fraction: number) => void) =>
  upload<BillingSettingsView>('/billing/settings/template', new Blob([file], { type: ODT }), { method: 'PUT', query: { filename: file.name }, onProgress });
/** Back to the built-in template. */
export const deleteInvoiceTemplate = () => http.delete('/billing/settings/template');
/** A sample invoice (PDF) in the tenant's look, rendered by the worker: a few seconds. */
export const previewInvoiceTemplate = () => http.get<Blob>('/billing/settings/template/preview', undefined, { responseType: 'blob' });

export type StartRunBody = z.output<typeof startBillingRunBodySchema>;
export const listBillingRuns = (params: Partial<ListQuery>) => http.get<Page<BillingRun>>('/billing/runs', params);
/** 202: the run row at once (status running); the workflow does the rest. A period run again adds only what is new. */
export const startBillingRun = (body: StartRunBody, idempotencyKey?: string) => http.post<BillingRun>('/billing/runs', body, idempotent(idempotencyKey));
export const getBillingRun = (runId: string) => http.get<BillingRun>(`/billing/runs/${id(runId)}`);

// Accounting exports and profitability (admins and managers).

export const EXPORT_FORMATS = ['fec', 'sage', 'quickbooks', 'xero-journal', 'xero-invoices'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export interface ExportParams extends AccountingRangeQuery {
  /** FEC: utf-8 or iso-8859-15; Sage: windows-1252 or utf-8. */
  encoding?: string;
  /** Sage: a header line for people. */
  header?: boolean;
  /** QuickBooks and Xero: dd/mm/yyyy or mm/dd/yyyy. */
  dateLayout?: string;
  /** QuickBooks: accounts matched by name (label) or by number. */
  account?: 'label' | 'number';
}
/** The file of a date range (issued documents by issue date, payments by payment date), named by the API. */
export const downloadAccountingExport = (format: ExportFormat, params: ExportParams) =>
  http.get<DownloadedFile>(`/billing/exports/${format}`, { ...params }, { responseType: 'file' });

export interface ProfitabilityParams {
  from?: string;
  to?: string;
  groupBy?: ProfitabilityGroup;
}
/** Revenue, internal cost of approved time and margin per client or contract (default: this month). */
export const getProfitability = (params: ProfitabilityParams) => http.get<Profitability>('/billing/profitability', { ...params });

export type { Profitability, ProfitabilityGroup, ProfitabilityItem };
export type { BillingRun, BillingSettingsView, Invoice, InvoiceStatus, InvoiceSummary, InvoiceWorkflowState, Payment, PreBillingItem };
