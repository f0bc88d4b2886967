/**
 * The issued invoice as it was frozen at validation: everything the PDF, the Factur-X XML, the e-mails
 * and the accounting exports print, copied from the tenant, the client and the draft at that moment, so
 * later edits to either never rewrite an issued document. Amounts are integer cents in `currency`;
 * a credit note (avoir) carries negative amounts and names the invoice it corrects.
 */
import type { LocalDate } from './calendar';
import type { MentionSubject } from './due-date';
import type { VatExemption } from './invoice-totals';

export type InvoiceKind = 'invoice' | 'credit_note';

export interface PostalAddress {
  line1: string;
  line2: string;
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

export interface Party {
  legalName: string;
  /** 9 digits, '' when unknown (a private person, a foreign company). */
  siren: string;
  siret: string;
  /** Intra-EU VAT number, '' when none. */
  vatNumber: string;
  address: PostalAddress;
  email: string;
}

export interface Seller extends Party {
  legalForm: string;
  shareCapital: string;
  rcs: string;
  /** Where transfers go, printed and put in the Factur-X payment means; '' when not set. */
  iban: string;
  bic: string;
}

export interface Buyer extends Party {
  /** A business: late-payment penalties and the 40 € indemnity apply. */
  professional: boolean;
}

export interface DocumentLine {
  description: string;
  /** Thousandths: 1.5 h → 1500. Positive, even on a credit note. */
  quantityMilli: number;
  /** UN/ECE rec. 20 unit code: 'HUR' hours, 'C62' one (unit), 'MON' month. */
  unitCode: string;
  unitPriceCents: number;
  /** Basis points: 20 % → 2000. */
  vatRateBp: number;
  vatExemption: VatExemption | null;
  /** Excl. tax, negative on a credit note. */
  totalExclTaxCents: number;
}

export interface DocumentVat {
  vatRateBp: number;
  vatExemption: VatExemption | null;
  baseCents: number;
  taxCents: number;
}

export interface InvoiceDocument {
  kind: InvoiceKind;
  number: string;
  issueDate: LocalDate;
  dueDate: LocalDate;
  /** The service period the invoice covers, when it has one (a subscription month). */
  periodStart: LocalDate | null;
  periodEnd: LocalDate | null;
  /** ISO 4217. */
  currency: string;
  seller: Seller;
  buyer: Buyer;
  /** The client's purchase order reference, '' when none. */
  buyerReference: string;
  /** A credit note: the number and issue date of the invoice it corrects. */
  precedingInvoice: { number: string; issueDate: LocalDate } | null;
  lines: DocumentLine[];
  vat: DocumentVat[];
  totalExclTaxCents: number;
  totalTaxCents: number;
  totalCents: number;
  /** "30 jours net". */
  paymentTermsText: string;
  /** Legal mentions in print order: VAT exemptions, due date, penalties, 40 € indemnity. */
  mentions: string[];
  /** The e-invoice subject of the mentions that have one (text → AAB, PMD or PMT; Factur-X notes). */
  mentionSubjects?: Record<string, MentionSubject>;
  notes: string;
}
