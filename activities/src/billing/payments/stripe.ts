import Stripe from 'stripe';
import {
  PaymentProviderError,
  WebhookSignatureError,
  type PaymentEvent,
  type PaymentLink,
  type PaymentLinkInput,
  type PaymentProvider,
} from './provider';

export interface StripeProviderOptions {
  /** `sk_live_...` / `sk_test_...` (STRIPE_SECRET_KEY). */
  secretKey: string;
  /** `whsec_...`, the signing secret of our webhook endpoint (STRIPE_WEBHOOK_SECRET). */
  webhookSecret: string;
  /** Another API server, e.g. `http://127.0.0.1:12111` for stripe-mock (STRIPE_API_BASE); absent → api.stripe.com. */
  apiBase?: string;
  /** Network retries inside one call (Stripe's client reuses the idempotency key across them). */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

/** Older signed webhooks are refused, so a captured one cannot be replayed later. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export class StripePaymentProvider implements PaymentProvider {
  private readonly stripe: Stripe;
  private readonly webhookSecret: string;

  constructor(options: StripeProviderOptions) {
    this.webhookSecret = options.webhookSecret;
    this.stripe = new Stripe(options.secretKey, {
      maxNetworkRetries: options.maxNetworkRetries ?? 2,
      timeout: options.timeoutMs ?? 30_000,
      ...(options.apiBase ? apiServer(options.apiBase) : {}),
    });
  }

  async createPaymentLink(input: PaymentLinkInput): Promise<PaymentLink> {
    // Caught here, not by Stripe: a zero or negative balance means the caller is wrong, not Stripe.
    if (!Number.isSafeInteger(input.amountCents) || input.amountCents <= 0) {
      throw new PaymentProviderError(`invoice ${input.invoiceNumber}: amount to pay must be a positive number of cents, got ${input.amountCents}`, false);
    }
    // Both on the session (checkout.session.* webhooks) and on the payment intent (refunds, disputes).
    const metadata = { tenantId: input.tenantId, invoiceId: input.invoiceId, invoiceNumber: input.invoiceNumber };
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe.checkout.sessions.create(
        {
          mode: 'payment',
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: input.currency.toLowerCase(),
                unit_amount: input.amountCents,
                product_data: { name: `Facture ${input.invoiceNumber}` },
              },
            },
          ],
          customer_email: input.customerEmail,
          client_reference_id: input.invoiceId,
          metadata,
          payment_intent_data: { metadata },
          success_url: input.successUrl,
          cancel_url: input.cancelUrl,
        },
        input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {},
      );
    } catch (err) {
      throw providerError(err, `invoice ${input.invoiceNumber}`);
    }
    if (!session.url) throw new PaymentProviderError(`Stripe returned checkout ${session.id} without a URL`, false);
    return {
      providerRef: session.id,
      url: session.url,
      expiresAt: session.expires_at ? new Date(session.expires_at * 1000).toISOString() : null,
    };
  }

  parseWebhook(rawBody: Buffer, signatureHeader: string): PaymentEvent {
    let event: Stripe.Event;
    try {
      event = this.stripe.webhooks.constructEvent(rawBody, signatureHeader, this.webhookSecret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeSignatureVerificationError) throw new WebhookSignatureError(err.message);
      throw err;
    }
    // The events that can mean "the money is in"; everything else is acknowledged and ignored.
    if (event.type === 'checkout.session.completed' || event.type === 'checkout.session.async_payment_succeeded') {
      return paidEvent(event);
    }
    return { kind: 'ignored', type: event.type, reason: 'not a payment event' };
  }
}

function paidEvent(event: Stripe.CheckoutSessionCompletedEvent | Stripe.CheckoutSessionAsyncPaymentSucceededEvent): PaymentEvent {
  const { type, data: { object: session } } = event;
  // An async method (SEPA debit…) completes the checkout before the money arrives; its own event follows.
  if (session.payment_status !== 'paid') return { kind: 'ignored', type, reason: `payment_status is ${session.payment_status}` };
  const tenantId = session.metadata?.tenantId;
  const invoiceId = session.metadata?.invoiceId;
  if (!tenantId || !invoiceId) return { kind: 'ignored', type, reason: 'checkout not created by Vigie (no tenantId/invoiceId metadata)' };
  // A paid session always has both; failing loudly (Stripe retries) beats recording a payment of unknown size.
  if (session.amount_total === null || !session.currency) throw new Error(`paid checkout ${session.id} has no amount or currency`);
  return {
    kind: 'paid',
    tenantId,
    invoiceId,
    amountCents: session.amount_total,
    currency: session.currency.toUpperCase(),
    providerRef: session.id,
    paidAt: new Date(event.created * 1000).toISOString(),
    eventId: event.id,
  };
}

function apiServer(apiBase: string): { host: string; port: number; protocol: 'http' | 'https' } {
  const url = new URL(apiBase);
  const protocol = url.protocol.replace(/:$/, '');
  if (protocol !== 'http' && protocol !== 'https') throw new Error(`STRIPE_API_BASE must be an http(s) URL, got ${apiBase}`);
  return { host: url.hostname, port: Number(url.port || (protocol === 'https' ? 443 : 80)), protocol };
}

/** Stripe's error, with what an activity needs to decide whether to retry. */
function providerError(err: unknown, what: string): PaymentProviderError {
  if (!(err instanceof Stripe.errors.StripeError)) {
    return new PaymentProviderError(`Stripe call for ${what} failed: ${err instanceof Error ? err.message : String(err)}`, true);
  }
  const retryable =
    err instanceof Stripe.errors.StripeConnectionError ||
    err instanceof Stripe.errors.StripeAPIError ||
    err instanceof Stripe.errors.StripeRateLimitError ||
    (err.statusCode ?? 0) >= 500;
  const param = err.param ? ` (parameter ${err.param})` : '';
  return new PaymentProviderError(`Stripe call for ${what} failed (${err.type}): ${err.message}${param}`, retryable, {
    ...(err.statusCode !== undefined ? { status: err.statusCode } : {}),
    ...(err.code ? { code: err.code } : {}),
    ...(err.param ? { param: err.param } : {}),
    ...(err.requestId ? { requestId: err.requestId } : {}),
  });
}
