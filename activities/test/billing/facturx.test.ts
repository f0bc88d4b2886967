import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodePDFRawStream, PDFArray, PDFDict, PDFDocument, PDFName, PDFRawStream, StandardFonts } from 'pdf-lib';
import {
  buildInvoiceDocument,
  computeInvoiceTotals,
  creditNote,
  divRoundHalfUp,
  type Buyer,
  type CreditedQuantity,
  type DocumentVat,
  type InvoiceDocument,
  type InvoiceLine,
  type Seller,
  type VatExemption,
} from '@vigie/core';
import { buildCiiXml, embedFacturX, FACTURX_FILE_NAME, renderPdfA3, stopPdfRenderer } from '../../src/billing/facturx';
import { ROOT } from '../../../scripts/src/stack/paths';

/**
 * Factur-X (EN 16931) checked by an independent validator: the Mustang CLI (XSD, EN 16931 and French
 * schematrons, veraPDF for PDF/A-3), fetched by scripts/bin/tools.d/facturx.sh and run as a child process.
 */
const VALIDATE = path.join(ROOT, 'scripts', 'tools', 'mustang', 'validate.sh');
const TEMPLATE = path.join(__dirname, 'fixtures', 'facturx', 'invoice.fodt');
const run = promisify(execFile);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-facturx-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

interface Report {
  /** validate.sh's verdict: every part valid. */
  valid: boolean;
  xml: { valid: boolean; errors: string[] };
  /** Absent for a bare XML file. */
  pdf?: { valid: boolean; failedClauses: string[] };
}

/** Mustang's XML report, reduced to what the tests assert: statuses, failed EN 16931 rule ids, failed PDF/A clauses. */
async function mustang(name: string, content: string | Uint8Array): Promise<Report> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  const { stdout, code } = await run('sh', [VALIDATE, file], { maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ stdout: r.stdout, code: 0 }),
    (e: { stdout: string; code: number }) => ({ stdout: e.stdout, code: e.code }),
  );
  const section = (tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(stdout)?.[1];
  const statusOf = (s: string) => /<summary status="(\w+)"\/>/.exec(s)?.[1] === 'valid';
  const xml = section('xml');
  if (!xml) throw new Error(`no XML section in Mustang's report:\n${stdout}`);
  const errors = [...xml.matchAll(/<error\b[^>]*>[\s\S]*?\[ID ([^\]]+)\]/g)].map((m) => m[1]!);
  const pdf = section('pdf');
  return {
    valid: code === 0,
    xml: { valid: statusOf(xml), errors },
    ...(pdf ? { pdf: { valid: statusOf(pdf), failedClauses: [...pdf.matchAll(/clause=([\d.]+), testNumber=\d+\], status=failed/g)].map((m) => m[1]!) } } : {}),
  };
}

const SELLER: Seller = {
  legalName: 'Infogérance Démo SAS',
  siren: '732829320',
  siret: '73282932000074',
  vatNumber: 'FR44732829320',
  address: { line1: '12 rue de la Paix', line2: '', postalCode: '75002', city: 'Paris', country: 'FR' },
  email: 'factures@infogerance-demo.fr',
  legalForm: 'SAS',
  shareCapital: '10 000 €',
  rcs: 'RCS Paris 732 829 320',
  iban: 'FR76 3000 6000 0112 3456 7890 189',
  bic: 'AGRIFRPP',
};

const FR_BUYER: Buyer = {
  legalName: 'Boulangerie <Dupont> & Fils',
  siren: '552100554',
  siret: '55210055400013',
  vatNumber: 'FR40552100554',
  address: { line1: '3 place du Marché', line2: 'Bât. B', postalCode: '69001', city: 'Lyon', country: 'FR' },
  email: 'compta@dupont.fr',
  professional: true,
};

const LATE_PAYMENT = [
  'Pénalités de retard : trois fois le taux d’intérêt légal',
  'Indemnité forfaitaire pour frais de recouvrement : 40 €',
  'Pas d’escompte pour paiement anticipé',
];

type Line = InvoiceLine & { description: string; unitCode: string };
const line = (description: string, quantityMilli: number, unitCode: string, unitPriceCents: number, vatRateBp: number, vatExemption: VatExemption | null = null): Line => ({
  description,
  quantityMilli,
  unitCode,
  unitPriceCents,
  vatRateBp,
  vatExemption,
});

/** VAT per (rate, exemption), rounded per rate, as the document freezes it. */
function vatRows(lines: { vatRateBp: number; vatExemption: VatExemption | null; totalExclTaxCents: number }[]): DocumentVat[] {
  const rows = new Map<string, DocumentVat>();
  for (const l of lines) {
    const key = `${l.vatRateBp}:${l.vatExemption}`;
    const row = rows.get(key) ?? { vatRateBp: l.vatRateBp, vatExemption: l.vatExemption, baseCents: 0, taxCents: 0 };
    row.baseCents += l.totalExclTaxCents;
    rows.set(key, row);
  }
  return [...rows.values()].map((r) => ({ ...r, taxCents: divRoundHalfUp(r.baseCents * r.vatRateBp, 10_000) }));
}

function invoice(number: string, lines: Line[], parts: Partial<InvoiceDocument> = {}): InvoiceDocument {
  const totals = computeInvoiceTotals(lines, 'per_rate');
  const docLines = lines.map((l, i) => ({ ...l, totalExclTaxCents: totals.lines[i]!.totalExclTaxCents }));
  return {
    kind: 'invoice',
    number,
    issueDate: '2026-03-31',
    dueDate: '2026-04-30',
    periodStart: null,
    periodEnd: null,
    currency: 'EUR',
    seller: SELLER,
    buyer: FR_BUYER,
    buyerReference: '',
    precedingInvoice: null,
    lines: docLines,
    vat: vatRows(docLines),
    totalExclTaxCents: totals.totalExclTaxCents,
    totalTaxCents: totals.totalTaxCents,
    totalCents: totals.totalCents,
    paymentTermsText: '30 jours net',
    mentions: [...totals.vatMentions, 'Échéance : 30 avril 2026', ...LATE_PAYMENT],
    notes: '',
    ...parts,
  };
}

const MONTHLY = [
  line('Forfait infogérance — mars 2026', 1000, 'MON', 45000, 2000),
  line('Intervention sur site (1 h 30)', 1500, 'HUR', 8500, 2000),
  line('Manuel « Sauvegardes » (livre)', 2000, 'C62', 3990, 550),
];
const monthly = () => invoice('F-2026-0042', MONTHLY, { periodStart: '2026-03-01', periodEnd: '2026-03-31', buyerReference: 'BC-2026-778' });

describe('the CII XML (EN 16931 profile)', () => {
  it('a French B2B invoice at 20 % and 5.5 %, paid by SEPA transfer, is valid', async () => {
    const xml = buildCiiXml(monthly());
    expect(xml).toContain('<ram:ID>urn:cen.eu:en16931:2017</ram:ID>');
    expect(xml).toContain('<ram:TypeCode>380</ram:TypeCode>');
    expect(xml).toContain('<ram:ID schemeID="0002">552100554</ram:ID>');
    expect(xml).toContain('<ram:ID schemeID="VA">FR44732829320</ram:ID>');
    expect(xml).toContain('<ram:Name>Boulangerie &lt;Dupont&gt; &amp; Fils</ram:Name>');
    expect(xml).toContain('<ram:BilledQuantity unitCode="HUR">1.5</ram:BilledQuantity>');
    expect(xml).toMatch(/<ram:TypeCode>58<\/ram:TypeCode>\s*<ram:PayeePartyCreditorFinancialAccount>\s*<ram:IBANID>FR7630006000011234567890189</);
    expect(xml).toContain('<ram:TaxTotalAmount currencyID="EUR">119.89</ram:TaxTotalAmount>'); // 115.50 + 4.39
    expect(xml).toContain('<ram:GrandTotalAmount>777.19</ram:GrandTotalAmount>');
    const report = await mustang('monthly.xml', xml);
    expect(report.xml).toEqual({ valid: true, errors: [] });
    expect(report.valid).toBe(true);
  });

  it('an invoice issued by core carries the French subject codes of its mentions (BR-FR-05): AAB, PMD, PMT', async () => {
    const doc = buildInvoiceDocument({
      kind: 'invoice',
      number: 'FA-2026-0042',
      issueDate: '2026-04-01',
      currency: 'EUR',
      seller: SELLER,
      buyer: monthly().buyer,
      terms: { kind: 'net', days: 30 },
      penaltyRate: { kind: 'ecb_plus_10' },
      earlyPaymentDiscount: null,
      lines: [{ description: 'Infogérance avril', quantityMilli: 1000, unitCode: 'MON', unitPriceCents: 50_000, vatRateBp: 2000, vatExemption: null }],
      vatRounding: 'per_rate',
      creditNote: null,
      precedingInvoice: null,
      periodStart: null,
      periodEnd: null,
      buyerReference: '',
      notes: '',
    });
    const xml = buildCiiXml(doc);
    for (const code of ['AAB', 'PMD', 'PMT']) expect(xml).toContain(`<ram:SubjectCode>${code}</ram:SubjectCode>`);
    const file = path.join(dir, 'issued.xml');
    fs.writeFileSync(file, xml);
    const { stdout } = await run('sh', [VALIDATE, file], { maxBuffer: 64 * 1024 * 1024 });
    expect(stdout).not.toContain('BR-FR-05');
    expect(stdout).toContain('<summary status="valid"/>');
  });

  it('a micro-entrepreneur under the VAT franchise: category E with the art. 293 B mention', async () => {
    const seller: Seller = { ...SELLER, legalName: 'Jean Martin EI', legalForm: 'EI', shareCapital: '', rcs: '' };
    const doc = invoice('F-2026-0007', [line('Dépannage informatique', 2000, 'HUR', 4500, 0, 'franchise')], { seller });
    const xml = buildCiiXml(doc);
    expect(xml).toMatch(/<ram:ExemptionReason>TVA non applicable, art\. 293 B du CGI<\/ram:ExemptionReason>\s*<ram:BasisAmount>90\.00<\/ram:BasisAmount>\s*<ram:CategoryCode>E</);
    expect((await mustang('franchise.xml', xml)).xml).toEqual({ valid: true, errors: [] });
  });

  it('services reverse-charged and goods supplied to an EU business: AE (Autoliquidation) and K', async () => {
    const buyer: Buyer = {
      ...FR_BUYER,
      legalName: 'Bäckerei Schmidt GmbH',
      siren: '',
      siret: '',
      vatNumber: 'DE123456789',
      address: { line1: 'Hauptstraße 5', line2: '', postalCode: '10115', city: 'Berlin', country: 'DE' },
    };
    const doc = invoice('F-2026-0043', [line('Supervision à distance', 1000, 'MON', 30000, 0, 'reverse_charge'), line('Routeur 4G', 2000, 'C62', 18900, 0, 'intra_eu_supply')], { buyer });
    const xml = buildCiiXml(doc);
    expect(xml).toContain('<ram:ExemptionReason>Autoliquidation</ram:ExemptionReason>');
    expect(xml).toMatch(/<ram:ShipToTradeParty>[\s\S]*<ram:CountryID>DE<\/ram:CountryID>/);
    expect((await mustang('eu.xml', xml)).xml).toEqual({ valid: true, errors: [] });
  });

  it('goods exported outside the EU: G with the art. 262 I mention', async () => {
    const buyer: Buyer = { ...FR_BUYER, legalName: 'Horlogerie Favre SA', siren: '', siret: '', vatNumber: '', address: { line1: 'Rue du Rhône 8', line2: '', postalCode: '1204', city: 'Genève', country: 'CH' } };
    const doc = invoice('F-2026-0044', [line('Serveur NAS 4 baies', 1000, 'C62', 64900, 0, 'export')], { buyer });
    const xml = buildCiiXml(doc);
    expect(xml).toMatch(/<ram:ExemptionReason>Exonération de TVA, article 262 I du CGI<\/ram:ExemptionReason>[\s\S]*<ram:CategoryCode>G</);
    expect((await mustang('export.xml', xml)).xml).toEqual({ valid: true, errors: [] });
  });

  it('a credit note is a 381 with positive amounts that names the invoice it corrects', async () => {
    const original = monthly();
    // Half the hours and one of the two books back, computed by core as the issued credit note would be.
    const request: CreditedQuantity[] = [
      { lineIndex: 1, quantityMilli: 750 },
      { lineIndex: 2, quantityMilli: 1000 },
    ];
    const result = creditNote({ lines: MONTHLY, vatRounding: 'per_rate' }, [], request);
    if (!result.ok) throw new Error(result.reason);
    const cn = result.creditNote;
    expect(cn.totalCents).toBeLessThan(0);
    const doc = invoice('AV-2026-0003', [], {
      kind: 'credit_note',
      issueDate: '2026-04-10',
      dueDate: '2026-04-10',
      precedingInvoice: { number: original.number, issueDate: original.issueDate },
      lines: cn.lines.map((l) => ({ ...MONTHLY[l.lineIndex]!, quantityMilli: l.quantityMilli, totalExclTaxCents: l.totalExclTaxCents })),
      vat: cn.vat.map((v) => ({ ...v, vatExemption: null })),
      totalExclTaxCents: cn.totalExclTaxCents,
      totalTaxCents: cn.totalTaxCents,
      totalCents: cn.totalCents,
      mentions: [],
    });
    const xml = buildCiiXml(doc);
    expect(xml).toContain('<ram:TypeCode>381</ram:TypeCode>');
    expect(xml).toMatch(/<ram:InvoiceReferencedDocument>\s*<ram:IssuerAssignedID>F-2026-0042<\/ram:IssuerAssignedID>/);
    expect(xml).toContain(`<ram:GrandTotalAmount>${(-cn.totalCents / 100).toFixed(2)}</ram:GrandTotalAmount>`);
    expect(xml).not.toMatch(/>-\d/); // no negative number anywhere
    expect((await mustang('credit-note.xml', xml)).xml).toEqual({ valid: true, errors: [] });
  });

  it('totals that do not add up are reported invalid, with the rule they break', async () => {
    const doc = monthly();
    const report = await mustang('broken.xml', buildCiiXml({ ...doc, totalCents: doc.totalCents + 1 }));
    expect(report.valid).toBe(false);
    expect(report.xml.valid).toBe(false);
    expect(report.xml.errors).toContain('BR-CO-15'); // grand total = tax basis + VAT
  });
});

/** What the PDF carries as its embedded files, read back with poppler (independent of pdf-lib). */
async function detach(pdf: Uint8Array): Promise<{ names: string[]; first: Buffer }> {
  const file = path.join(dir, `detach-${Date.now()}.pdf`);
  fs.writeFileSync(file, pdf);
  const list = (await run('pdfdetach', ['-list', file])).stdout;
  const out = `${file}.xml`;
  await run('pdfdetach', ['-save', '1', '-o', out, file]);
  return { names: [...list.matchAll(/^\d+: (.+)$/gm)].map((m) => m[1]!), first: fs.readFileSync(out) };
}

describe('the Factur-X PDF (PDF/A-3b)', () => {
  const doc = monthly();
  const meta = { number: doc.number, issueDate: doc.issueDate, sellerName: doc.seller.legalName, title: `Facture ${doc.number}` };
  const templateData = {
    seller: doc.seller.legalName,
    number: doc.number,
    issueDate: '31 mars 2026',
    buyer: doc.buyer.legalName,
    lines: doc.lines.map((l) => ({ description: l.description, quantity: String(l.quantityMilli / 1000), total: `${(l.totalExclTaxCents / 100).toFixed(2)} €` })),
    total: '777,19 €',
  };
  let base: Buffer;

  beforeAll(async () => {
    base = await renderPdfA3(TEMPLATE, templateData);
  }, 60_000);
  afterAll(() => stopPdfRenderer());

  it('LibreOffice writes the invoice as PDF/A-3 through Carbone', () => {
    expect(base.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(base.toString('latin1')).toMatch(/<pdfaid:part>3<\/pdfaid:part>/);
  });

  it('with factur-x.xml attached, the PDF is valid PDF/A-3 and valid Factur-X, and gives back the same XML', async () => {
    const xml = buildCiiXml(doc);
    const pdf = await embedFacturX(base, xml, meta);
    const report = await mustang('invoice.pdf', pdf);
    expect(report.pdf).toEqual({ valid: true, failedClauses: [] });
    expect(report.xml).toEqual({ valid: true, errors: [] });
    expect(report.valid).toBe(true);

    const back = await detach(pdf);
    expect(back.names).toEqual([FACTURX_FILE_NAME]);
    expect(back.first.equals(Buffer.from(xml, 'utf8'))).toBe(true);

    // The same through pdf-lib: an associated file of the document (catalog /AF), typed text/xml.
    const reread = await PDFDocument.load(pdf);
    const af = reread.catalog.lookup(PDFName.of('AF'), PDFArray);
    const spec = af.lookup(0, PDFDict);
    expect(spec.get(PDFName.of('AFRelationship'))).toBe(PDFName.of('Alternative'));
    const stream = spec.lookup(PDFName.of('EF'), PDFDict).lookup(PDFName.of('F'));
    if (!(stream instanceof PDFRawStream)) throw new Error('the attachment is not a stream');
    expect(stream.dict.get(PDFName.of('Subtype'))).toBe(PDFName.of('text/xml'));
    expect(Buffer.from(decodePDFRawStream(stream).decode()).toString('utf8')).toBe(xml);
    const xmp = reread.catalog.lookup(PDFName.of('Metadata'));
    if (!(xmp instanceof PDFRawStream)) throw new Error('no XMP metadata stream');
    expect(xmp.dict.has(PDFName.of('Filter'))).toBe(false);
    const xmpText = xmp.getContentsString();
    expect(xmpText).toContain('<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>');
    expect(xmpText).toContain('<pdfaid:conformance>B</pdfaid:conformance>');
  });

  it('a PDF without an output intent gets an sRGB one and stays PDF/A', async () => {
    const stripped = await PDFDocument.load(base, { updateMetadata: false });
    stripped.catalog.delete(PDFName.of('OutputIntents'));
    const pdf = await embedFacturX(await stripped.save(), buildCiiXml(doc), meta);
    const intents = (await PDFDocument.load(pdf)).catalog.lookup(PDFName.of('OutputIntents'), PDFArray);
    expect(intents.size()).toBe(1);
    expect((await mustang('no-intent.pdf', pdf)).pdf).toEqual({ valid: true, failedClauses: [] });
  });

  it('a PDF that cannot be PDF/A (its font is not embedded) is reported invalid, clause 6.2.11.4.1', async () => {
    const plain = await PDFDocument.create();
    plain.addPage().drawText('Facture', { font: await plain.embedFont(StandardFonts.Helvetica), x: 50, y: 700 });
    const report = await mustang('not-pdfa.pdf', await embedFacturX(await plain.save(), buildCiiXml(doc), meta));
    expect(report.valid).toBe(false);
    expect(report.pdf?.valid).toBe(false);
    expect(report.pdf?.failedClauses).toContain('6.2.11.4.1');
  });
});
