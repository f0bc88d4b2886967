import type { PaymentProvider } from './provider';
import { StripePaymentProvider } from './stripe';

export * from './provider';
export { ensurePaymentLink, paymentLinkRefusal, type EnsurePaymentLinkInput } from './link';
export { StripePaymentProvider, WEBHOOK_TOLERANCE_SECONDS, type StripeProviderOptions } from './stripe';

/** The configured provider, or null when online payment is off (no STRIPE_SECRET_KEY). */
export function createPaymentProvider(settings: { secretKey?: string; webhookSecret?: string; apiBase?: string }): PaymentProvider | null {
  if (!settings.secretKey) return null;
  // Without it no payment could ever be recorded: refuse to start rather than take money silently.
  if (!settings.webhookSecret) throw new Error('STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set');
  return new StripePaymentProvider({ secretKey: settings.secretKey, webhookSecret: settings.webhookSecret, ...(settings.apiBase ? { apiBase: settings.apiBase } : {}) });
}
