import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import type { Service } from '../../scripts/src/stack/process';
import { startStripeMock, STRIPE_MOCK_BIN } from '../../scripts/src/stack/stripe-mock';
import { startTestWorker } from '../../worker/test/support/worker';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, testConfig, type Session, type TestApi } from './support/harness';
import { until } from './support/until';

/**
 * Online payment of invoices through the real API, Postgres and Temporal worker, with a real stripe-mock
 * (behind a small proxy that records what we ask Stripe): a Checkout link for the balance, stored and
 * printed once; Stripe's signed webhook recording the payment once per checkout, settling the invoice and
 * ending its workflow; forged, foreign and repeated deliveries changing nothing.
 */
const WEBHOOK_SECRET = 'whsec_test';
const PUBLIC_URL = 'https://vigie.example';

let dir: string;
let mock: Service;
let recorder: http.Server;
const stripeCalls: { path: string; idempotencyKey: string | undefined; form: URLSearchParams }[] = [];
let api: TestApi;
let unconfigured: TestApi;
let admin: Session;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  if (!fs.existsSync(STRIPE_MOCK_BIN)) throw new Error(`${STRIPE_MOCK_BIN} is missing: run VIGIE_TOOLS_TEST=1 sh scripts/bin/ensure-tools.sh`);
  dir = fs.mkdtempSync(path.join(process.env.VIGIE_TEST_DATA_DIR ?? os.tmpdir(), 'stripe-mock-'));
  const stripeMock = await startStripeMock(path.join(dir, 'stripe-mock.log'));
  mock = stripeMock.service;
  recorder = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      stripeCalls.push({ path: req.url ?? '', idempotencyKey: req.headers['idempotency-key'] as string | undefined, form: new URLSearchParams(body) });
      const headers = { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? '' };
      fetch(`${stripeMock.url}${req.url}`, { method: req.method, headers, ...(req.method === 'GET' ? {} : { body }) })
        .then(async (upstream) => res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text()))
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  const apiBase = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;

  api = await startTestApi(testConfig({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_BASE: apiBase, PUBLIC_URL }));
  unconfigured = await startTestApi(testConfig({ STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' }));
  admin = await api.signup();
  worker = await startTestWorker(['billing', 'crm']);
  const legal = { legalName: 'Infogérance Martin SARL', legalForm: 'SARL', siren: '443061841', vatNumber: 'FR44443061841', address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', country: 'FR' } };
  expect((await call('PATCH', '/settings', { legal, timezone: 'Europe/Paris' })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await api?.close();
  await unconfigured?.close();
  if (recorder) await new Promise((resolve) => recorder.close(resolve));
  await mock?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const call = (method: string, p: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${p}`, { token, ...(body !== undefined ? { body } : {}) });

async function newClient(name: string): Promise<string> {
  const res = await call('POST', '/clients', { name, siren: nextSiren(), billingAddress: { line1: '1 place Bellecour', postalCode: '69002', city: 'Lyon', country: 'FR' } });
  expect(res.status).toBe(201);
  const contact = await call('POST', `/clients/${res.body.id}/contacts`, { name: 'Compta', email: `compta-${res.body.id.slice(0, 8)}@client.test`, isPrimary: true });
  expect(contact.status).toBe(201);
  return res.body.id;
}

/** An issued invoice of 500 € + 20 % VAT. */
async function issuedInvoice(clientId: string): Promise<{ id: string; number: string; totalCents: number }> {
  const draft = await call('POST', '/invoices', { clientId, lines: [{ description: 'Infogérance novembre', quantity: 1, unitPriceCents: 50_000, vatRate: 20 }] });
  expect(draft.status).toBe(201);
  const validated = await call('POST', `/invoices/${draft.body.id}/validate`);
  expect(validated.status).toBe(200);
  return { id: validated.body.id, number: validated.body.number, totalCents: validated.body.totalCents };
}

/** A Stripe event for a checkout, as Stripe sends it, and its Stripe-Signature header. */
function checkoutEvent(session: { id: string; amountCents: number; metadata: Record<string, string>; type?: string; secret?: string }) {
  const payload = JSON.stringify({
    id: `evt_${randomUUID().replaceAll('-', '')}`,
    object: 'event',
    type: session.type ?? 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: session.id, object: 'checkout.session', mode: 'payment', payment_status: 'paid', amount_total: session.amountCents, currency: 'eur', metadata: session.metadata } },
  });
  const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: session.secret ?? WEBHOOK_SECRET });
  return { payload, signature };
}

const deliver = (target: TestApi, event: { payload: string; signature: string }) =>
  target.call('POST', '/api/v1/webhooks/stripe', { rawBody: event.payload, headers: { 'content-type': 'application/json', 'stripe-signature': event.signature } });

const stripePayments = async (clientId: string) => (await call('GET', `/payments?clientId=${clientId}&method=stripe`)).body.items as any[];

describe('an invoice paid online', () => {
  let clientId: string;
  let invoice: { id: string; number: string; totalCents: number };
  let url: string;
  const sessionId = `cs_test_${randomUUID().replaceAll('-', '')}`;
  const metadata = () => ({ tenantId: admin.user.tenantId, invoiceId: invoice.id, invoiceNumber: invoice.number });

  beforeAll(async () => {
    clientId = await newClient('Boulangerie Dupain');
    invoice = await issuedInvoice(clientId);
  });

  it('gets a Checkout link for its balance, stored on the invoice and in its history, made once', async () => {
    stripeCalls.length = 0;
    const res = await call('POST', `/invoices/${invoice.id}/payment-link`);
    expect(res.status).toBe(200);
    url = res.body.url;
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.com\//);

    expect(stripeCalls).toHaveLength(1);
    const [request] = stripeCalls;
    expect(request!.path).toBe('/v1/checkout/sessions');
    expect(request!.idempotencyKey).toBe(`invoice-payment-link:${invoice.id}:${invoice.totalCents}`);
    expect(Object.fromEntries(request!.form)).toMatchObject({
      'line_items[0][price_data][unit_amount]': String(invoice.totalCents),
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][product_data][name]': `Facture ${invoice.number}`,
      customer_email: `compta-${clientId.slice(0, 8)}@client.test`,
      'metadata[tenantId]': admin.user.tenantId,
      'metadata[invoiceId]': invoice.id,
      success_url: `${PUBLIC_URL}/portal/invoices/${invoice.id}?payment=done`,
      cancel_url: `${PUBLIC_URL}/portal/invoices/${invoice.id}?payment=cancelled`,
    });

    const shown = (await call('GET', `/invoices/${invoice.id}`)).body;
    expect(shown.paymentUrl).toBe(url);
    expect(shown.events.filter((e: any) => e.kind === 'payment_link')).toEqual([
      expect.objectContaining({ actorName: 'Alice Admin', detail: expect.objectContaining({ url, amountCents: invoice.totalCents, currency: 'EUR', providerRef: expect.stringMatching(/^cs_/) }) }),
    ]);

    // Asked again: the same link, Stripe not called.
    const again = await call('POST', `/invoices/${invoice.id}/payment-link`);
    expect(again).toMatchObject({ status: 200, body: { url } });
    expect(stripeCalls).toHaveLength(1);
    expect((await call('GET', `/invoices/${invoice.id}`)).body.events.filter((e: any) => e.kind === 'payment_link')).toHaveLength(1);
  });

  it('is for finance only, and refuses drafts', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    expect((await call('POST', `/invoices/${invoice.id}/payment-link`, undefined, tech.token)).status).toBe(403);
    const manager = await sessionAs(api, admin, 'manager');
    expect((await call('POST', `/invoices/${invoice.id}/payment-link`, undefined, manager.token)).body).toEqual({ url });
    const draft = await call('POST', '/invoices', { clientId, lines: [{ description: 'Pas encore', quantity: 1, unitPriceCents: 1_000, vatRate: 20 }] });
    const refused = await call('POST', `/invoices/${draft.body.id}/payment-link`);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/draft/);
    expect((await call('POST', `/invoices/${randomUUID()}/payment-link`)).status).toBe(404);
  });

  it('refuses a webhook with a bad signature, an altered body or no signature, and writes nothing', async () => {
    const forged = checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata(), secret: 'whsec_someone_else' });
    const res = await deliver(api, forged);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: 'urn:vigie:problem:invalid_input', detail: expect.stringContaining('Stripe-Signature') });
    const genuine = checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata() });
    expect((await deliver(api, { payload: genuine.payload.replace(String(invoice.totalCents), '1'), signature: genuine.signature })).status).toBe(400);
    expect((await api.call('POST', '/api/v1/webhooks/stripe', { rawBody: genuine.payload, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    // Not JSON: refused before anything is read.
    expect((await api.call('POST', '/api/v1/webhooks/stripe', { rawBody: 'a=b', headers: { 'content-type': 'application/x-www-form-urlencoded', 'stripe-signature': genuine.signature } })).status).toBe(400);

    expect(await stripePayments(clientId)).toEqual([]);
    expect((await call('GET', `/invoices/${invoice.id}`)).body).toMatchObject({ paidCents: 0, balanceCents: invoice.totalCents });
  });

  it('acknowledges events it does not act on and checkouts for invoices it does not know', async () => {
    const expired = await deliver(api, checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata(), type: 'checkout.session.expired' }));
    expect(expired).toMatchObject({ status: 200, body: { received: true, ignored: 'not a payment event' } });
    const unknown = await deliver(api, checkoutEvent({ id: `cs_test_${randomUUID()}`, amountCents: 1_000, metadata: { tenantId: admin.user.tenantId, invoiceId: randomUUID() } }));
    expect(unknown).toMatchObject({ status: 200, body: { received: true, ignored: 'unknown invoice' } });
    const garbled = await deliver(api, checkoutEvent({ id: `cs_test_${randomUUID()}`, amountCents: 1_000, metadata: { tenantId: 'not-a-tenant', invoiceId: 'x' } }));
    expect(garbled).toMatchObject({ status: 200, body: { ignored: 'unknown invoice' } });
    // Another tenant's id with our invoice: the invoice is not found there (RLS), nothing is recorded anywhere.
    const other = await api.signup();
    const foreign = await deliver(api, checkoutEvent({ id: `cs_test_${randomUUID()}`, amountCents: invoice.totalCents, metadata: { ...metadata(), tenantId: other.user.tenantId } }));
    expect(foreign).toMatchObject({ status: 200, body: { ignored: 'unknown invoice' } });
    expect((await api.call('GET', '/api/v1/payments', { token: other.token })).body.items).toEqual([]);
    expect(await stripePayments(clientId)).toEqual([]);
  });

  it('records the payment of a paid checkout, settles the invoice and stops its dunning', async () => {
    const res = await deliver(api, checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata() }));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, paymentId: expect.any(String) });

    const paid = (await call('GET', `/invoices/${invoice.id}`)).body;
    expect(paid).toMatchObject({ status: 'paid', balanceCents: 0, paidCents: invoice.totalCents });
    expect(paid.payments).toEqual([expect.objectContaining({ paymentId: res.body.paymentId, method: 'stripe', reference: sessionId, amountCents: invoice.totalCents })]);
    expect(paid.events.map((e: any) => e.kind)).toEqual(expect.arrayContaining(['payment_link', 'payment', 'paid']));
    expect(await stripePayments(clientId)).toEqual([
      expect.objectContaining({ id: res.body.paymentId, method: 'stripe', reference: sessionId, amountCents: invoice.totalCents, currency: 'EUR', unallocatedCents: 0, paidAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) }),
    ]);
    const audit = (await call('GET', `/audit-log?entity=payment&entityId=${res.body.paymentId}`)).body.items;
    expect(audit).toEqual([expect.objectContaining({ action: 'payment.record', actorId: null, actorName: 'Stripe' })]);

    // The paid signal reached the workflow: no dunning ahead (it still waits for its e-mail's delivery, no SMTP here).
    const state = await until('the invoice workflow to see the payment', async () => {
      const wf = (await call('GET', `/invoices/${invoice.id}/workflow`)).body;
      return wf.phase === 'paid' ? wf : undefined;
    }, 90_000);
    expect(state).toMatchObject({ workflowId: expect.stringContaining(invoice.id), nextStep: null });
  }, 120_000);

  it('takes a repeated delivery of the same checkout as done: still one payment', async () => {
    const first = await stripePayments(clientId);
    const again = await deliver(api, checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata() }));
    expect(again).toMatchObject({ status: 200, body: { received: true, duplicate: true, paymentId: first[0].id } });
    // Even two at once.
    const both = await Promise.all([1, 2].map(() => deliver(api, checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: metadata() }))));
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(await stripePayments(clientId)).toHaveLength(1);
    expect((await call('GET', `/invoices/${invoice.id}`)).body).toMatchObject({ status: 'paid', paidCents: invoice.totalCents });
  });

  it('gives no link for a paid invoice', async () => {
    const res = await call('POST', `/invoices/${invoice.id}/payment-link`);
    expect(res.status).toBe(409);
    expect(res.body.detail).toMatch(/settled/);
  });
});

it('makes a new link for the new balance after a partial payment', async () => {
  const clientId = await newClient('Garage Central');
  const invoice = await issuedInvoice(clientId);
  expect((await call('POST', `/invoices/${invoice.id}/payment-link`)).status).toBe(200);
  expect((await call('POST', '/payments', { clientId, paidAt: '2026-11-20', method: 'transfer', amountCents: 10_000, invoiceIds: [invoice.id] })).status).toBe(201);
  stripeCalls.length = 0;
  const res = await call('POST', `/invoices/${invoice.id}/payment-link`);
  expect(res.status).toBe(200);
  const left = invoice.totalCents - 10_000;
  expect(stripeCalls.map((c) => [c.idempotencyKey, c.form.get('line_items[0][price_data][unit_amount]')])).toEqual([[`invoice-payment-link:${invoice.id}:${left}`, String(left)]]);
  const links = (await call('GET', `/invoices/${invoice.id}`)).body.events.filter((e: any) => e.kind === 'payment_link');
  expect(links.map((e: any) => e.detail.amountCents)).toEqual([invoice.totalCents, left]);
});

it('keeps the money of a checkout paid after the invoice was settled otherwise, unallocated', async () => {
  const clientId = await newClient('Cabinet Leroy');
  const invoice = await issuedInvoice(clientId);
  expect((await call('POST', `/invoices/${invoice.id}/payment-link`)).status).toBe(200);
  expect((await call('POST', '/payments', { clientId, paidAt: '2026-11-20', method: 'transfer', amountCents: invoice.totalCents, invoiceIds: [invoice.id] })).status).toBe(201);
  const sessionId = `cs_test_${randomUUID().replaceAll('-', '')}`;
  const res = await deliver(api, checkoutEvent({ id: sessionId, amountCents: invoice.totalCents, metadata: { tenantId: admin.user.tenantId, invoiceId: invoice.id } }));
  expect(res).toMatchObject({ status: 200, body: { received: true, paymentId: expect.any(String) } });
  expect(await stripePayments(clientId)).toEqual([expect.objectContaining({ reference: sessionId, amountCents: invoice.totalCents, unallocatedCents: invoice.totalCents, allocations: [] })]);
  expect((await call('GET', `/invoices/${invoice.id}`)).body).toMatchObject({ status: 'paid', paidCents: invoice.totalCents });
});

it('says online payment is not configured when Stripe has no key', async () => {
  const owner = await unconfigured.signup();
  const as = (method: string, p: string, body?: unknown) => unconfigured.call(method, `/api/v1${p}`, { token: owner.token, ...(body !== undefined ? { body } : {}) });
  await as('PATCH', '/settings', { legal: { siren: nextSiren(), address: { line1: '1 rue A', postalCode: '75001', city: 'Paris', country: 'FR' } } });
  const client = await as('POST', '/clients', { name: 'Sans Stripe', siren: nextSiren() });
  const draft = await as('POST', '/invoices', { clientId: client.body.id, lines: [{ description: 'x', quantity: 1, unitPriceCents: 1_000, vatRate: 20 }] });
  expect((await as('POST', `/invoices/${draft.body.id}/validate`)).status).toBe(200);
  const res = await as('POST', `/invoices/${draft.body.id}/payment-link`);
  expect(res.status).toBe(409);
  expect(res.body.detail).toContain('STRIPE_SECRET_KEY');
  const webhook = await deliver(unconfigured, checkoutEvent({ id: 'cs_test_x', amountCents: 1_200, metadata: { tenantId: owner.user.tenantId, invoiceId: draft.body.id } }));
  expect(webhook.status).toBe(503);
  expect(webhook.body.detail).toContain('STRIPE_SECRET_KEY');
});
