/** Accounting exports of issued invoices, credit notes and payments, and the accounting API adapters. */
export { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, entryBalances, letteringCodeOf, salesAccountOf } from './journal';
export type { AccountRef, AccountingDocument, AccountingPayment, AccountingSettings, ClientRef, EntryBalance, JournalEntry, JournalRef, JournalSource } from './journal';
export { FEC_COLUMNS, FEC_RECORD_END, FEC_SEPARATOR, fecFileName, fecText } from './fec';
export type { FecOptions } from './fec';
export { SAGE_COLUMNS, SAGE_LABEL_MAX, sageText } from './sage';
export type { SageOptions } from './sage';
export { QUICKBOOKS_JOURNAL_COLUMNS, quickBooksJournalCsv } from './quickbooks';
export type { QuickBooksJournalOptions } from './quickbooks';
export { XERO_MANUAL_JOURNAL_COLUMNS, XERO_SALES_INVOICE_COLUMNS, defaultXeroTaxType, xeroManualJournalCsv, xeroSalesInvoicesCsv } from './xero';
export type { XeroManualJournalOptions, XeroSalesInvoiceOptions } from './xero';
export { encodeSingleByte } from './encoding';
export type { SingleByteCharset } from './encoding';
export { VENDOR_NAMES } from './sync';
export type { AccountingSync, AccountingVendor, FetchLike, HttpRequest, HttpResponseLike, PushResult } from './sync';
export {
  QUICKBOOKS_MINOR_VERSION,
  QUICKBOOKS_PRODUCTION_URL,
  QUICKBOOKS_SANDBOX_URL,
  parseQuickBooksResponse,
  quickBooksInvoiceRequest,
  quickBooksPaymentRequest,
  quickBooksSync,
} from './quickbooks-sync';
export type { QuickBooksConnection, QuickBooksEntity, QuickBooksInvoiceContext, QuickBooksPaymentContext, QuickBooksSyncOptions } from './quickbooks-sync';
export { XERO_API_URL, parseXeroResponse, xeroInvoiceRequest, xeroPaymentRequest, xeroSync } from './xero-sync';
export type { XeroCollection, XeroConnection, XeroInvoiceContext, XeroPaymentContext, XeroSyncOptions } from './xero-sync';
