import { startTestApi, sessionAs, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
let tenant: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  tenant = admin;
});
afterAll(() => api.close());

const call = (method: string, path: string, body?: unknown, token = tenant.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

async function opportunity(title = 'Infogérance') {
  const clientId = (await call('POST', '/clients', { name: `Client ${title}` })).body.id;
  return (await call('POST', '/opportunities', { clientId, title, amountCents: 500_000 })).body;
}

const LINES = [
  { description: 'Infogérance — forfait mensuel', quantity: 10, unitPriceCents: 8_500, vatRate: 20 },
  { description: 'Pare-feu', quantity: 1, unitPriceCents: 129_900, vatRate: 20 },
  { description: 'Formation (taux réduit)', quantity: 3, unitPriceCents: 1_250, vatRate: 5.5 },
  { description: 'Frais de port', quantity: 1, unitPriceCents: 5_000, vatRate: 0 },
];

it('creates a numbered draft with hand-checked totals and a VAT breakdown', async () => {
  const opp = await opportunity();
  const year = new Date().getUTCFullYear();
  const res = await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES, notes: 'Paiement à 30 jours' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({
    number: `DEV-${year}-0001`,
    status: 'draft',
    opportunityId: opp.id,
    currency: 'EUR',
    vatRounding: 'per_rate',
    // 850.00 + 1 299.00 + 37.50 + 50.00 = 2 236.50 HT; VAT 429.80 + 2.0625→2.06 + 0 = 431.86; TTC 2 668.36
    totalExclTaxCents: 223_650,
    totalTaxCents: 43_186,
    totalCents: 266_836,
    vat: [
      { vatRate: 20, baseCents: 214_900, taxCents: 42_980 },
      { vatRate: 5.5, baseCents: 3_750, taxCents: 206 },
      { vatRate: 0, baseCents: 5_000, taxCents: 0 },
    ],
  });
  expect(res.body.lines.map((l: { totalExclTaxCents: number }) => l.totalExclTaxCents)).toEqual([85_000, 129_900, 3_750, 5_000]);
  const second = await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES.slice(0, 1) });
  expect(second.body.number).toBe(`DEV-${year}-0002`);
  // Numbering is per tenant.
  const other = await api.signup();
  const otherOpp = (await api.call('POST', '/api/v1/opportunities', {
    token: other.token,
    body: { clientId: (await api.call('POST', '/api/v1/clients', { token: other.token, body: { name: 'O' } })).body.id, title: 'O', amountCents: 1 },
  })).body;
  const otherQuote = await api.call('POST', `/api/v1/opportunities/${otherOpp.id}/quote`, { token: other.token, body: { lines: LINES } });
  expect(otherQuote.body.number).toBe(`DEV-${year}-0001`);
});

it('recomputes totals when a draft changes, switches VAT rounding explicitly, and freezes once sent', async () => {
  const opp = await opportunity('Rounding');
  const cents = [1, 2, 3].map(() => ({ description: 'Petit article', quantity: 1, unitPriceCents: 13, vatRate: 5.5 }));
  const quote = (await call('POST', `/opportunities/${opp.id}/quote`, { lines: cents })).body;
  expect(quote).toMatchObject({ totalExclTaxCents: 39, totalTaxCents: 2, totalCents: 41 });
  const perLine = await call('PATCH', `/quotes/${quote.id}`, { vatRounding: 'per_line' });
  expect(perLine.body).toMatchObject({ vatRounding: 'per_line', totalTaxCents: 3, totalCents: 42 });
  const relined = await call('PATCH', `/quotes/${quote.id}`, { lines: [{ description: 'Heure', quantity: 1.5, unitPriceCents: 8_500, vatRate: 20 }] });
  expect(relined.body).toMatchObject({ totalExclTaxCents: 12_750, totalTaxCents: 2_550, totalCents: 15_300 });

  expect((await call('POST', `/quotes/${quote.id}/send`)).body.status).toBe('sent');
  expect((await call('PATCH', `/quotes/${quote.id}`, { notes: 'trop tard' })).status).toBe(409);
  expect((await call('POST', `/quotes/${quote.id}/send`)).status).toBe(409);
});

it('accepting a quote wins the opportunity; a won opportunity takes no new quote', async () => {
  const opp = await opportunity('Gagnée');
  const quote = (await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES })).body;
  await call('POST', `/quotes/${quote.id}/send`);
  const accepted = await call('POST', `/quotes/${quote.id}/accept`);
  expect(accepted.body).toMatchObject({ status: 'accepted' });
  expect(accepted.body.acceptedAt).not.toBeNull();
  const won = await call('GET', `/opportunities/${opp.id}`);
  expect(won.body).toMatchObject({ stageKind: 'won', probability: 100 });
  expect((await call('POST', `/quotes/${quote.id}/decline`)).status).toBe(409);
  expect((await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES })).status).toBe(409);
});

it('rejects bad lines field by field', async () => {
  const opp = await opportunity('Bad');
  const res = await call('POST', `/opportunities/${opp.id}/quote`, {
    lines: [
      { description: '', quantity: 0, unitPriceCents: -1, vatRate: 20.555 },
      { description: 'ok', quantity: 1.0005, unitPriceCents: 1.5, vatRate: 101 },
    ],
  });
  expect(res.status).toBe(400);
  expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
    'lines.0.description',
    'lines.0.quantity',
    'lines.0.unitPriceCents',
    'lines.0.vatRate',
    'lines.1.quantity',
    'lines.1.unitPriceCents',
    'lines.1.vatRate',
  ]);
  expect((await call('POST', `/opportunities/${opp.id}/quote`, { lines: [] })).status).toBe(400);
  expect((await call('GET', `/quotes?opportunityId=${opp.id}`)).body.items).toEqual([]);
  const tech = await sessionAs(api, admin, 'technician');
  expect((await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES }, tech.token)).status).toBe(403);
});

it('shows opportunities and quotes in the client timeline', async () => {
  const opp = await opportunity('Chronologie');
  const quote = (await call('POST', `/opportunities/${opp.id}/quote`, { lines: LINES })).body;
  const timeline = (await call('GET', `/clients/${opp.clientId}/timeline`)).body.items;
  expect(timeline.map((e: { source: string; title: string }) => `${e.source}:${e.title}`)).toEqual([
    `quote:${quote.number}`,
    'opportunity:Chronologie',
    'client:Client Chronologie',
  ]);
});
