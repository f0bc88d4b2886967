import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
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

it('draws the template in the tenant’s colour, and falls back to the default for anything else', () => {
  const teal = fs.readFileSync(quoteTemplateFor('#0F766E'), 'utf8');
  expect(teal).toContain('#0f766e');
  expect(teal).not.toContain('#1d4ed8');
  const hostile = fs.readFileSync(quoteTemplateFor('red" onload="x'), 'utf8');
  expect(hostile).toContain('#1d4ed8');
  expect(hostile).not.toContain('onload');
});
