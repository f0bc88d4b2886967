import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Stripe from 'stripe';
import {
  createPaymentProvider,
  PaymentProviderError,
  StripePaymentProvider,
  WebhookSignatureError,
  type PaymentLinkInput,
} from '../../src/billing/payments';
import { freePort } from '../../../scripts/src/stack/ports';
import type { Service } from '../../../scripts/src/stack/process';
import { startStripeMock, STRIPE_MOCK_BIN } from '../../../scripts/src/stack/stripe-mock';

/**
 * The Stripe payment provider against a real stripe-mock (built by scripts/bin/ensure-tools.sh), started
 * here on a free port. stripe-mock validates requests against Stripe's OpenAPI spec and answers fixtures,
 * so what we send is read back through a small recording proxy in front of it.
 */
const KEY = 'sk_test_vigie';
const WEBHOOK_SECRET = 'whsec_vigie_test';

interface Seen {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  form: URLSearchParams;
}

let dir: string;
let mock: Service;
let mockUrl: string;
let recorder: http.Server;
let recorderUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  if (!fs.existsSync(STRIPE_MOCK_BIN)) throw new Error(`${STRIPE_MOCK_BIN} is missing: run VIGIE_TOOLS_TEST=1 sh scripts/bin/ensure-tools.sh`);
  dir = fs.mkdtempSync(path.join(process.env.VIGIE_TEST_DATA_DIR ?? os.tmpdir(), 'stripe-mock-'));
  ({ service: mock, url: mockUrl } = await startStripeMock(path.join(dir, 'stripe-mock.log')));

  recorder = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, form: new URLSearchParams(body) });
      const headers = { authorization: req.headers.authorization ?? '', 'content-type': req.headers['content-type'] ?? '' };
      fetch(`${mockUrl}${req.url}`, { method: req.method, headers, ...(req.method === 'GET' ? {} : { body }) })
        .then(async (upstream) => res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text()))
        .catch((err: Error) => res.writeHead(502).end(err.message));
    });
  });
  await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
  recorderUrl = `http://127.0.0.1:${(recorder.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (recorder) await new Promise((resolve) => recorder.close(resolve));
  await mock?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const provider = (options: { secretKey?: string; apiBase?: string; webhookSecret?: string } = {}) =>
  new StripePaymentProvider({ secretKey: KEY, webhookSecret: WEBHOOK_SECRET, apiBase: recorderUrl, maxNetworkRetries: 0, ...options });

function linkInput(overrides: Partial<PaymentLinkInput> = {}): PaymentLinkInput {
  return {
    tenantId: randomUUID(),
    invoiceId: randomUUID(),
    invoiceNumber: 'F-2026-0042',
    amountCents: 123_456,
    currency: 'EUR',
    customerEmail: 'compta@client.example',
    successUrl: 'https://vigie.example/portal/invoices/42?paid=1',
    cancelUrl: 'https://vigie.example/portal/invoices/42',
    ...overrides,
  };
}

describe('createPaymentLink against stripe-mock', () => {
  beforeEach(() => {
    seen.length = 0;
  });

  it('creates a payment-mode checkout for the balance, tagged with tenant and invoice, and returns its id and URL', async () => {
    const input = linkInput({ idempotencyKey: `pay-link:${randomUUID()}` });
    const link = await provider().createPaymentLink(input);

    expect(link.providerRef).toMatch(/^cs_/);
    expect(new URL(link.url).protocol).toBe('https:');
    // stripe-mock's fixture expiry (1234567890), converted to UTC ISO.
    expect(link.expiresAt).toBe('2009-02-13T23:31:30.000Z');

    expect(seen).toHaveLength(1);
    const [request] = seen;
    expect(request!.method).toBe('POST');
    expect(request!.path).toBe('/v1/checkout/sessions');
    expect(request!.headers['idempotency-key']).toBe(input.idempotencyKey);
    expect(Object.fromEntries(request!.form)).toEqual({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '123456',
      'line_items[0][price_data][product_data][name]': 'Facture F-2026-0042',
      customer_email: input.customerEmail,
      client_reference_id: input.invoiceId,
      'metadata[tenantId]': input.tenantId,
      'metadata[invoiceId]': input.invoiceId,
      'metadata[invoiceNumber]': 'F-2026-0042',
      'payment_intent_data[metadata][tenantId]': input.tenantId,
      'payment_intent_data[metadata][invoiceId]': input.invoiceId,
      'payment_intent_data[metadata][invoiceNumber]': 'F-2026-0042',
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
    });
  });

  it('works against stripe-mock directly too (STRIPE_API_BASE without the proxy)', async () => {
    const link = await provider({ apiBase: mockUrl }).createPaymentLink(linkInput());
    expect(link.providerRef).toMatch(/^cs_/);
    expect(link.url).toMatch(/^https:\/\//);
  });

  it('refuses a zero, negative or fractional balance before calling Stripe (stripe-mock would accept a negative one)', async () => {
    for (const amountCents of [0, -500, 12.5]) {
      const error = await provider().createPaymentLink(linkInput({ amountCents })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PaymentProviderError);
      expect(error).toMatchObject({ retryable: false, message: expect.stringContaining('positive number of cents') });
    }
    expect(seen).toHaveLength(0);
  });

  it('surfaces a request Stripe rejects (bad API key) as a clear, non-retryable error', async () => {
    const error = await provider({ secretKey: 'not-a-key' }).createPaymentLink(linkInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ retryable: false, details: { status: 401 } });
    expect((error as Error).message).toMatch(/^Stripe call for invoice F-2026-0042 failed \(StripeAuthenticationError\): .*API key/);
  });

  it('marks an unreachable Stripe as retryable', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const error = await provider({ apiBase: closed }).createPaymentLink(linkInput()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PaymentProviderError);
    expect(error).toMatchObject({ retryable: true });
    expect((error as Error).message).toContain('StripeConnectionError');
  });
});

describe('parseWebhook', () => {
  const tenantId = randomUUID();
  const invoiceId = randomUUID();
  const now = () => Math.floor(Date.now() / 1000);

  function checkoutEvent(type: string, session: Record<string, unknown> = {}): string {
    return JSON.stringify({
      id: 'evt_test_1',
      object: 'event',
      type,
      created: 1_780_000_000,
      data: {
        object: {
          id: 'cs_test_paid',
          object: 'checkout.session',
          mode: 'payment',
          payment_status: 'paid',
          amount_total: 123_456,
          currency: 'eur',
          metadata: { tenantId, invoiceId, invoiceNumber: 'F-2026-0042' },
          ...session,
        },
      },
    });
  }

  const sign = (payload: string, opts: { secret?: string; timestamp?: number } = {}) =>
    Stripe.webhooks.generateTestHeaderString({ payload, secret: opts.secret ?? WEBHOOK_SECRET, timestamp: opts.timestamp ?? now() });

  const parse = (payload: string, header: string) => provider().parseWebhook(Buffer.from(payload), header);

  it('reads a paid checkout.session.completed as a payment of the invoice', () => {
    const payload = checkoutEvent('checkout.session.completed');
    expect(parse(payload, sign(payload))).toEqual({
      kind: 'paid',
      tenantId,
      invoiceId,
      amountCents: 123_456,
      currency: 'EUR',
      providerRef: 'cs_test_paid',
      paidAt: new Date(1_780_000_000_000).toISOString(),
      eventId: 'evt_test_1',
    });
  });

  it('reads checkout.session.async_payment_succeeded (a SEPA debit that settled) as a payment too', () => {
    const payload = checkoutEvent('checkout.session.async_payment_succeeded');
    expect(parse(payload, sign(payload))).toMatchObject({ kind: 'paid', tenantId, invoiceId, amountCents: 123_456 });
  });

  it('ignores a completed checkout whose payment is still pending', () => {
    const payload = checkoutEvent('checkout.session.completed', { payment_status: 'unpaid' });
    expect(parse(payload, sign(payload))).toEqual({ kind: 'ignored', type: 'checkout.session.completed', reason: 'payment_status is unpaid' });
  });

  it('ignores other event types, and checkouts Vigie did not create', () => {
    const other = checkoutEvent('checkout.session.expired');
    expect(parse(other, sign(other))).toMatchObject({ kind: 'ignored', type: 'checkout.session.expired' });
    const foreign = checkoutEvent('checkout.session.completed', { metadata: {} });
    expect(parse(foreign, sign(foreign))).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('not created by Vigie') });
  });

  it('refuses a body altered after signing', () => {
    const payload = checkoutEvent('checkout.session.completed');
    const tampered = payload.replace('123456', '1');
    expect(() => parse(tampered, sign(payload))).toThrow(WebhookSignatureError);
  });

  it('refuses a signature made with another secret, and a missing or garbled header', () => {
    const payload = checkoutEvent('checkout.session.completed');
    expect(() => parse(payload, sign(payload, { secret: 'whsec_someone_else' }))).toThrow(WebhookSignatureError);
    expect(() => parse(payload, '')).toThrow(WebhookSignatureError);
    expect(() => parse(payload, 'garbage')).toThrow(WebhookSignatureError);
  });

  it('refuses a signature older than the 300 s tolerance (replay), accepts one just inside it', () => {
    const payload = checkoutEvent('checkout.session.completed');
    expect(() => parse(payload, sign(payload, { timestamp: now() - 301 }))).toThrow(WebhookSignatureError);
    expect(parse(payload, sign(payload, { timestamp: now() - 280 }))).toMatchObject({ kind: 'paid' });
  });
});

describe('createPaymentProvider', () => {
  it('is off without a secret key, and refuses a key without a webhook secret', () => {
    expect(createPaymentProvider({})).toBeNull();
    expect(() => createPaymentProvider({ secretKey: KEY })).toThrow(/STRIPE_WEBHOOK_SECRET/);
    expect(createPaymentProvider({ secretKey: KEY, webhookSecret: WEBHOOK_SECRET, apiBase: 'http://127.0.0.1:1' })).toBeInstanceOf(StripePaymentProvider);
  });
});
