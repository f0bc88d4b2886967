import type { Request } from 'express';
import { z } from 'zod';
import { AppError, idParamsSchema, localDateIn, type RecordPaymentBody } from '@vigie/core';
import { auditRepo, invoicesRepo, paymentsRepo, tenantsRepo, withTenant } from '@vigie/db';
import {
  createPaymentProvider,
  ensurePaymentLink,
  paymentLinkRefusal,
  PaymentProviderError,
  WebhookSignatureError,
  type PaymentEvent,
  type PaymentProvider,
} from '@vigie/activities/payments';
import type { AppDeps } from '../deps';
import { publicRoute, route, type AnyRoute } from '../http/route';
import { recordPayment, type PaymentCtx } from './service';

/** Finance work: admins and managers. */
const FINANCE = ['admin', 'manager'] as const;

const NOT_CONFIGURED = 'online payment is not configured: set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET';

const paymentLinkSchema = z.object({ url: z.url() }).meta({ id: 'PaymentLink' });

const webhookAckSchema = z
  .object({
    received: z.literal(true),
    /** Why nothing was recorded (an event type we do not act on, an invoice we do not know). */
    ignored: z.string().optional(),
    /** The payment recorded by this delivery or, with `duplicate`, by an earlier one. */
    paymentId: z.uuid().optional(),
    duplicate: z.literal(true).optional(),
  })
  .meta({ id: 'StripeWebhookAck' });
type WebhookAck = z.infer<typeof webhookAckSchema>;

type PaidEvent = Extract<PaymentEvent, { kind: 'paid' }>;

/** One provider per API instance, made on first use from the configuration (null: online payment is off). */
const providers = new WeakMap<AppDeps, PaymentProvider | null>();
function providerOf(deps: AppDeps): PaymentProvider | null {
  if (!providers.has(deps)) {
    const { STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_API_BASE } = deps.config;
    providers.set(deps, createPaymentProvider({ secretKey: STRIPE_SECRET_KEY, webhookSecret: STRIPE_WEBHOOK_SECRET, apiBase: STRIPE_API_BASE }));
  }
  return providers.get(deps)!;
}

const publicUrlOf = (deps: AppDeps) => deps.config.PUBLIC_URL ?? `http://${deps.config.HOST}:${deps.config.PORT}`;

/** Online payment of invoices: a Checkout link per invoice, and Stripe's signed webhook that records the payment. */
export function onlinePaymentRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/invoices/:id/payment-link',
      tag: 'billing',
      summary: 'The online payment link (Stripe Checkout) for the balance of an issued invoice, made once and printed in its e-mails',
      auth: FINANCE,
      params: idParamsSchema,
      response: paymentLinkSchema,
      status: 200,
      handler: async (ctx) => {
        // Existence first: another tenant's invoice is a 404 whatever the configuration.
        const invoice = await ctx.tx((t) => invoicesRepo.findInvoiceRow(t, ctx.params.id));
        if (!invoice) throw AppError.notFound('invoice');
        const provider = providerOf(deps);
        if (!provider) throw AppError.conflict(NOT_CONFIGURED);
        const refusal = paymentLinkRefusal(invoice);
        if (refusal) throw AppError.conflict(refusal);
        let url: string | null;
        try {
          url = await ensurePaymentLink(deps.db, provider, { tenantId: ctx.actor.tenantId, invoiceId: invoice.id, publicUrl: publicUrlOf(deps), actorId: ctx.actor.userId });
        } catch (err) {
          if (err instanceof PaymentProviderError) throw new AppError('unavailable', `Stripe did not make the payment link: ${err.message}`);
          throw err;
        }
        // Settled between the check above and the link.
        if (!url) throw AppError.conflict(`invoice ${invoice.number} is settled: nothing is owed`);
        return { url };
      },
    }),
    publicRoute({
      method: 'post',
      path: '/webhooks/stripe',
      tag: 'billing',
      summary: 'Stripe webhook (signed with STRIPE_WEBHOOK_SECRET): a paid checkout records the payment of its invoice, once per checkout',
      rawBody: { types: ['application/json'], limit: '1mb' },
      response: webhookAckSchema,
      status: 200,
      handler: async ({ req, requestId }) => {
        const provider = providerOf(deps);
        // Stripe retries for days: a server configured later still gets the payment.
        if (!provider) throw new AppError('unavailable', NOT_CONFIGURED);
        let event: PaymentEvent;
        try {
          event = provider.parseWebhook(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), req.get('stripe-signature') ?? '');
        } catch (err) {
          if (err instanceof WebhookSignatureError) throw AppError.invalid(`the Stripe-Signature header does not match this body: ${err.message}`);
          throw err;
        }
        if (event.kind === 'ignored') {
          deps.log.info({ type: event.type, reason: event.reason }, 'stripe webhook ignored');
          return { received: true as const, ignored: event.reason };
        }
        return recordStripePayment(deps, req, requestId, event);
      },
    }),
  ];
}

const eventIdsSchema = z.object({ tenantId: z.uuid(), invoiceId: z.uuid() });

/**
 * Records a paid checkout as a 'stripe' payment of its invoice's client, once per checkout (the
 * session id keys the ledger entry). Money that came in is always recorded: if the invoice was settled
 * meanwhile (or the currency differs) the payment stays unallocated for finance to apply or refund.
 */
async function recordStripePayment(deps: AppDeps, req: Request, requestId: string, paid: PaidEvent): Promise<WebhookAck> {
  const unknown = (): WebhookAck => {
    // Answered 200 so Stripe stops retrying; the money is at Stripe and someone must look at it.
    deps.log.error({ tenantId: paid.tenantId, invoiceId: paid.invoiceId, providerRef: paid.providerRef, eventId: paid.eventId, amountCents: paid.amountCents }, 'stripe payment for an unknown invoice: not recorded');
    return { received: true, ignored: 'unknown invoice' };
  };
  if (!eventIdsSchema.safeParse(paid).success || paid.amountCents <= 0) return unknown();
  const ctx = systemContext(deps, requestId, paid.tenantId);
  const found = await ctx.tx(async (tx) => {
    const invoice = await invoicesRepo.findInvoiceRow(tx, paid.invoiceId);
    if (!invoice) return null;
    const existing = await paymentsRepo.findPaymentByProviderRef(tx, paid.providerRef);
    const settings = await tenantsRepo.getTenantSettings(tx, paid.tenantId);
    return { invoice, existing, timezone: settings?.timezone ?? 'Europe/Paris' };
  });
  if (!found) return unknown();
  const { invoice, existing, timezone } = found;
  if (existing) return { received: true, paymentId: existing, duplicate: true };

  const body = (invoiceIds: string[]): RecordPaymentBody => ({
    clientId: invoice.client_id,
    paidAt: localDateIn(Date.parse(paid.paidAt), timezone),
    method: 'card', // replaced by the provider's method ('stripe')
    reference: paid.providerRef,
    amountCents: paid.amountCents,
    currency: paid.currency,
    invoiceIds,
  });
  const open = !paymentLinkRefusal(invoice) && invoice.currency === paid.currency;
  const stripe = { method: 'stripe', providerRef: paid.providerRef } as const;
  try {
    const payment = await recordPayment(ctx, body(open ? [invoice.id] : []), stripe);
    if (!open) deps.log.warn({ invoiceId: invoice.id, paymentId: payment.id, currency: paid.currency }, 'stripe payment for an invoice that takes no payment: recorded unallocated');
    return { received: true, paymentId: payment.id };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.kind === 'conflict') return duplicateOf(ctx, paid);
    // The invoice was settled between our look and the payment: keep the money, unallocated.
    if (err.kind === 'invalid_input' && open) {
      try {
        const payment = await recordPayment(ctx, body([]), stripe);
        deps.log.warn({ invoiceId: invoice.id, paymentId: payment.id }, 'stripe payment for an invoice settled meanwhile: recorded unallocated');
        return { received: true, paymentId: payment.id };
      } catch (again) {
        if (again instanceof AppError && again.kind === 'conflict') return duplicateOf(ctx, paid);
        throw again;
      }
    }
    throw err;
  }
}

/** A concurrent delivery of the same checkout recorded it first. */
async function duplicateOf(ctx: PaymentCtx, paid: PaidEvent): Promise<WebhookAck> {
  const id = await ctx.tx((tx) => paymentsRepo.findPaymentByProviderRef(tx, paid.providerRef));
  return { received: true, ...(id ? { paymentId: id } : {}), duplicate: true };
}

/**
 * The context `recordPayment` runs in for a webhook: the invoice's tenant from the event, no user. The
 * payment, its invoice events and the audit entry are written with no user id (those columns are
 * nullable) and 'Stripe' as the audit actor's name.
 */
function systemContext(deps: AppDeps, requestId: string, tenantId: string): PaymentCtx {
  return {
    deps,
    actor: { tenantId, userId: null },
    tx: (work) => withTenant(deps.db, tenantId, work),
    audit: (t, entry) =>
      auditRepo.recordAudit(t, {
        tenantId,
        actorId: null,
        actorName: 'Stripe',
        requestId,
        entityId: entry.entityId,
        action: entry.action,
        entity: entry.entity,
        before: entry.before ?? null,
        after: entry.after ?? null,
      }),
  };
}
