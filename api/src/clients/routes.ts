import {
  AppError,
  STAFF_ROLES,
  clientListQuerySchema,
  clientSchema,
  contactSchema,
  createClientBodySchema,
  createContactBodySchema,
  createInteractionBodySchema,
  idParamsSchema,
  invitationSchema,
  interactionListQuerySchema,
  interactionSchema,
  listQuerySchema,
  pageSchema,
  siteBodySchema,
  siteSchema,
  timelineEntrySchema,
  updateClientBodySchema,
  updateContactBodySchema,
  updateSiteBodySchema,
} from '@vigie/core';
import { z } from 'zod';
import { clientsRepo } from '@vigie/db';
import { BinaryResponse, route, type AnyRoute } from '../http/route';
import { clientsToCsv, importClients, importQuerySchema } from './csv';
import * as crm from './service';

const importReportSchema = z
  .object({
    dryRun: z.boolean(),
    rows: z.number().int(),
    valid: z.number().int(),
    clientsCreated: z.number().int(),
    contactsCreated: z.number().int(),
    errors: z.array(z.object({ row: z.number().int(), field: z.string(), message: z.string() })),
  })
  .meta({ id: 'ImportReport' });

/** Everyone on staff reads the CRM and logs interactions; admins and managers change records. */
const READ = STAFF_ROLES;
const WRITE = ['admin', 'manager'] as const;

export const clientRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/clients',
    tag: 'crm',
    summary: 'List clients (filters: status, tag, q on name/SIREN/SIRET; archived only when asked)',
    auth: READ,
    query: clientListQuerySchema,
    response: pageSchema(clientSchema),
    handler: ({ tx, query }) => tx((t) => clientsRepo.listClients(t, query)),
  }),
  route({
    method: 'post',
    path: '/clients',
    tag: 'crm',
    summary: 'Create a client (SIREN/SIRET/VAT checked; duplicates by SIREN/SIRET refused with 409)',
    auth: WRITE,
    body: createClientBodySchema,
    response: clientSchema,
    idempotent: true,
    handler: (ctx) => crm.createClient(ctx, ctx.body),
  }),
  route({
    method: 'post',
    path: '/clients/import',
    tag: 'crm',
    summary: 'Import clients (and one contact each) from CSV; ?dryRun=true (default) only reports row/field errors',
    auth: WRITE,
    query: importQuerySchema,
    rawBody: { types: ['text/csv', 'text/plain'], limit: '5mb' },
    response: importReportSchema,
    status: 200,
    handler: async ({ tx, actor, query, req, audit }) => {
      const text = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
      return tx(async (t) => {
        const report = await importClients(t, actor.tenantId, text, query.dryRun);
        if (!query.dryRun && report.errors.length > 0)
          throw AppError.invalid(
            `the file has ${report.errors.length} error(s); nothing was imported`,
            report.errors.map((e) => ({ path: `row ${e.row}.${e.field}`, message: e.message })),
          );
        if (!query.dryRun)
          await audit(t, { action: 'client.import', entity: 'client', entityId: null, after: { clients: report.clientsCreated, contacts: report.contactsCreated } });
        return report;
      });
    },
  }),
  route({
    method: 'get',
    path: '/clients/export',
    tag: 'crm',
    summary: 'Export clients as CSV (same filters as the list; same columns as the import)',
    auth: READ,
    query: clientListQuerySchema.omit({ limit: true, cursor: true }),
    produces: 'text/csv',
    handler: ({ tx, query, req }) =>
      tx(async (t) => {
        req.res!.setHeader('Content-Disposition', 'attachment; filename="clients.csv"');
        const all = [];
        let cursor: string | undefined;
        do {
          const page = await clientsRepo.listClients(t, { ...query, limit: 200, cursor });
          all.push(...page.items);
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        return new BinaryResponse('text/csv; charset=utf-8', Buffer.from(clientsToCsv(all), 'utf8'));
      }),
  }),
  route({
    method: 'get',
    path: '/clients/:id',
    tag: 'crm',
    summary: 'One client',
    auth: READ,
    params: idParamsSchema,
    response: clientSchema,
    handler: ({ tx, params }) => tx((t) => crm.findClientOr404(t, params.id)),
  }),
  route({
    method: 'patch',
    path: '/clients/:id',
    tag: 'crm',
    summary: 'Change a client (status archived to archive it)',
    auth: WRITE,
    params: idParamsSchema,
    body: updateClientBodySchema,
    response: clientSchema,
    handler: (ctx) => crm.updateClient(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/clients/:id/sites',
    tag: 'crm',
    summary: 'Sites of a client',
    auth: READ,
    params: idParamsSchema,
    query: listQuerySchema,
    response: pageSchema(siteSchema),
    handler: ({ tx, params, query }) =>
      tx(async (t) => {
        await crm.findClientOr404(t, params.id);
        return clientsRepo.listSites(t, params.id, query);
      }),
  }),
  route({
    method: 'post',
    path: '/clients/:id/sites',
    tag: 'crm',
    summary: 'Add a site to a client',
    auth: WRITE,
    params: idParamsSchema,
    body: siteBodySchema,
    response: siteSchema,
    handler: (ctx) => crm.createSite(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/sites/:id',
    tag: 'crm',
    summary: 'One site',
    auth: READ,
    params: idParamsSchema,
    response: siteSchema,
    handler: (ctx) => crm.getSite(ctx, ctx.params.id),
  }),
  route({
    method: 'patch',
    path: '/sites/:id',
    tag: 'crm',
    summary: 'Change a site',
    auth: WRITE,
    params: idParamsSchema,
    body: updateSiteBodySchema,
    response: siteSchema,
    handler: (ctx) => crm.updateSite(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'delete',
    path: '/sites/:id',
    tag: 'crm',
    summary: 'Remove a site',
    auth: WRITE,
    params: idParamsSchema,
    handler: (ctx) => crm.deleteSite(ctx, ctx.params.id),
  }),
  route({
    method: 'get',
    path: '/clients/:id/contacts',
    tag: 'crm',
    summary: 'Contacts of a client',
    auth: READ,
    params: idParamsSchema,
    query: listQuerySchema,
    response: pageSchema(contactSchema),
    handler: ({ tx, params, query }) =>
      tx(async (t) => {
        await crm.findClientOr404(t, params.id);
        return clientsRepo.listContacts(t, params.id, query);
      }),
  }),
  route({
    method: 'post',
    path: '/clients/:id/contacts',
    tag: 'crm',
    summary: 'Add a contact (making it primary demotes the previous primary)',
    auth: WRITE,
    params: idParamsSchema,
    body: createContactBodySchema,
    response: contactSchema,
    handler: (ctx) => crm.createContact(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/contacts/:id',
    tag: 'crm',
    summary: 'One contact',
    auth: READ,
    params: idParamsSchema,
    response: contactSchema,
    handler: (ctx) => crm.getContact(ctx, ctx.params.id),
  }),
  route({
    method: 'patch',
    path: '/contacts/:id',
    tag: 'crm',
    summary: 'Change a contact',
    auth: WRITE,
    params: idParamsSchema,
    body: updateContactBodySchema,
    response: contactSchema,
    handler: (ctx) => crm.updateContact(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'delete',
    path: '/contacts/:id',
    tag: 'crm',
    summary: 'Remove a contact (its interactions stay)',
    auth: WRITE,
    params: idParamsSchema,
    handler: (ctx) => crm.deleteContact(ctx, ctx.params.id),
  }),
  route({
    method: 'post',
    path: '/contacts/:id/invite',
    tag: 'crm',
    summary: 'Invite a contact to the client portal (creates a client user tied to their client, e-mails the link)',
    auth: WRITE,
    params: idParamsSchema,
    response: invitationSchema,
    status: 200,
    handler: (ctx) => crm.inviteContact(ctx, ctx.params.id),
  }),
  route({
    method: 'get',
    path: '/clients/:id/interactions',
    tag: 'crm',
    summary: 'Interactions with a client (filter: kind)',
    auth: READ,
    params: idParamsSchema,
    query: interactionListQuerySchema,
    response: pageSchema(interactionSchema),
    handler: ({ tx, params, query }) =>
      tx(async (t) => {
        await crm.findClientOr404(t, params.id);
        return clientsRepo.listInteractions(t, params.id, query);
      }),
  }),
  route({
    method: 'post',
    path: '/clients/:id/interactions',
    tag: 'crm',
    summary: 'Log a call, e-mail, note, meeting or commercial action',
    auth: READ,
    params: idParamsSchema,
    body: createInteractionBodySchema,
    response: interactionSchema,
    handler: (ctx) => crm.createInteraction(ctx, ctx.params.id, ctx.body),
  }),
  route({
    method: 'get',
    path: '/clients/:id/timeline',
    tag: 'crm',
    summary: 'Everything that happened with a client, newest first',
    auth: READ,
    params: idParamsSchema,
    query: listQuerySchema,
    response: pageSchema(timelineEntrySchema),
    handler: ({ tx, params, query }) =>
      tx(async (t) => {
        await crm.findClientOr404(t, params.id);
        return clientsRepo.listTimeline(t, params.id, query);
      }),
  }),
];
