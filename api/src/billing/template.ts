import { z } from 'zod';
import { AppError, billingSettingsViewSchema } from '@vigie/core';
import { billingSettingsRepo } from '@vigie/db';
import { InvalidTemplateError, previewInvoice } from '@vigie/workflows/client';
import { BinaryResponse, route, type AnyRoute } from '../http/route';

const ODT = 'application/vnd.oasis.opendocument.text';
/** Templates travel to the worker inside a workflow's input: kept well under Temporal's payload limit. */
const MAX_TEMPLATE = '1mb';

/**
 * The tenant's own invoice template (an ODT with Carbone tags): uploaded, checked by rendering the sample
 * invoice with it in the worker (refused with the reason otherwise), previewed, removed.
 */
export const invoiceTemplateRoutes: AnyRoute[] = [
  route({
    method: 'put',
    path: '/billing/settings/template',
    tag: 'billing',
    summary: 'Upload the invoice template (.odt, Carbone tags; see the built-in one); checked by rendering a sample invoice',
    auth: ['admin'],
    query: z.strictObject({ filename: z.string().trim().min(1).max(200).default('modele-facture.odt') }),
    rawBody: { types: [ODT, 'application/octet-stream'], limit: MAX_TEMPLATE },
    response: billingSettingsViewSchema,
    status: 200,
    handler: async ({ req, query, actor, deps, tx, audit }) => {
      const bytes = req.body as unknown;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw AppError.invalid('send the .odt file as the request body');
      try {
        await previewInvoice(deps.temporal, { tenantId: actor.tenantId, templateBase64: bytes.toString('base64') });
      } catch (err) {
        if (err instanceof InvalidTemplateError) throw AppError.invalid(err.message, [{ path: 'template', message: err.message }]);
        throw err;
      }
      return tx(async (t) => {
        await billingSettingsRepo.setInvoiceTemplate(t, actor.tenantId, { name: query.filename, bytes });
        await audit(t, { action: 'billing.template.upload', entity: 'tenant', entityId: actor.tenantId, after: { name: query.filename, bytes: bytes.length } });
        return billingSettingsRepo.getBillingSettings(t);
      });
    },
  }),
  route({
    method: 'delete',
    path: '/billing/settings/template',
    tag: 'billing',
    summary: 'Go back to the built-in invoice template',
    auth: ['admin'],
    handler: ({ actor, tx, audit }) =>
      tx(async (t) => {
        await billingSettingsRepo.setInvoiceTemplate(t, actor.tenantId, null);
        await audit(t, { action: 'billing.template.remove', entity: 'tenant', entityId: actor.tenantId });
      }),
  }),
  route({
    method: 'get',
    path: '/billing/settings/template/preview',
    tag: 'billing',
    summary: 'A sample invoice (PDF) in the tenant’s look: its template, colour, logo and footer',
    auth: ['admin', 'manager'],
    produces: 'application/pdf',
    handler: async ({ actor, deps }) => new BinaryResponse('application/pdf', await previewInvoice(deps.temporal, { tenantId: actor.tenantId, templateBase64: null }), 'private, no-store'),
  }),
];
