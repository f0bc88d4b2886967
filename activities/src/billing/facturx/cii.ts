/**
 * The Factur-X XML of an issued invoice: UN/CEFACT Cross Industry Invoice (D16B) under the EN 16931
 * profile (guideline `urn:cen.eu:en16931:2017`). Built from the frozen `InvoiceDocument` only, so the XML
 * says exactly what the PDF prints. Element order follows the Factur-X XSD (order matters there).
 */
import { create } from 'xmlbuilder2';
import type { ExpandObject } from 'xmlbuilder2/lib/interfaces';
import { VAT_EXEMPTION_MENTIONS, type Buyer, type DocumentLine, type DocumentVat, type InvoiceDocument, type Party, type Seller, type VatExemption } from '@vigie/core';

export const FACTURX_EN16931_GUIDELINE = 'urn:cen.eu:en16931:2017';

const NS = {
  'xmlns:rsm': 'urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100',
  'xmlns:qdt': 'urn:un:unece:uncefact:data:standard:QualifiedDataType:100',
  'xmlns:ram': 'urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100',
  'xmlns:udt': 'urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100',
};

/**
 * UNTDID 5305 category and VATEX reason code of each exemption. Export is G ("free export item"), the
 * code EN 16931 has for it, rather than the generic E.
 */
const EXEMPTION_CATEGORY: Readonly<Record<VatExemption, { category: string; reasonCode: string }>> = {
  franchise: { category: 'E', reasonCode: 'VATEX-FR-FRANCHISE' },
  reverse_charge: { category: 'AE', reasonCode: 'VATEX-EU-AE' },
  intra_eu_supply: { category: 'K', reasonCode: 'VATEX-EU-IC' },
  export: { category: 'G', reasonCode: 'VATEX-EU-G' },
};

const categoryOf = (exemption: VatExemption | null) => (exemption ? EXEMPTION_CATEGORY[exemption].category : 'S');

/** Integer cents → "1234.56" (no float arithmetic, so no binary rounding). */
export function formatCents(cents: number): string {
  const abs = Math.abs(cents);
  return `${cents < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** Thousandths → "1.5", "2", "0.125". */
export function formatMilli(milli: number): string {
  const abs = Math.abs(milli);
  const decimals = String(abs % 1000).padStart(3, '0').replace(/0+$/, '');
  return `${milli < 0 ? '-' : ''}${Math.floor(abs / 1000)}${decimals ? `.${decimals}` : ''}`;
}

/** Basis points → percent with two decimals: 550 → "5.50". */
const formatRate = (bp: number) => formatCents(bp);

/** 'YYYY-MM-DD' → CII date format 102 'YYYYMMDD'. */
const date102 = (d: string, ns: 'udt' | 'qdt' = 'udt') => ({ [`${ns}:DateTimeString`]: { '@format': '102', '#': d.replaceAll('-', '') } });

const text = (value: string) => (value ? { '#': value } : undefined);

function address(a: Party['address']): ExpandObject {
  return {
    'ram:PostcodeCode': text(a.postalCode),
    'ram:LineOne': text(a.line1),
    'ram:LineTwo': text(a.line2),
    'ram:CityName': text(a.city),
    'ram:CountryID': a.country,
  };
}

/** "SAS au capital de 10 000 € — RCS Paris B 123 456 789": the seller's additional legal information (BT-33). */
function legalInformation(s: Seller): string {
  const form = [s.legalForm, s.shareCapital ? `au capital de ${s.shareCapital}` : ''].filter(Boolean).join(' ');
  return [form, s.rcs].filter(Boolean).join(' — ');
}

function party(p: Seller | Buyer, description?: string): ExpandObject {
  return {
    // SIRET as the party's global identifier (ISO 6523 scheme 0009), SIREN as its legal registration (0002).
    'ram:GlobalID': p.siret ? { '@schemeID': '0009', '#': p.siret } : undefined,
    'ram:Name': p.legalName,
    'ram:Description': description ? { '#': description } : undefined,
    'ram:SpecifiedLegalOrganization': p.siren ? { 'ram:ID': { '@schemeID': '0002', '#': p.siren } } : undefined,
    'ram:PostalTradeAddress': address(p.address),
    'ram:URIUniversalCommunication': p.email ? { 'ram:URIID': { '@schemeID': 'EM', '#': p.email } } : undefined,
    'ram:SpecifiedTaxRegistration': p.vatNumber ? { 'ram:ID': { '@schemeID': 'VA', '#': p.vatNumber } } : undefined,
  };
}

export function buildCiiXml(doc: InvoiceDocument): string {
  // A credit note (381) states its amounts as positive numbers; ours are stored negative.
  const sign = doc.kind === 'credit_note' ? -1 : 1;
  const amount = (cents: number) => formatCents(sign * cents);

  const line = (l: DocumentLine, i: number): ExpandObject => ({
    'ram:AssociatedDocumentLineDocument': { 'ram:LineID': String(i + 1) },
    'ram:SpecifiedTradeProduct': { 'ram:Name': l.description },
    'ram:SpecifiedLineTradeAgreement': { 'ram:NetPriceProductTradePrice': { 'ram:ChargeAmount': formatCents(l.unitPriceCents) } },
    'ram:SpecifiedLineTradeDelivery': { 'ram:BilledQuantity': { '@unitCode': l.unitCode, '#': formatMilli(l.quantityMilli) } },
    'ram:SpecifiedLineTradeSettlement': {
      'ram:ApplicableTradeTax': { 'ram:TypeCode': 'VAT', 'ram:CategoryCode': categoryOf(l.vatExemption), 'ram:RateApplicablePercent': formatRate(l.vatRateBp) },
      'ram:SpecifiedTradeSettlementLineMonetarySummation': { 'ram:LineTotalAmount': amount(l.totalExclTaxCents) },
    },
  });

  const vat = (v: DocumentVat): ExpandObject => ({
    'ram:CalculatedAmount': amount(v.taxCents),
    'ram:TypeCode': 'VAT',
    'ram:ExemptionReason': v.vatExemption ? VAT_EXEMPTION_MENTIONS[v.vatExemption] : undefined,
    'ram:BasisAmount': amount(v.baseCents),
    'ram:CategoryCode': categoryOf(v.vatExemption),
    'ram:ExemptionReasonCode': v.vatExemption ? EXEMPTION_CATEGORY[v.vatExemption].reasonCode : undefined,
    'ram:RateApplicablePercent': formatRate(v.vatRateBp),
  });

  const period = doc.periodStart && doc.periodEnd ? { 'ram:StartDateTime': date102(doc.periodStart), 'ram:EndDateTime': date102(doc.periodEnd) } : undefined;
  // An intra-EU supply must name where the goods went and when (BR-IC-11/12): the buyer's country, and
  // the issue date when there is no service period (French law issues the invoice on delivery).
  const intraEu = doc.lines.some((l) => l.vatExemption === 'intra_eu_supply');
  const delivery: ExpandObject = intraEu
    ? {
        'ram:ShipToTradeParty': { 'ram:Name': doc.buyer.legalName, 'ram:PostalTradeAddress': address(doc.buyer.address) },
        'ram:ActualDeliverySupplyChainEvent': period ? undefined : { 'ram:OccurrenceDateTime': date102(doc.issueDate) },
      }
    : {};

  // Payment instructions are the seller's bank account: meaningless on a credit note (the seller pays back).
  // IBAN in euros → SEPA credit transfer (58); other currency → credit transfer (30); no IBAN → not defined (1).
  const paymentMeans =
    doc.kind === 'credit_note'
      ? undefined
      : {
          'ram:TypeCode': doc.seller.iban ? (doc.currency === 'EUR' ? '58' : '30') : '1',
          'ram:PayeePartyCreditorFinancialAccount': doc.seller.iban ? { 'ram:IBANID': doc.seller.iban.replace(/\s+/g, '') } : undefined,
          'ram:PayeeSpecifiedCreditorFinancialInstitution': doc.seller.iban && doc.seller.bic ? { 'ram:BICID': doc.seller.bic } : undefined,
        };

  // French rule BR-FR-05: the penalty, indemnity and discount mentions carry their subject code.
  const subjectOf = (n: string) => doc.mentionSubjects?.[n];
  const notes = [...doc.mentions, doc.notes]
    .filter((n) => n.trim() !== '')
    .map((n) => ({ 'ram:Content': n, ...(subjectOf(n) ? { 'ram:SubjectCode': subjectOf(n) } : {}) }));

  const invoice: ExpandObject = {
    'rsm:CrossIndustryInvoice': {
      ...Object.fromEntries(Object.entries(NS).map(([k, v]) => [`@${k}`, v])),
      'rsm:ExchangedDocumentContext': { 'ram:GuidelineSpecifiedDocumentContextParameter': { 'ram:ID': FACTURX_EN16931_GUIDELINE } },
      'rsm:ExchangedDocument': {
        'ram:ID': doc.number,
        'ram:TypeCode': doc.kind === 'credit_note' ? '381' : '380',
        'ram:IssueDateTime': date102(doc.issueDate),
        'ram:IncludedNote': notes.length ? notes : undefined,
      },
      'rsm:SupplyChainTradeTransaction': {
        'ram:IncludedSupplyChainTradeLineItem': doc.lines.map(line),
        'ram:ApplicableHeaderTradeAgreement': {
          // Our only buyer reference is their purchase order number: given as the buyer reference (BT-10,
          // what buyers route on) and as the purchase order reference (BT-13).
          'ram:BuyerReference': text(doc.buyerReference),
          'ram:SellerTradeParty': party(doc.seller, legalInformation(doc.seller)),
          'ram:BuyerTradeParty': party(doc.buyer),
          'ram:BuyerOrderReferencedDocument': doc.buyerReference ? { 'ram:IssuerAssignedID': doc.buyerReference } : undefined,
        },
        'ram:ApplicableHeaderTradeDelivery': delivery,
        'ram:ApplicableHeaderTradeSettlement': {
          'ram:PaymentReference': doc.number,
          'ram:InvoiceCurrencyCode': doc.currency,
          'ram:SpecifiedTradeSettlementPaymentMeans': paymentMeans,
          'ram:ApplicableTradeTax': doc.vat.map(vat),
          'ram:BillingSpecifiedPeriod': period,
          'ram:SpecifiedTradePaymentTerms': { 'ram:Description': text(doc.paymentTermsText), 'ram:DueDateDateTime': date102(doc.dueDate) },
          'ram:SpecifiedTradeSettlementHeaderMonetarySummation': {
            'ram:LineTotalAmount': amount(doc.lines.reduce((sum, l) => sum + l.totalExclTaxCents, 0)),
            'ram:TaxBasisTotalAmount': amount(doc.totalExclTaxCents),
            'ram:TaxTotalAmount': { '@currencyID': doc.currency, '#': amount(doc.totalTaxCents) },
            'ram:GrandTotalAmount': amount(doc.totalCents),
            'ram:DuePayableAmount': amount(doc.totalCents),
          },
          'ram:InvoiceReferencedDocument': doc.precedingInvoice
            ? { 'ram:IssuerAssignedID': doc.precedingInvoice.number, 'ram:FormattedIssueDateTime': date102(doc.precedingInvoice.issueDate, 'qdt') }
            : undefined,
        },
      },
    },
  };
  return create({ version: '1.0', encoding: 'UTF-8' }, invoice).end({ prettyPrint: true });
}
