/**
 * Two Xero CSV imports, following Xero's own templates (header names with `*` are the mandatory ones).
 *
 * 1. Manual journals (Accounting › Manual journals › Import), one row per journal line:
 *
 *    *Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2
 *
 *    - *Narration: `<journal code>-<entry number> <label>`; Xero groups rows with the same narration and
 *      date into one journal, so each entry is its own (balanced) journal.
 *    - *Date `dd/mm/yyyy` (`mm/dd/yyyy` for a US organisation); Description: the client on customer lines,
 *      else the account label; *AccountCode: the account number (Xero codes are 10 characters at most);
 *      *TaxRate: the name of a no-tax rate of the organisation, `Tax Exempt` by default (the VAT has its own
 *      lines already); *Amount: positive for a debit, negative for a credit (`1116.01`, `-850.00`);
 *      tracking columns empty.
 *    - Xero refuses manual journals on its Accounts Receivable system account: map the customer account
 *      to an ordinary account (a receivable clearing account), or use the sales invoice import instead.
 *
 * 2. Sales invoices (Sales › Invoices › Import), one row per document line:
 *
 *    *ContactName,EmailAddress,POAddressLine1,POAddressLine2,POAddressLine3,POAddressLine4,POCity,PORegion,
 *    POPostalCode,POCountry,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,InventoryItemCode,*Description,
 *    *Quantity,*UnitAmount,Discount,*AccountCode,*TaxType,TrackingName1,TrackingOption1,TrackingName2,
 *    TrackingOption2,Currency,BrandingTheme
 *
 *    - the buyer's name, e-mail and address repeated on every row of a document; Reference: the client's
 *      purchase order; *Quantity `1.5`; *UnitAmount excl. tax (choose "Tax exclusive" when importing);
 *      a line whose quantity × price is not its amount to the cent goes as 1 × its amount, with the real
 *      quantity and price in the description;
 *    - a credit note: positive quantities and negative unit amounts, so its total is negative and Xero
 *      records it as a credit note;
 *    - *AccountCode: the sales account of the line's VAT rate (accounting settings); *TaxType: the name of
 *      the organisation's tax rate, `20% (VAT on Income)` / `No VAT` style by default, to be mapped with
 *      `taxType` to the names set up in Xero.
 *
 * Both: comma-separated, RFC 4180 quoting, CRLF, header line, UTF-8; text cells are guarded against
 * formula injection.
 */
import type { InvoiceDocument } from '../invoice-document';
import type { VatExemption } from '../invoice-totals';
import { csvText, raw, type CsvCell } from './csv';
import { formatCents, formatDate, formatMilli, statedLine } from './format';
import { DEFAULT_ACCOUNTING_SETTINGS, salesAccountOf, type AccountingSettings, type JournalEntry } from './journal';

export const XERO_MANUAL_JOURNAL_COLUMNS = [
  '*Narration',
  '*Date',
  'Description',
  '*AccountCode',
  '*TaxRate',
  '*Amount',
  'TrackingName1',
  'TrackingOption1',
  'TrackingName2',
  'TrackingOption2',
] as const;

export const XERO_SALES_INVOICE_COLUMNS = [
  '*ContactName',
  'EmailAddress',
  'POAddressLine1',
  'POAddressLine2',
  'POAddressLine3',
  'POAddressLine4',
  'POCity',
  'PORegion',
  'POPostalCode',
  'POCountry',
  '*InvoiceNumber',
  'Reference',
  '*InvoiceDate',
  '*DueDate',
  'InventoryItemCode',
  '*Description',
  '*Quantity',
  '*UnitAmount',
  'Discount',
  '*AccountCode',
  '*TaxType',
  'TrackingName1',
  'TrackingOption1',
  'TrackingName2',
  'TrackingOption2',
  'Currency',
  'BrandingTheme',
] as const;

export interface XeroManualJournalOptions {
  dateLayout?: 'dd/mm/yyyy' | 'mm/dd/yyyy';
  /** The organisation's no-tax rate name. Default `Tax Exempt`. */
  taxRate?: string;
}

export function xeroManualJournalCsv(lines: readonly JournalEntry[], options: XeroManualJournalOptions = {}): string {
  const rows: CsvCell[][] = lines.map((l) => [
    `${l.journalCode}-${l.entryNumber} ${l.label}`,
    raw(formatDate(l.date, options.dateLayout ?? 'dd/mm/yyyy')),
    l.clientName ?? l.accountLabel,
    l.accountNumber,
    options.taxRate ?? 'Tax Exempt',
    raw(formatCents(l.debitCents - l.creditCents, '.')),
    '',
    '',
    '',
    '',
  ]);
  return csvText([XERO_MANUAL_JOURNAL_COLUMNS.map(raw), ...rows], ',');
}

/** `20% (VAT on Income)`, `5.5% (VAT on Income)`, `No VAT` for a 0 % line. */
export function defaultXeroTaxType(vatRateBp: number, _exemption: VatExemption | null): string {
  return vatRateBp === 0 ? 'No VAT' : `${formatCents(vatRateBp, '.').replace(/\.?0+$/, '')}% (VAT on Income)`;
}

export interface XeroSalesInvoiceOptions {
  dateLayout?: 'dd/mm/yyyy' | 'mm/dd/yyyy';
  /** Where the sales account of each line comes from. Default: the French defaults. */
  settings?: AccountingSettings;
  /** The organisation's tax rate name for a line. Default `defaultXeroTaxType`. */
  taxType?: (vatRateBp: number, exemption: VatExemption | null) => string;
}

export function xeroSalesInvoicesCsv(documents: readonly InvoiceDocument[], options: XeroSalesInvoiceOptions = {}): string {
  const settings = options.settings ?? DEFAULT_ACCOUNTING_SETTINGS;
  const taxType = options.taxType ?? defaultXeroTaxType;
  const date = (d: string) => raw(formatDate(d, options.dateLayout ?? 'dd/mm/yyyy'));
  const rows: CsvCell[][] = documents.flatMap((doc) =>
    doc.lines.map((line) => {
      const stated = statedLine(line, 1);
      const a = doc.buyer.address;
      return [
        doc.buyer.legalName,
        doc.buyer.email,
        a.line1,
        a.line2,
        '',
        '',
        a.city,
        '',
        a.postalCode,
        a.country,
        doc.number,
        doc.buyerReference,
        date(doc.issueDate),
        date(doc.dueDate),
        '',
        stated.description,
        raw(formatMilli(stated.quantityMilli)),
        raw(formatCents(stated.unitPriceCents, '.')),
        '',
        salesAccountOf(settings, line.vatRateBp, line.vatExemption).number,
        taxType(line.vatRateBp, line.vatExemption),
        '',
        '',
        '',
        '',
        raw(doc.currency),
        '',
      ];
    }),
  );
  return csvText([XERO_SALES_INVOICE_COLUMNS.map(raw), ...rows], ',');
}
