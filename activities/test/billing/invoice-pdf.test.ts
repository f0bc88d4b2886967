import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { creditNote, VAT_EXEMPTION_MENTIONS, type InvoiceDocument } from '@vigie/core';
import { stopPdfRenderer } from '../../src/billing/facturx';
import { checkInvoiceTemplate, invoiceTemplateData, renderInvoicePdfBytes, sampleInvoiceDocument } from '../../src/billing/invoice-pdf';
import { ROOT } from '../../../scripts/src/stack/paths';

/**
 * The invoice PDF through the real Carbone and LibreOffice: what it prints (read back with pdftotext),
 * the Factur-X attachment (pdfdetach), the whole file checked by the Mustang validator
 * (scripts/bin/tools.d/facturx.sh), a tenant's own .odt template, and the refusal of bad uploads.
 */
const FIXTURES = path.join(__dirname, 'fixtures', 'invoice');
const MUSTANG = path.join(ROOT, 'scripts', 'tools', 'mustang', 'validate.sh');
const LOOK = { color: '#0f766e', footer: 'Merci de rappeler le numéro de facture avec votre virement.', locale: 'fr' } as const;

let dir: string;
/** The fixtures saved by LibreOffice, as a tenant's upload would be: custom.odt, broken.odt, custom.docx. */
const uploads: Record<string, Buffer> = {};

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(process.env.VIGIE_TEST_DATA_DIR ?? os.tmpdir(), 'invoice-pdf-'));
  const soffice = (format: string, ...files: string[]) =>
    execFileSync('soffice', [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', format, '--outdir', dir, ...files.map((f) => path.join(FIXTURES, f))], { stdio: 'pipe' });
  soffice('odt', 'custom.fodt', 'broken.fodt');
  soffice('docx', 'custom.fodt');
  for (const name of ['custom.odt', 'broken.odt', 'custom.docx']) uploads[name] = fs.readFileSync(path.join(dir, name));
}, 60_000);
afterAll(async () => {
  await stopPdfRenderer(); // LibreOffice stays warm otherwise, and Jest would wait for it
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The PDF's text, whitespace collapsed (pdftotext wraps long paragraphs; Intl spaces are narrow no-break ones). */
function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf }).toString('utf8').replace(/\s+/g, ' ');
}

function writeTemp(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** The embedded files' names and the Factur-X XML, as poppler reads them. */
function attachments(pdf: Buffer): { names: string[]; xml: string } {
  const file = writeTemp('attached.pdf', pdf);
  const names = execFileSync('pdfdetach', ['-list', file]).toString('utf8').split('\n').slice(1).filter(Boolean).map((l) => l.replace(/^\d+: /, ''));
  const xml = path.join(dir, 'factur-x.xml');
  execFileSync('pdfdetach', ['-save', '1', '-o', xml, file]);
  return { names, xml: fs.readFileSync(xml, 'utf8') };
}

/** Mustang's verdict on the whole PDF (PDF/A-3 through veraPDF, XSD and EN 16931 schematrons). */
function mustang(pdf: Buffer): { valid: boolean; report: string } {
  const run = spawnSync('sh', [MUSTANG, writeTemp('validate.pdf', pdf)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { valid: run.status === 0 && !run.stdout.includes('status="invalid"'), report: `${run.stdout}\n${run.stderr}` };
}

/** A credit note for part of the sample invoice, computed by core as on issue. */
function sampleCreditNote(invoice: InvoiceDocument): InvoiceDocument {
  const result = creditNote({ lines: invoice.lines, vatRounding: 'per_rate' }, [], [
    { lineIndex: 1, quantityMilli: 2_500 },
    { lineIndex: 3, quantityMilli: 1_000 },
  ]);
  if (!result.ok) throw new Error(result.reason);
  const credit = result.creditNote;
  return {
    ...invoice,
    kind: 'credit_note',
    number: 'A-2026-0007',
    issueDate: '2026-02-10',
    dueDate: '2026-02-10',
    precedingInvoice: { number: invoice.number, issueDate: invoice.issueDate },
    lines: credit.lines.map((l) => ({ ...invoice.lines[l.lineIndex]!, quantityMilli: l.quantityMilli, totalExclTaxCents: l.totalExclTaxCents })),
    vat: credit.vat.map((v) => ({ ...v, vatExemption: null })),
    totalExclTaxCents: credit.totalExclTaxCents,
    totalTaxCents: credit.totalTaxCents,
    totalCents: credit.totalCents,
    mentions: ['Avoir sur la facture n° F-2026-0042 du 31/01/2026'],
    notes: '',
  };
}

/** A real one-colour PNG, so the logo needs no fixture file. */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length);
    head.writeUInt32BE(zlib.crc32(body), 4);
    return Buffer.concat([head.subarray(0, 4), body, head.subarray(4)]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x33)]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), chunk('IHDR', ihdr), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

it('prints the sample invoice in French: identities, lines, VAT per rate, totals, bank details and every legal mention', async () => {
  const doc = sampleInvoiceDocument();
  const pdf = await renderInvoicePdfBytes(doc, LOOK);
  const text = pdfText(pdf);
  for (const expected of [
    'FACTURE N° F-2026-0042',
    'Infogérance Martin SARL',
    'SARL au capital de 10 000 €',
    'RCS Lyon 443 061 841',
    'SIRET 44306184100047 · TVA FR64443061841',
    'Boulangerie Dupont SAS',
    'SIREN 380129866',
    'TVA FR32380129866',
    'Date d’émission 31/01/2026',
    'Date d’échéance 02/03/2026',
    'Période 01/01/2026 – 31/01/2026',
    'Votre référence BC-2026-118',
    'Intervention sur site 2,5 h 72,00 € 20 % 180,00 €',
    'Pare-feu 1 unité 1 299,00 € 20 % 1 299,00 €',
    '20 % 2 329,00 € 465,80 €',
    '5,5 % 37,50 € 2,06 €',
    'Total HT 2 366,50 €',
    'Total TVA 467,86 €',
    'Total TTC 2 834,36 €',
    'Conditions de paiement : 30 jours net',
    'IBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPPXXX',
    'Merci de votre confiance.',
    LOOK.footer,
    ...doc.mentions,
  ])
    expect(text).toContain(expected);
  expect(doc.mentions).toHaveLength(4); // due date, no discount, penalties, 40 € indemnity

  const { names, xml } = attachments(pdf);
  expect(names).toEqual(['factur-x.xml']);
  expect(xml).toContain('<ram:ID>F-2026-0042</ram:ID>');
  const verdict = mustang(pdf);
  expect({ valid: verdict.valid, report: verdict.valid ? '' : verdict.report }).toEqual({ valid: true, report: '' });
}, 60_000);

it('prints a credit note as AVOIR naming the invoice it corrects, with negative amounts and no payment request', async () => {
  const doc = sampleCreditNote(sampleInvoiceDocument());
  const pdf = await renderInvoicePdfBytes(doc, LOOK);
  const text = pdfText(pdf);
  for (const expected of [
    'AVOIR N° A-2026-0007 Avoir sur la facture n° F-2026-0042 du 31/01/2026',
    'Intervention sur site 2,5 h 72,00 € 20 % -180,00 €',
    'Manuel utilisateur imprimé 1 unité 12,50 € 5,5 % -12,50 €',
    'Total HT -192,50 €',
    'Total TVA -36,69 €', // 36,00 + 0,69 (5,5 % of 12,50 rounded half up)
    'Total TTC -229,19 €',
  ])
    expect(text).toContain(expected);
  expect(text).not.toContain('Date d’échéance');
  expect(text).not.toContain('IBAN');

  const { names, xml } = attachments(pdf);
  expect(names).toEqual(['factur-x.xml']);
  expect(xml).toContain('<ram:TypeCode>381</ram:TypeCode>');
  const verdict = mustang(pdf);
  expect({ valid: verdict.valid, report: verdict.valid ? '' : verdict.report }).toEqual({ valid: true, report: '' });
}, 60_000);

it('prints in English for an English tenant, with the logo, a foreign buyer and a VAT exemption', async () => {
  const sample = sampleInvoiceDocument();
  const doc: InvoiceDocument = {
    ...sample,
    buyer: { ...sample.buyer, legalName: 'Brasserie Janssens SRL', siren: '', siret: '', vatNumber: 'BE0123456749', address: { line1: 'Grand-Place 1', line2: '', postalCode: '1000', city: 'Bruxelles', country: 'BE' } },
    lines: [{ ...sample.lines[0]!, vatRateBp: 0, vatExemption: 'reverse_charge' }],
    vat: [{ vatRateBp: 0, vatExemption: 'reverse_charge', baseCents: 85_000, taxCents: 0 }],
    totalExclTaxCents: 85_000,
    totalTaxCents: 0,
    totalCents: 85_000,
    mentions: [VAT_EXEMPTION_MENTIONS.reverse_charge, ...sample.mentions],
  };
  const pdf = await renderInvoicePdfBytes(doc, { ...LOOK, locale: 'en', logo: png(300, 100) });
  const text = pdfText(pdf);
  for (const expected of ['INVOICE No. F-2026-0042', 'Belgium', 'VAT BE0123456749', 'Due date 02/03/2026', '10 unit €85.00 0% €850.00', 'Total incl. VAT €850.00', 'Autoliquidation'])
    expect(text).toContain(expected);
  const images = execFileSync('pdfimages', ['-list', writeTemp('logo.pdf', pdf)]).toString('utf8');
  expect(images).toMatch(/image\s+300\s+100\b/);
}, 60_000);

it('formats the template data from the document’s integer units', () => {
  const doc = sampleInvoiceDocument();
  const data = invoiceTemplateData({ ...doc, lines: [{ ...doc.lines[0]!, quantityMilli: 1_125, unitCode: 'HUR', vatRateBp: 550 }] }, 'en', 'Thanks');
  expect(data.lines[0]).toMatchObject({ quantity: '1.125', unit: 'h', unitPrice: '€85.00', vatRate: '5.5%' });
  expect(data).toMatchObject({ title: 'INVOICE', issueDate: '31/01/2026', total: '€2,834.36', footer: 'Thanks', subtitle: [] });
});

it('renders with the tenant’s own .odt template, still as a Factur-X PDF', async () => {
  await expect(checkInvoiceTemplate(uploads['custom.odt']!)).resolves.toBeUndefined();
  const pdf = await renderInvoicePdfBytes(sampleInvoiceDocument(), { ...LOOK, template: uploads['custom.odt']! });
  const text = pdfText(pdf);
  expect(text).toContain('Modèle maison — FACTURE F-2026-0042');
  expect(text).toContain('Net à payer : 2 834,36 €');
  expect(text).not.toContain('Total TTC'); // the built-in layout is not used
  expect(attachments(pdf).names).toEqual(['factur-x.xml']);
}, 60_000);

it('refuses an uploaded template that is not an ODT or that Carbone cannot fill', async () => {
  const refusal = (bytes: Buffer) => checkInvoiceTemplate(bytes).then(() => null, (err: Error & { kind?: string }) => ({ kind: err.kind, message: err.message }));
  expect(await refusal(Buffer.from('not a document at all, just some random bytes'))).toEqual({
    kind: 'invalid_input',
    message: 'the invoice template must be an OpenDocument text file (.odt); this file is not one',
  });
  expect(await refusal(uploads['custom.docx']!)).toEqual({
    kind: 'invalid_input',
    message: 'the invoice template must be an OpenDocument text file (.odt): save it as .odt from LibreOffice or Word',
  });
  expect(await refusal(fs.readFileSync(path.join(FIXTURES, 'custom.fodt')))).toMatchObject({ kind: 'invalid_input' }); // flat XML, not a package
  expect(await refusal(uploads['broken.odt']!)).toEqual({
    kind: 'invalid_input',
    message: expect.stringMatching(/^the invoice template cannot be rendered: Formatter "enMajuscules" does not exist/),
  });
}, 60_000);
