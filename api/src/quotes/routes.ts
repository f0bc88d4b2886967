import {
  AppError,
  STAFF_ROLES,
  acceptQuoteBodySchema,
  createQuoteBodySchema,
  idParamsSchema,
  pageSchema,
  quoteListQuerySchema,
  quoteSchema,
  updateQuoteBodySchema,
} from '@vigie/core';
import { documentsRepo, quotesRepo } from '@vigie/db';
import { renderQuotePdf } from '@vigie/workflows/client';
import { BinaryResponse, route, type AnyRoute } from '../http/route';
import * as quotes from './service';

const SALES = ['admin', 'manager'] as const;

export const quoteRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/opportunities/:id/quote',
    tag: 'quotes',
    summary: 'Create a draft quote for an opportunity (lines, validity, VAT rounding per rate or per line)',
    auth: SALES,
    params: idParamsSchema,
    body: createQuoteBodySchema,
    response: quoteSchema,
    idempotent: true,
    handler: (ctx) => quotes.createQuote(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/quotes',
    tag: 'quotes',
    summary: 'List quotes (filters: opportunityId, clientId, status, q on number/client)',
    auth: STAFF_ROLES,
    query: quoteListQuerySchema,
    response: pageSchema(quoteSchema),
    handler: ({ tx, query }) => tx((t) => quotesRepo.listQuotes(t, query)),
  }),
  route({
    method: 'get',
    path: '/quotes/:id',
    tag: 'quotes',
    summary: 'One quote with its lines, VAT breakdown and totals',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: quoteSchema,
    handler: ({ tx, params }) => tx((t) => quotes.quoteOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/quotes/:id',
    tag: 'quotes',
    summary: 'Change a draft quote',
    auth: SALES,
    params: idParamsSchema,
    body: updateQuoteBodySchema,
    response: quoteSchema,
    handler: (ctx) => quotes.updateQuote(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'post',
    path: '/quotes/:id/accept',
    tag: 'quotes',
    summary: 'Accept: the opportunity is won; a renewal sells its pack on its contract, otherwise the matching contract can be drafted',
    auth: SALES,
    params: idParamsSchema,
    body: acceptQuoteBodySchema,
    response: quoteSchema,
    status: 200,
    handler: (ctx) => quotes.setStatus(ctx, ctx.params.id, 'accepted', ctx.body),
  }),
  ...(['sent', 'declined'] as const).map((status) =>
    route({
      method: 'post',
      path: `/quotes/:id/${{ sent: 'send', declined: 'decline' }[status]}`,
      tag: 'quotes',
      summary: { sent: 'Mark sent', declined: 'Decline' }[status],
      auth: SALES,
      params: idParamsSchema,
      response: quoteSchema,
      status: 200,
      handler: (ctx) => quotes.setStatus(ctx, ctx.params.id, status),
    }),
  ),
  route({
    method: 'get',
    path: '/quotes/:id/pdf',
    tag: 'quotes',
    summary: 'The quote as PDF (rendered by the worker with Carbone, stored as a client document)',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    produces: 'application/pdf',
    handler: async ({ tx, params, actor, deps, req }) => {
      const quote = await tx((t) => quotes.quoteOr404(t, params.id));
      const { documentId } = await renderQuotePdf(deps.temporal, { tenantId: actor.tenantId, quoteId: quote.id });
      const doc = await tx((t) => documentsRepo.findDocument(t, documentId));
      const bytes = doc && (await deps.storage.get(doc.storageKey));
      if (!doc || !bytes) throw new AppError('unavailable', 'the PDF could not be stored; retry');
      req.res!.setHeader('Content-Disposition', `inline; filename="${quote.number}.pdf"`);
      return new BinaryResponse('application/pdf', bytes, 'private, no-store');
    },
  }),
];
