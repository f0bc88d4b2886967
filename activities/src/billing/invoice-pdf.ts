/**
 * The invoice PDF: the frozen `InvoiceDocument` filled into an ODT template by Carbone (the built-in
 * templates/invoice.fodt in the tenant's colour and logo, or the tenant's own uploaded .odt), converted to
 * PDF/A-3b by LibreOffice, with the Factur-X XML attached (facturx/).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppError, computeInvoiceTotals, dueDate, latePaymentMentions, paymentTermsText, type InvoiceDocument, type PostalAddress } from '@vigie/core';
import { LOGO_MARKER, logoFrame, TEMPLATE_COLOR } from '../crm/quote-pdf';
import { buildCiiXml, embedFacturX, renderPdfA3 } from './facturx';

/** The built-in template, a flat ODT with the same colour and logo markers as the quote's. */
export const INVOICE_TEMPLATE = path.resolve(__dirname, '..', '..', 'templates', 'invoice.fodt');

export type InvoiceLocale = 'fr' | 'en';

const LABELS = {
  fr: {
    invoice: 'FACTURE',
    creditNote: 'AVOIR',
    number: 'N°',
    issueDate: 'Date d’émission',
    dueDate: 'Date d’échéance',
    period: 'Période',
    customer: 'Client',
    vatId: 'TVA',
    reference: 'Votre référence',
    description: 'Désignation',
    quantity: 'Qté',
    unit: 'Unité',
    unitPrice: 'PU HT',
    vatRate: 'TVA',
    lineTotal: 'Total HT',
    vatBase: 'Base HT',
    vatAmount: 'Montant TVA',
    totalExclTax: 'Total HT',
    totalTax: 'Total TVA',
    total: 'Total TTC',
    paymentTerms: 'Conditions de paiement',
    transfer: 'Virement',
    page: 'Page',
  },
  en: {
    invoice: 'INVOICE',
    creditNote: 'CREDIT NOTE',
    number: 'No.',
    issueDate: 'Issue date',
    dueDate: 'Due date',
    period: 'Service period',
    customer: 'Customer',
    vatId: 'VAT',
    reference: 'Your reference',
    description: 'Description',
    quantity: 'Qty',
    unit: 'Unit',
    unitPrice: 'Unit price',
    vatRate: 'VAT',
    lineTotal: 'Total excl. VAT',
    vatBase: 'Taxable amount',
    vatAmount: 'VAT',
    totalExclTax: 'Total excl. VAT',
    totalTax: 'Total VAT',
    total: 'Total incl. VAT',
    paymentTerms: 'Payment terms',
    transfer: 'Bank transfer',
    page: 'Page',
  },
} as const;

/** UN/ECE rec. 20 codes as printed; any other code is printed as is. */
const UNITS: Record<InvoiceLocale, Record<string, string>> = {
  fr: { HUR: 'h', C62: 'unité', MON: 'mois', DAY: 'jour', ANN: 'an', MIN: 'min' },
  en: { HUR: 'h', C62: 'unit', MON: 'month', DAY: 'day', ANN: 'year', MIN: 'min' },
};

/** "FR7630006000011234567890189" → "FR76 3000 6000 0112 3456 7890 189", the way an IBAN is printed. */
const groupsOfFour = (iban: string) => iban.replace(/\s+/g, '').replace(/(.{4})(?=.)/g, '$1 ');

/** Paragraph loops in the template iterate over objects: `{d.mentions[i].text}`. */
const texts = (lines: string[]) => lines.filter((l) => l.trim() !== '').map((text) => ({ text }));

/**
 * What the template sees: every amount, quantity, rate and date already formatted for the locale, the
 * optional parts as lists (empty when absent, so the template's loops print nothing), and the labels of
 * the locale. The legal mentions are printed as frozen in the document (French, as the law asks).
 */
export function invoiceTemplateData(doc: InvoiceDocument, locale: InvoiceLocale, footer: string) {
  const tag = locale === 'en' ? 'en-GB' : 'fr-FR';
  const label = LABELS[locale];
  const colon = locale === 'en' ? ': ' : ' : '; // French typography spaces the colon
  const money = (cents: number) => new Intl.NumberFormat(tag, { style: 'currency', currency: doc.currency }).format(cents / 100);
  const rate = (bp: number) => new Intl.NumberFormat(tag, { style: 'percent', maximumFractionDigits: 2 }).format(bp / 10_000);
  const date = (iso: string) => new Intl.DateTimeFormat(tag, { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
  const address = (a: PostalAddress) => [a.line1, a.line2, `${a.postalCode} ${a.city}`, a.country === 'FR' ? '' : new Intl.DisplayNames([tag], { type: 'region' }).of(a.country) ?? a.country];
  const { seller, buyer } = doc;
  const credit = doc.kind === 'credit_note';
  const period = doc.periodStart && doc.periodEnd ? `${date(doc.periodStart)} – ${date(doc.periodEnd)}` : '';
  const preceding = doc.precedingInvoice
    ? locale === 'en'
      ? `Credit note for invoice no. ${doc.precedingInvoice.number} of ${date(doc.precedingInvoice.issueDate)}`
      : `Avoir sur la facture n° ${doc.precedingInvoice.number} du ${date(doc.precedingInvoice.issueDate)}`
    : '';
  const capital = seller.shareCapital ? (locale === 'en' ? `with a share capital of ${seller.shareCapital}` : `au capital de ${seller.shareCapital}`) : '';
  const iban = groupsOfFour(seller.iban);
  const bank = iban ? `${label.transfer}${colon}IBAN ${iban}${seller.bic ? ` · BIC ${seller.bic}` : ''}` : '';
  return {
    kind: doc.kind,
    title: credit ? label.creditNote : label.invoice,
    number: doc.number,
    issueDate: date(doc.issueDate),
    dueDate: date(doc.dueDate),
    period,
    precedingInvoice: preceding,
    /** The line under the title: a credit note names the invoice it corrects. */
    subtitle: texts([preceding]),
    /** The dated facts under the title; a credit note has no due date to print. */
    facts: [
      { label: label.issueDate, value: date(doc.issueDate) },
      ...(credit ? [] : [{ label: label.dueDate, value: date(doc.dueDate) }]),
      ...(period ? [{ label: label.period, value: period }] : []),
      ...(doc.buyerReference ? [{ label: label.reference, value: doc.buyerReference }] : []),
    ],
    seller: {
      legalName: seller.legalName,
      legalForm: seller.legalForm,
      shareCapital: seller.shareCapital,
      rcs: seller.rcs,
      siren: seller.siren,
      siret: seller.siret,
      vatNumber: seller.vatNumber,
      email: seller.email,
      contact: texts([seller.email]),
      iban,
      bic: seller.bic,
      address: texts(address(seller.address)),
      /** "SARL au capital de 10 000 €", "RCS Lyon 443 061 841", "SIRET … · TVA …": the lines that are known. */
      legal: texts([
        [seller.legalForm, capital].filter(Boolean).join(' '),
        seller.rcs,
        [seller.siret ? `SIRET ${seller.siret}` : seller.siren ? `SIREN ${seller.siren}` : '', seller.vatNumber ? `${label.vatId} ${seller.vatNumber}` : ''].filter(Boolean).join(' · '),
      ]),
    },
    buyer: {
      legalName: buyer.legalName,
      siren: buyer.siren,
      siret: buyer.siret,
      vatNumber: buyer.vatNumber,
      email: buyer.email,
      reference: doc.buyerReference,
      address: texts(address(buyer.address)),
      legal: texts([buyer.siren ? `SIREN ${buyer.siren}` : '', buyer.vatNumber ? `${label.vatId} ${buyer.vatNumber}` : '']),
    },
    lines: doc.lines.map((l) => ({
      description: l.description,
      quantity: new Intl.NumberFormat(tag, { maximumFractionDigits: 3 }).format(l.quantityMilli / 1000),
      unit: UNITS[locale][l.unitCode] ?? l.unitCode,
      unitPrice: money(l.unitPriceCents),
      vatRate: rate(l.vatRateBp),
      total: money(l.totalExclTaxCents),
    })),
    vat: doc.vat.map((v) => ({ rate: rate(v.vatRateBp), base: money(v.baseCents), tax: money(v.taxCents) })),
    totalExclTax: money(doc.totalExclTaxCents),
    totalTax: money(doc.totalTaxCents),
    total: money(doc.totalCents),
    paymentTerms: doc.paymentTermsText,
    /** How to pay, for an invoice only: the terms, then the bank details when the tenant set them. */
    payment: credit ? [] : texts([`${label.paymentTerms}${colon}${doc.paymentTermsText}`, bank]),
    mentions: texts(doc.mentions),
    notes: doc.notes,
    noteLines: texts(doc.notes.split(/\r?\n/)),
    footer,
    label,
  };
}

/** The fields a tenant's own template can use. */
export type InvoiceTemplateData = ReturnType<typeof invoiceTemplateData>;

/** Template files written so far, by content hash, least recently used first (one per colour, logo or upload). */
const MAX_TEMPLATES = 32;
const templateFiles = new Map<string, string>();
let templateDir: string | undefined;
let builtIn: string | undefined;

/** The template as a file Carbone can open, written once per content (Carbone renders from a path). */
function templateFile(content: string | Buffer, ext: 'fodt' | 'odt'): string {
  const key = `${createHash('sha256').update(content).digest('hex').slice(0, 32)}.${ext}`;
  const cached = templateFiles.get(key);
  templateFiles.delete(key);
  if (cached && fs.existsSync(cached)) {
    templateFiles.set(key, cached);
    return cached;
  }
  if (!templateDir || !fs.existsSync(templateDir)) templateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-invoice-templates-'));
  const file = path.join(templateDir, `invoice-${key}`);
  fs.writeFileSync(file, content);
  templateFiles.set(key, file);
  for (const [oldKey, oldFile] of templateFiles) {
    if (templateFiles.size <= MAX_TEMPLATES) break;
    templateFiles.delete(oldKey);
    fs.rmSync(oldFile, { force: true });
  }
  return file;
}

/** The built-in template drawn in the tenant's colour (#rrggbb, else the template's own) with its logo. */
function builtInTemplate(color: string, logo?: Buffer): string {
  builtIn ??= fs.readFileSync(INVOICE_TEMPLATE, 'utf8');
  const safe = /^#[0-9a-fA-F]{6}$/.test(color) ? color.toLowerCase() : TEMPLATE_COLOR;
  return templateFile(builtIn.replaceAll(TEMPLATE_COLOR, safe).replace(LOGO_MARKER, logo ? logoFrame(logo) : ''), 'fodt');
}

export interface InvoiceLook {
  color: string;
  logo?: Buffer | undefined;
  footer: string;
  locale: InvoiceLocale;
  /** The tenant's own .odt template (checked by `checkInvoiceTemplate` at upload); null → the built-in one. */
  template?: Buffer | null | undefined;
}

/** The Factur-X PDF of an issued invoice or credit note. */
export async function renderInvoicePdfBytes(doc: InvoiceDocument, look: InvoiceLook): Promise<Buffer> {
  const template = look.template ? templateFile(look.template, 'odt') : builtInTemplate(look.color, look.logo);
  const pdf = await renderPdfA3(template, invoiceTemplateData(doc, look.locale, look.footer));
  const title = `${doc.kind === 'credit_note' ? 'Avoir' : 'Facture'} ${doc.number}`;
  const meta = { number: doc.number, issueDate: doc.issueDate, sellerName: doc.seller.legalName, title };
  return Buffer.from(await embedFacturX(pdf, buildCiiXml(doc), meta));
}

const ODT_MIMETYPE = 'application/vnd.oasis.opendocument.text';

/**
 * The mimetype an OpenDocument package declares: its first zip entry, named `mimetype` and stored
 * uncompressed (ODF 1.3 part 2, §3.3), so it is read from the local file header without unzipping.
 * '' when the bytes are a zip without it (a .docx), null when they are not a zip at all.
 */
function packageMimetype(bytes: Buffer): string | null {
  if (bytes.length < 30 || bytes.readUInt32LE(0) !== 0x04034b50) return null;
  const nameLength = bytes.readUInt16LE(26);
  const start = 30 + nameLength + bytes.readUInt16LE(28);
  const stored = bytes.readUInt16LE(8) === 0;
  if (!stored || bytes.toString('latin1', 30, 30 + nameLength) !== 'mimetype') return '';
  return bytes.toString('latin1', start, start + bytes.readUInt32LE(18));
}

/**
 * Refuses (`invalid_input`, with a message the uploader can act on) a template that is not an ODT text
 * document or that Carbone and LibreOffice cannot turn into an invoice PDF, tried on the sample invoice.
 */
export async function checkInvoiceTemplate(bytes: Buffer): Promise<void> {
  const mimetype = packageMimetype(bytes);
  if (mimetype === null) throw AppError.invalid('the invoice template must be an OpenDocument text file (.odt); this file is not one');
  if (mimetype !== ODT_MIMETYPE) {
    const found = mimetype ? ` (it is ${mimetype})` : '';
    throw AppError.invalid(`the invoice template must be an OpenDocument text file (.odt)${found}: save it as .odt from LibreOffice or Word`);
  }
  try {
    await renderPdfA3(templateFile(bytes, 'odt'), invoiceTemplateData(sampleInvoiceDocument(), 'fr', 'Pied de page'));
  } catch (err) {
    throw AppError.invalid(`the invoice template cannot be rendered: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * A realistic issued invoice (two VAT rates, a service period, bank details, a professional buyer), for
 * template previews and tests; totals, due date and mentions are computed by core, as on issue.
 */
export function sampleInvoiceDocument(): InvoiceDocument {
  const terms = { kind: 'net', days: 30 } as const;
  const lines = [
    { description: 'Infogérance — forfait mensuel (10 postes)', quantityMilli: 10_000, unitCode: 'C62', unitPriceCents: 8_500, vatRateBp: 2000, vatExemption: null },
    { description: 'Intervention sur site', quantityMilli: 2_500, unitCode: 'HUR', unitPriceCents: 7_200, vatRateBp: 2000, vatExemption: null },
    { description: 'Pare-feu', quantityMilli: 1_000, unitCode: 'C62', unitPriceCents: 129_900, vatRateBp: 2000, vatExemption: null },
    { description: 'Manuel utilisateur imprimé', quantityMilli: 3_000, unitCode: 'C62', unitPriceCents: 1_250, vatRateBp: 550, vatExemption: null },
  ];
  const totals = computeInvoiceTotals(lines, 'per_rate');
  const issueDate = '2026-01-31';
  const due = dueDate(issueDate, terms);
  return {
    kind: 'invoice',
    number: 'F-2026-0042',
    issueDate,
    dueDate: due,
    periodStart: '2026-01-01',
    periodEnd: '2026-01-31',
    currency: 'EUR',
    seller: {
      legalName: 'Infogérance Martin SARL',
      legalForm: 'SARL',
      shareCapital: '10 000 €',
      rcs: 'RCS Lyon 443 061 841',
      siren: '443061841',
      siret: '44306184100047',
      vatNumber: 'FR64443061841',
      address: { line1: '3 rue Garibaldi', line2: '', postalCode: '69003', city: 'Lyon', country: 'FR' },
      email: 'facturation@infogerance-martin.fr',
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPPXXX',
    },
    buyer: {
      legalName: 'Boulangerie Dupont SAS',
      siren: '380129866',
      siret: '38012986600021',
      vatNumber: 'FR32380129866',
      address: { line1: '1 place Bellecour', line2: 'Bâtiment B', postalCode: '69002', city: 'Lyon', country: 'FR' },
      email: 'compta@boulangerie-dupont.fr',
      professional: true,
    },
    buyerReference: 'BC-2026-118',
    precedingInvoice: null,
    lines: lines.map((l, i) => ({ ...l, totalExclTaxCents: totals.lines[i]!.totalExclTaxCents })),
    vat: totals.vat.map((v) => ({ ...v, vatExemption: null })),
    totalExclTaxCents: totals.totalExclTaxCents,
    totalTaxCents: totals.totalTaxCents,
    totalCents: totals.totalCents,
    paymentTermsText: paymentTermsText(terms),
    mentions: latePaymentMentions({ dueDate: due, terms, professional: true, penaltyRate: { kind: 'ecb_plus_10' }, earlyPaymentDiscount: null }),
    notes: 'Merci de votre confiance.',
  };
}
