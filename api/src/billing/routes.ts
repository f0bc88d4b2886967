import { z } from 'zod';
import {
  billingSettingsViewSchema,
  createInvoiceBodySchema,
  creditNoteBodySchema,
  draftFromPreBillingBodySchema,
  idParamsSchema,
  invoiceListQuerySchema,
  invoiceSchema,
  invoiceSummarySchema,
  invoiceWorkflowStateSchema,
  mergeLinesBodySchema,
  pageSchema,
  paymentListQuerySchema,
  paymentSchema,
  recordPaymentBodySchema,
  updateBillingSettingsBodySchema,
  updateInvoiceBodySchema,
  billingRunSchema,
  listQuerySchema,
  startBillingRunBodySchema,
  AppError,
} from '@vigie/core';
import { billingRunsRepo, billingSettingsRepo, invoicesRepo, paymentsRepo, tenantsRepo } from '@vigie/db';
import { ensureBillingSchedule } from '@vigie/workflows/client';
import { route, type AnyRoute } from '../http/route';
import * as billing from './service';

/** Finance work: admins and managers. */
const FINANCE = ['admin', 'manager'] as const;

const lineParamsSchema = z.strictObject({ id: z.uuid(), lineId: z.uuid() });

export const billingRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/invoices',
    tag: 'billing',
    summary: 'Invoices and credit notes (filters: clientId, status, kind, source, from/to issue date, q on number or client)',
    auth: FINANCE,
    query: invoiceListQuerySchema,
    response: pageSchema(invoiceSummarySchema),
    handler: ({ tx, query }) => tx((t) => invoicesRepo.listInvoices(t, query)),
  }),
  route({
    method: 'post',
    path: '/invoices',
    tag: 'billing',
    summary: 'A draft invoice typed by hand',
    auth: FINANCE,
    body: createInvoiceBodySchema,
    response: invoiceSchema,
    idempotent: true,
    handler: (ctx) => billing.createInvoice(ctx, ctx.body),
  }),
  route({
    method: 'post',
    path: '/invoices/from-pre-billing',
    tag: 'billing',
    summary: 'Draft one invoice per client from the pending ticket time of the pre-billing queue',
    auth: FINANCE,
    body: draftFromPreBillingBodySchema,
    response: z.object({ invoices: z.array(invoiceSchema) }),
    idempotent: true,
    handler: (ctx) => billing.draftFromPreBilling(ctx, ctx.body.clientIds),
  }),
  route({
    method: 'get',
    path: '/invoices/:id',
    tag: 'billing',
    summary: 'One invoice or credit note with lines, VAT, payments, credit notes and history',
    auth: FINANCE,
    params: idParamsSchema,
    response: invoiceSchema,
    handler: ({ tx, params }) => tx((t) => billing.invoiceOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/invoices/:id',
    tag: 'billing',
    summary: 'Change a draft (lines, reference, notes); an issued invoice is corrected by a credit note',
    auth: FINANCE,
    params: idParamsSchema,
    body: updateInvoiceBodySchema,
    response: invoiceSchema,
    handler: (ctx) => billing.updateInvoice(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'delete',
    path: '/invoices/:id',
    tag: 'billing',
    summary: 'Delete a draft (its ticket time goes back to the pre-billing queue)',
    auth: FINANCE,
    params: idParamsSchema,
    handler: (ctx) => billing.deleteDraft(ctx, ctx.params.id),
  }),
  route({
    method: 'post',
    path: '/invoices/:id/merge-lines',
    tag: 'billing',
    summary: 'Merge lines of a draft (same VAT rate) into the first one',
    auth: FINANCE,
    params: idParamsSchema,
    body: mergeLinesBodySchema,
    response: invoiceSchema,
    status: 200,
    handler: (ctx) => billing.mergeLines(ctx, ctx.params.id, ctx.body.lineIds, ctx.body.description),
  }),
  route({
    method: 'post',
    path: '/invoices/:id/lines/:lineId/defer',
    tag: 'billing',
    summary: 'Take a line off a draft; its ticket time waits for a later invoice',
    auth: FINANCE,
    params: lineParamsSchema,
    response: invoiceSchema,
    status: 200,
    handler: (ctx) => billing.deferLine(ctx, ctx.params.id, ctx.params.lineId),
  }),
  route({
    method: 'post',
    path: '/invoices/:id/validate',
    tag: 'billing',
    summary: 'Validate a draft: next number of the gap-free sequence, content frozen; the workflow renders, sends and follows payment',
    auth: FINANCE,
    params: idParamsSchema,
    response: invoiceSchema,
    status: 200,
    idempotent: true,
    handler: (ctx) => billing.validateInvoice(ctx, ctx.params.id),
  }),
  route({
    method: 'post',
    path: '/invoices/:id/credit-notes',
    tag: 'billing',
    summary: 'Issue a credit note (avoir) for some or all of an issued invoice',
    auth: FINANCE,
    params: idParamsSchema,
    body: creditNoteBodySchema,
    response: invoiceSchema,
    idempotent: true,
    handler: (ctx) => billing.creditInvoice(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/invoices/:id/workflow',
    tag: 'billing',
    summary: 'What the invoice’s workflow is doing (phase, next dunning step) and its Temporal UI link',
    auth: FINANCE,
    params: idParamsSchema,
    response: invoiceWorkflowStateSchema,
    handler: (ctx) => billing.workflowState(ctx, ctx.params.id),
  }),
  route({
    method: 'get',
    path: '/payments',
    tag: 'billing',
    summary: 'Payments received (filters: clientId, method, q on reference or client)',
    auth: FINANCE,
    query: paymentListQuerySchema,
    response: pageSchema(paymentSchema),
    handler: ({ tx, query }) => tx((t) => paymentsRepo.listPayments(t, query)),
  }),
  route({
    method: 'post',
    path: '/payments',
    tag: 'billing',
    summary: 'Record a payment; it settles the invoices named (in order) or the client’s oldest open ones',
    auth: FINANCE,
    body: recordPaymentBodySchema,
    response: paymentSchema,
    idempotent: true,
    handler: (ctx) => billing.recordPayment(ctx, ctx.body),
  }),
  route({
    method: 'get',
    path: '/payments/:id',
    tag: 'billing',
    summary: 'One payment and the invoices it settled',
    auth: FINANCE,
    params: idParamsSchema,
    response: paymentSchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        const payment = await paymentsRepo.findPayment(t, params.id);
        if (!payment) throw AppError.notFound('payment');
        return payment;
      }),
  }),
  route({
    method: 'get',
    path: '/billing/settings',
    tag: 'billing',
    summary: 'Payment terms, penalty rate, dunning steps, bank details, billing runs',
    auth: FINANCE,
    response: billingSettingsViewSchema,
    handler: ({ tx }) => tx((t) => billingSettingsRepo.getBillingSettings(t)),
  }),
  route({
    method: 'patch',
    path: '/billing/settings',
    tag: 'billing',
    summary: 'Change billing settings (admins); a new run frequency moves the billing Schedule',
    auth: ['admin'],
    body: updateBillingSettingsBodySchema,
    response: billingSettingsViewSchema,
    handler: async ({ tx, body, actor, audit, deps }) => {
      const { saved, timezone } = await tx(async (t) => {
        const { template: _template, ...current } = await billingSettingsRepo.getBillingSettings(t);
        await billingSettingsRepo.saveBillingSettings(t, actor.tenantId, { ...current, ...body });
        await audit(t, { action: 'billing.settings', entity: 'tenant', entityId: actor.tenantId, before: current, after: body });
        return { saved: await billingSettingsRepo.getBillingSettings(t), timezone: (await tenantsRepo.getTenantSettings(t, actor.tenantId))?.timezone ?? 'Europe/Paris' };
      });
      // A new frequency moves the Schedule; if Temporal is away, the worker's sweep applies it on its next start.
      if (body.runFrequency) {
        await ensureBillingSchedule(deps.temporal, { tenantId: actor.tenantId, frequency: saved.runFrequency, timezone }).catch((err: unknown) =>
          deps.log.warn({ err, tenantId: actor.tenantId }, 'billing schedule not updated'),
        );
      }
      return saved;
    },
  }),
  route({
    method: 'post',
    path: '/billing/settings/schedule',
    tag: 'billing',
    summary: 'Apply the billing run frequency and the tenant’s time zone to its Temporal Schedule (done by the worker for every tenant too)',
    auth: ['admin'],
    response: z.object({ frequency: z.string(), timezone: z.string() }),
    status: 200,
    handler: async (ctx) => {
      const { frequency, timezone } = await ctx.tx(async (t) => ({
        frequency: (await billingSettingsRepo.getBillingSettings(t)).runFrequency,
        timezone: (await tenantsRepo.getTenantSettings(t, ctx.actor.tenantId))?.timezone ?? 'Europe/Paris',
      }));
      await ensureBillingSchedule(ctx.deps.temporal, { tenantId: ctx.actor.tenantId, frequency, timezone });
      return { frequency, timezone };
    },
  }),
  route({
    method: 'get',
    path: '/billing/runs',
    tag: 'billing',
    summary: 'Billing runs, latest period first',
    auth: FINANCE,
    query: listQuerySchema,
    response: pageSchema(billingRunSchema),
    handler: ({ tx, query }) => tx((t) => billingRunsRepo.listRuns(t, query)),
  }),
  route({
    method: 'post',
    path: '/billing/runs',
    tag: 'billing',
    summary: 'Run billing for a period now (idempotent: a period already run adds only what is new)',
    auth: FINANCE,
    body: startBillingRunBodySchema,
    response: billingRunSchema,
    status: 202,
    handler: (ctx) => billing.startRun(ctx, ctx.body.frequency, ctx.body.periodStart),
  }),
  route({
    method: 'get',
    path: '/billing/runs/:id',
    tag: 'billing',
    summary: 'One billing run: status, invoices made, error',
    auth: FINANCE,
    params: idParamsSchema,
    response: billingRunSchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        const run = await billingRunsRepo.findRun(t, params.id);
        if (!run) throw AppError.notFound('billing run');
        return run;
      }),
  }),
];
