import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import zlib from 'node:zlib';
import { quoteTemplateFor } from '@vigie/activities';
import { startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { startCrmWorker } from './support/crm-worker';

/** The quote PDF end to end: API → workflow → worker activity → Carbone/LibreOffice → stored document. */
let api: TestApi;
let admin: Session;
let crmWorker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  crmWorker = await startCrmWorker();
}, 60_000);
afterAll(async () => {
  await crmWorker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown) => api.call(method, `/api/v1${path}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });

function pdfText(bytes: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-', '-'], { input: bytes }).toString('utf8');
}

/** The images drawn in the PDF, as poppler's `pdfimages -list` sees them (soft masks left out). */
function pdfImages(bytes: Buffer): { width: number; height: number }[] {
  const rows = execFileSync('pdfimages', ['-list', '-'], { input: bytes }).toString('utf8').trim().split('\n').slice(2);
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[2] === 'image')
    .map((cols) => ({ width: Number(cols[3]), height: Number(cols[4]) }));
}

/** A real PNG of one colour, built here so the test needs no fixture file. */
function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = zlib.deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', pixels), chunk('IEND', Buffer.alloc(0))]);
}

async function downloadPdf(quoteId: string): Promise<Buffer> {
  const res = await fetch(`${api.url}/api/v1/quotes/${quoteId}/pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

async function uploadLogo(bytes: Buffer): Promise<void> {
  const res = await fetch(`${api.url}/api/v1/settings/logo`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'image/png' },
    body: new Uint8Array(bytes),
  });
  expect(res.status).toBe(200);
}

it('renders the quote with the tenant’s identity, the client, the lines and the totals, and stores it once', async () => {
  await call('PATCH', '/settings', {
    branding: { primaryColor: '#0f766e' },
    legal: { legalName: 'Infogérance Martin SARL', siret: '44306184100047', vatNumber: 'FR64443061841', address: { line1: '3 rue Garibaldi', postalCode: '69003', city: 'Lyon' } },
  });
  const client = (await call('POST', '/clients', { name: 'Boulangerie Dupont', siren: '380129866', billingAddress: { line1: '1 place Bellecour', postalCode: '69002', city: 'Lyon' } })).body;
  const opp = (await call('POST', '/opportunities', { clientId: client.id, title: 'Parc informatique', amountCents: 266_836 })).body;
  const quote = (await call('POST', `/opportunities/${opp.id}/quote`, {
    lines: [
      { description: 'Infogérance — forfait mensuel', quantity: 10, unitPriceCents: 8_500, vatRate: 20 },
      { description: 'Pare-feu', quantity: 1, unitPriceCents: 129_900, vatRate: 20 },
      { description: 'Formation', quantity: 3, unitPriceCents: 1_250, vatRate: 5.5 },
    ],
  })).body;

  const res = await fetch(`${api.url}/api/v1/quotes/${quote.id}/pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/pdf');
  const bytes = Buffer.from(await res.arrayBuffer());
  expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
  const text = pdfText(bytes).replace(/\u202f|\u00a0/g, ' ');
  expect(text).toContain(`Devis ${quote.number}`);
  expect(text).toContain('Boulangerie Dupont');
  expect(text).toContain('Infogérance Martin SARL');
  expect(text).toContain('Pare-feu');
  // 850 + 1 299 + 37.50 = 2 186.50 HT; VAT 429.80 + 2.06 = 431.86; TTC 2 618.36
  expect(text).toMatch(/Total HT : 2 186,50 €/);
  expect(text).toMatch(/Total TTC : 2 618,36 €/);
  expect(pdfImages(bytes)).toEqual([]); // the tenant has no logo yet: no picture at all

  // Stored as the client's quote document; a second download reuses it, an edit renders anew.
  const docs = (await call('GET', `/clients/${client.id}/documents?category=quote`)).body.items;
  expect(docs).toEqual([expect.objectContaining({ filename: `${quote.number}.pdf`, contentType: 'application/pdf' })]);
  await fetch(`${api.url}/api/v1/quotes/${quote.id}/pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect((await call('GET', `/clients/${client.id}/documents?category=quote`)).body.items).toHaveLength(1);
  await call('PATCH', `/quotes/${quote.id}`, { notes: 'Remise de 5 % incluse' });
  const again = await fetch(`${api.url}/api/v1/quotes/${quote.id}/pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(pdfText(Buffer.from(await again.arrayBuffer()))).toContain('Remise de 5 % incluse');
  expect((await call('GET', `/clients/${client.id}/documents?category=quote`)).body.items).toHaveLength(2);
}, 120_000);

it('puts the tenant’s logo on the quote, renders again when the logo changes, and leaves it out once removed', async () => {
  const client = (await call('POST', '/clients', { name: 'Garage Lefèvre' })).body;
  const opp = (await call('POST', '/opportunities', { clientId: client.id, title: 'Sauvegarde', amountCents: 50_000 })).body;
  const quote = (await call('POST', `/opportunities/${opp.id}/quote`, { lines: [{ description: 'Sauvegarde externalisée', quantity: 1, unitPriceCents: 50_000, vatRate: 20 }] })).body;
  const quoteDocs = async () => (await call('GET', `/clients/${client.id}/documents?category=quote`)).body.items as unknown[];

  expect(pdfImages(await downloadPdf(quote.id))).toEqual([]);
  await uploadLogo(png(240, 80, [220, 38, 38]));
  // The stored PDF predates the logo: rendered anew, with the logo's own pixels.
  const withLogo = await downloadPdf(quote.id);
  expect(pdfImages(withLogo)).toEqual([{ width: 240, height: 80 }]);
  expect(pdfText(withLogo)).toContain('Sauvegarde externalisée');
  expect(await quoteDocs()).toHaveLength(2);
  await downloadPdf(quote.id);
  expect(await quoteDocs()).toHaveLength(2); // nothing changed since: reused

  await uploadLogo(png(100, 100, [37, 99, 235]));
  expect(pdfImages(await downloadPdf(quote.id))).toEqual([{ width: 100, height: 100 }]);
  expect((await call('DELETE', '/settings/logo')).status).toBe(200);
  expect(pdfImages(await downloadPdf(quote.id))).toEqual([]);
  expect(await quoteDocs()).toHaveLength(4);
}, 120_000);

it('embeds the logo in the template as base64, fitted into 4.5 × 2 cm, one template per colour and logo', () => {
  const wide = png(240, 80, [220, 38, 38]);
  const tall = png(50, 200, [220, 38, 38]);
  const withWide = quoteTemplateFor('#0f766e', wide);
  const xml = fs.readFileSync(withWide, 'utf8');
  expect(xml).toContain(`<office:binary-data>${wide.toString('base64')}</office:binary-data>`);
  expect(xml).toMatch(/<draw:frame [^>]*svg:width="4\.500cm" svg:height="1\.500cm"/);
  expect(fs.readFileSync(quoteTemplateFor('#0f766e', tall), 'utf8')).toMatch(/<draw:frame [^>]*svg:width="0\.500cm" svg:height="2\.000cm"/);
  expect(quoteTemplateFor('#0f766e', tall)).not.toBe(withWide);
  expect(quoteTemplateFor('#0f766e', wide)).toBe(withWide);
  const plain = fs.readFileSync(quoteTemplateFor('#0f766e'), 'utf8');
  expect(plain).not.toContain('<draw:frame');
  expect(plain).not.toContain('<!--logo-->');
  // Bytes whose size cannot be read leave the logo out rather than fail the quote.
  expect(fs.readFileSync(quoteTemplateFor('#0f766e', Buffer.from('not an image')), 'utf8')).not.toContain('<draw:frame');
});

it('draws the template in the tenant’s colour, and falls back to the default for anything else', () => {
  const teal = fs.readFileSync(quoteTemplateFor('#0F766E'), 'utf8');
  expect(teal).toContain('#0f766e');
  expect(teal).not.toContain('#1d4ed8');
  const hostile = fs.readFileSync(quoteTemplateFor('red" onload="x'), 'utf8');
  expect(hostile).toContain('#1d4ed8');
  expect(hostile).not.toContain('onload');
});
