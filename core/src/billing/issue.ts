/**
 * What an invoice prints, frozen at validation: the seller from the tenant's legal identity and billing
 * settings, the buyer from the client record, the lines and totals of the draft, the due date from the
 * terms and the legal mentions of a French invoice. Refuses (with every missing field at once) when the
 * seller or buyer lacks what a French invoice must show.
 */
import { AppError, type FieldError } from '../errors';
import type { LocalDate } from './calendar';
import { dueDate, latePaymentNotes, paymentTermsText, type LegalMention, type PaymentTerms, type PenaltyRate } from './due-date';
import type { Buyer, DocumentLine, InvoiceDocument, InvoiceKind, Seller } from './invoice-document';
import { computeInvoiceTotals, VAT_EXEMPTION_MENTIONS, type CreditNote, type InvoiceLine } from './invoice-totals';
import type { VatRounding } from '../crm/quote-totals';

export interface IssueLine extends InvoiceLine {
  description: string;
  unitCode: string;
}

export interface IssueInput {
  kind: InvoiceKind;
  number: string;
  issueDate: LocalDate;
  currency: string;
  seller: Seller;
  buyer: Buyer;
  /** The client's own terms when set, else the tenant's. */
  terms: PaymentTerms;
  penaltyRate: PenaltyRate;
  earlyPaymentDiscount: string | null;
  lines: IssueLine[];
  vatRounding: VatRounding;
  /** A credit note: its amounts as core's `creditNote` computed them (negative). */
  creditNote: CreditNote | null;
  precedingInvoice: { number: string; issueDate: LocalDate } | null;
  periodStart: LocalDate | null;
  periodEnd: LocalDate | null;
  buyerReference: string;
  notes: string;
}

/** What must be filled in before an invoice can be issued: French mentions and EN 16931 required fields. */
export function missingForIssue(seller: Seller, buyer: Buyer): FieldError[] {
  const need = (ok: boolean, path: string, message: string) => (ok ? [] : [{ path, message }]);
  return [
    ...need(seller.legalName.trim() !== '', 'seller.legalName', 'your legal name (Settings → legal identity)'),
    ...need(/^\d{9}$/.test(seller.siren), 'seller.siren', 'your SIREN (Settings → legal identity)'),
    ...need(seller.address.line1.trim() !== '' && seller.address.city.trim() !== '', 'seller.address', 'your address (Settings → legal identity)'),
    ...need(buyer.legalName.trim() !== '', 'buyer.legalName', 'the client’s legal name'),
    ...need(buyer.address.country.length === 2, 'buyer.address.country', 'the client’s billing country'),
  ];
}

export function buildInvoiceDocument(input: IssueInput): InvoiceDocument {
  const missing = missingForIssue(input.seller, input.buyer);
  if (missing.length > 0) throw AppError.invalid('the invoice cannot be issued: some mandatory details are missing', missing);
  if (input.lines.length === 0) throw AppError.invalid('an invoice needs at least one line');
  if ((input.kind === 'credit_note') !== (input.creditNote !== null && input.precedingInvoice !== null))
    throw AppError.invalid('a credit note names the invoice it corrects, and only a credit note does');

  const totals = input.creditNote ?? computeInvoiceTotals(input.lines, input.vatRounding);
  const exemptionOf = (rateBp: number) => (rateBp === 0 ? (input.lines.find((l) => l.vatRateBp === 0)?.vatExemption ?? null) : null);
  const lines: DocumentLine[] = input.lines.map((l, i) => ({
    description: l.description,
    quantityMilli: l.quantityMilli,
    unitCode: l.unitCode,
    unitPriceCents: l.unitPriceCents,
    vatRateBp: l.vatRateBp,
    vatExemption: l.vatExemption,
    totalExclTaxCents: totals.lines[i]!.totalExclTaxCents,
  }));
  const due = dueDate(input.issueDate, input.terms);
  const exemptions = [...new Set(input.lines.flatMap((l) => (l.vatExemption ? [VAT_EXEMPTION_MENTIONS[l.vatExemption]] : [])))];
  const payment: LegalMention[] =
    input.kind === 'credit_note'
      ? [{ subject: null, text: `Avoir sur la facture n° ${input.precedingInvoice!.number} du ${input.precedingInvoice!.issueDate.split('-').reverse().join('/')}` }]
      : latePaymentNotes({ dueDate: due, terms: input.terms, professional: input.buyer.professional, penaltyRate: input.penaltyRate, earlyPaymentDiscount: input.earlyPaymentDiscount });
  return {
    kind: input.kind,
    number: input.number,
    issueDate: input.issueDate,
    dueDate: due,
    periodStart: input.periodStart,
    periodEnd: input.periodEnd,
    currency: input.currency,
    seller: input.seller,
    buyer: input.buyer,
    buyerReference: input.buyerReference,
    precedingInvoice: input.precedingInvoice,
    lines,
    vat: totals.vat.map((v) => ({ vatRateBp: v.vatRateBp, vatExemption: exemptionOf(v.vatRateBp), baseCents: v.baseCents, taxCents: v.taxCents })),
    totalExclTaxCents: totals.totalExclTaxCents,
    totalTaxCents: totals.totalTaxCents,
    totalCents: totals.totalCents,
    paymentTermsText: paymentTermsText(input.terms),
    mentions: [...exemptions, ...payment.map((m) => m.text)],
    mentionSubjects: Object.fromEntries(payment.flatMap((m) => (m.subject ? [[m.text, m.subject]] : []))),
    notes: input.notes,
  };
}
