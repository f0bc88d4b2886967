import {
  AppError,
  ROLES,
  STAFF_ROLES,
  assignTicketBodySchema,
  commentBodySchema,
  createTicketBodySchema,
  documentSchema,
  idParamsSchema,
  pageSchema,
  ticketEventSchema,
  ticketListQuerySchema,
  ticketSchema,
  ticketStatusBodySchema,
  ticketTimelineQuerySchema,
  ticketViewBodySchema,
  ticketViewSchema,
  updateTicketBodySchema,
} from '@vigie/core';
import { documentsRepo, isUniqueViolation, ticketsRepo, usersRepo } from '@vigie/db';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { BinaryResponse, route, type AnyRoute } from '../http/route';
import { contentDisposition } from '../documents/routes';
import { storeDocument } from '../documents/service';
import * as tickets from './service';

const attachmentParams = z.strictObject({ id: z.uuid(), documentId: z.uuid() });

export function ticketRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/tickets',
      tag: 'tickets',
      summary: 'List tickets (filters: status and priority as comma lists, clientId, assigneeId (uuid, me, none), teamId (uuid, mine, none), queue, slaState, contractId, q); a client user sees its own',
      auth: ROLES,
      query: ticketListQuerySchema,
      response: pageSchema(ticketSchema),
      handler: ({ tx, query, actor }) =>
        tx((t) => ticketsRepo.listTickets(t, query, { userId: actor.userId, ...(actor.role === 'client' ? { clientId: actor.clientId! } : {}) })),
    }),
    route({
      method: 'post',
      path: '/tickets',
      tag: 'tickets',
      summary: 'Open a ticket (staff for any client; a client user for its own, from the portal); its SLA clocks start',
      auth: ROLES,
      body: createTicketBodySchema,
      response: ticketSchema,
      idempotent: true,
      handler: (ctx) => tickets.createTicket(ctx, ctx.body),
    }),
    route({
      method: 'get',
      path: '/tickets/:id',
      tag: 'tickets',
      summary: 'One ticket with its SLA state',
      auth: ROLES,
      params: idParamsSchema,
      response: ticketSchema,
      handler: ({ tx, params, actor }) => tx((t) => tickets.ticketOr404(t, actor, params.id)),
    }),
    route({
      method: 'patch',
      path: '/tickets/:id',
      tag: 'tickets',
      summary: 'Change fields (each change is kept from → to); a ticket in triage can move to its client',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      body: updateTicketBodySchema,
      response: ticketSchema,
      handler: (ctx) => tickets.updateTicket(ctx, ctx.params.id, ctx.body),
    }),
    route({
      method: 'post',
      path: '/tickets/:id/assign',
      tag: 'tickets',
      summary: 'Assign to a technician and/or a team (null: unassign)',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      body: assignTicketBodySchema,
      response: ticketSchema,
      status: 200,
      handler: (ctx) => tickets.assignTicket(ctx, ctx.params.id, ctx.body),
    }),
    route({
      method: 'post',
      path: '/tickets/:id/status',
      tag: 'tickets',
      summary: 'Change status along the allowed transitions (409 otherwise); resolving or closing needs a note; a client user may reopen',
      auth: ROLES,
      params: idParamsSchema,
      body: ticketStatusBodySchema,
      response: ticketSchema,
      status: 200,
      handler: (ctx) => tickets.changeStatus(ctx, ctx.params.id, ctx.body.status, ctx.body.note),
    }),
    route({
      method: 'get',
      path: '/tickets/:id/comments',
      tag: 'tickets',
      summary: 'Replies and internal notes, oldest first (a client user sees public replies only)',
      auth: ROLES,
      params: idParamsSchema,
      query: ticketTimelineQuerySchema.omit({ kind: true }),
      response: pageSchema(ticketEventSchema),
      handler: ({ tx, params, query, actor }) =>
        tx(async (t) => {
          await tickets.ticketOr404(t, actor, params.id);
          const replies = await ticketsRepo.listEvents(t, params.id, { ...query, kind: 'reply' }, actor.role === 'client');
          if (actor.role === 'client') return replies;
          // Staff see notes too: one page of both kinds, merged by time.
          const notes = await ticketsRepo.listEvents(t, params.id, { ...query, kind: 'note' }, false);
          const items = [...replies.items, ...notes.items].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id)).slice(0, query.limit);
          return { items, nextCursor: replies.nextCursor ?? notes.nextCursor };
        }),
    }),
    route({
      method: 'post',
      path: '/tickets/:id/comments',
      tag: 'tickets',
      summary: 'A public reply (e-mailed to the contact) or an internal note; the first public staff reply meets the first-response target',
      auth: ROLES,
      params: idParamsSchema,
      body: commentBodySchema,
      response: ticketEventSchema,
      idempotent: true,
      handler: (ctx) => tickets.addComment(ctx, ctx.params.id, ctx.body),
    }),
    route({
      method: 'get',
      path: '/tickets/:id/timeline',
      tag: 'tickets',
      summary: 'Everything that happened, oldest first: creation, replies, notes, changes (who, when, from → to), attachments, SLA, time',
      auth: ROLES,
      params: idParamsSchema,
      query: ticketTimelineQuerySchema,
      response: pageSchema(ticketEventSchema),
      handler: ({ tx, params, query, actor }) =>
        tx(async (t) => {
          await tickets.ticketOr404(t, actor, params.id);
          return ticketsRepo.listEvents(t, params.id, query, actor.role === 'client');
        }),
    }),
    route({
      method: 'post',
      path: '/tickets/:id/attachments',
      tag: 'tickets',
      summary: 'Attach a file (raw bytes; ?filename=); stored as a document of the client, type read from the bytes',
      auth: ROLES,
      params: idParamsSchema,
      query: z.strictObject({ filename: z.string().min(1).max(255) }),
      rawBody: { types: ['*/*'], limit: deps.config.DOCUMENT_MAX_BYTES },
      response: documentSchema,
      handler: async (ctx) => {
        const ticket = await ctx.tx((t) => tickets.ticketOr404(t, ctx.actor, ctx.params.id));
        if (ticket.status === 'closed') throw AppError.conflict('a closed ticket takes no more attachments');
        const doc = await storeDocument(ctx, { clientId: ticket.clientId, ticketId: ticket.id, category: 'attachment', filename: ctx.query.filename });
        await ctx.tx(async (t) =>
          ticketsRepo.insertEvent(t, {
            tenantId: ctx.actor.tenantId,
            ticketId: ticket.id,
            kind: 'attachment',
            actorUserId: ctx.actor.userId,
            actorName: doc.uploadedBy ? ((await usersRepo.findUserById(t, doc.uploadedBy))?.name ?? null) : null,
            via: ctx.actor.role === 'client' ? 'portal' : 'web',
            body: doc.filename,
            documentId: doc.id,
          }),
        );
        return doc;
      },
    }),
    route({
      method: 'get',
      path: '/tickets/:id/attachments',
      tag: 'tickets',
      summary: 'The ticket’s attachments',
      auth: ROLES,
      params: idParamsSchema,
      response: z.object({ items: z.array(documentSchema) }),
      handler: ({ tx, params, actor }) =>
        tx(async (t) => {
          await tickets.ticketOr404(t, actor, params.id);
          const docs = await documentsRepo.listTicketAttachments(t, params.id);
          return { items: docs.map(({ storageKey: _key, ...doc }) => doc) };
        }),
    }),
    route({
      method: 'get',
      path: '/tickets/:id/attachments/:documentId/content',
      tag: 'tickets',
      summary: 'Download an attachment',
      auth: ROLES,
      params: attachmentParams,
      produces: 'application/octet-stream',
      handler: async ({ tx, params, actor, deps: d, req }) => {
        const doc = await tx(async (t) => {
          await tickets.ticketOr404(t, actor, params.id);
          return (await documentsRepo.listTicketAttachments(t, params.id)).find((a) => a.id === params.documentId);
        });
        const bytes = doc && (await d.storage.get(doc.storageKey));
        if (!doc || !bytes) throw AppError.notFound('attachment');
        req.res!.setHeader('Content-Disposition', contentDisposition(doc.filename));
        req.res!.setHeader('X-Content-Type-Options', 'nosniff');
        return new BinaryResponse(doc.contentType, bytes, 'private, no-store');
      },
    }),
    route({
      method: 'get',
      path: '/ticket-views',
      tag: 'tickets',
      summary: 'My saved views of the ticket list',
      auth: STAFF_ROLES,
      response: z.object({ items: z.array(ticketViewSchema) }),
      handler: ({ tx, actor }) => tx(async (t) => ({ items: await ticketsRepo.listViews(t, actor.userId) })),
    }),
    route({
      method: 'post',
      path: '/ticket-views',
      tag: 'tickets',
      summary: 'Save the current filters of the ticket list under a name',
      auth: STAFF_ROLES,
      body: ticketViewBodySchema,
      response: ticketViewSchema,
      handler: ({ tx, actor, body }) =>
        tx(async (t) => {
          try {
            return await ticketsRepo.insertView(t, actor.tenantId, actor.userId, body);
          } catch (err) {
            if (isUniqueViolation(err)) throw AppError.conflict('you already have a view with this name');
            throw err;
          }
        }),
    }),
    route({
      method: 'delete',
      path: '/ticket-views/:id',
      tag: 'tickets',
      summary: 'Delete one of my saved views',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      handler: ({ tx, actor, params }) =>
        tx(async (t) => {
          if (!(await ticketsRepo.deleteView(t, actor.userId, params.id))) throw AppError.notFound('view');
        }),
    }),
  ];
}
