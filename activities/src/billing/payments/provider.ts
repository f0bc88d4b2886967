/**
 * Online payment of invoices, independent of the payment service: the billing activities and the
 * webhook route only see this interface; `stripe.ts` is the one implementation.
 */

export interface PaymentLinkInput {
  tenantId: string;
  invoiceId: string;
  invoiceNumber: string;
  /** The invoice's balance (what is left to pay), integer cents, > 0. */
  amountCents: number;
  /** ISO 4217, as Vigie stores it ('EUR'). */
  currency: string;
  customerEmail: string;
  successUrl: string;
  cancelUrl: string;
  /**
   * Optional, stable across retries of one request (e.g. workflow ID + activity ID): a retried call then
   * gets the same link back instead of a second one that could be paid too.
   */
  idempotencyKey?: string;
}

export interface PaymentLink {
  /** The provider's id of the checkout (a Stripe Checkout Session `cs_...`); the paid event carries it too. */
  providerRef: string;
  url: string;
  /** UTC ISO 8601; null when the provider gives no expiry. */
  expiresAt: string | null;
}

export type PaymentEvent =
  | {
      kind: 'paid';
      tenantId: string;
      invoiceId: string;
      amountCents: number;
      currency: string;
      /** Same value as PaymentLink.providerRef: one checkout pays once, so it keys the ledger entry. */
      providerRef: string;
      /** UTC ISO 8601 (when the provider emitted the event). */
      paidAt: string;
      eventId: string;
    }
  | { kind: 'ignored'; type: string; reason: string };

export interface PaymentProvider {
  createPaymentLink(input: PaymentLinkInput): Promise<PaymentLink>;
  /** Verifies the signature (throws WebhookSignatureError) and reads the event. */
  parseWebhook(rawBody: Buffer, signatureHeader: string): PaymentEvent;
}

/** The webhook is not from the provider, was altered, or is too old to be trusted (replay): answer 400. */
export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * The provider refused or could not be reached. `retryable` tells an activity whether trying again can
 * help (network, 5xx, rate limit) or not (bad input, bad API key).
 */
export class PaymentProviderError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly details: { status?: number; code?: string; param?: string; requestId?: string } = {},
  ) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}
