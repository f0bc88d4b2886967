import {
  STAFF_ROLES,
  TICKET_MAIL_KINDS,
  TICKET_MAIL_PLACEHOLDERS,
  ticketMailTemplateSchema,
  ticketMailTemplatesSchema,
  updateTicketMailTemplateBodySchema,
  type TicketMailKind,
} from '@vigie/core';
import { ticketMailTemplatesRepo } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';

const PATH = '/settings/ticket-mail-templates';
const placeholders = TICKET_MAIL_PLACEHOLDERS.map((p) => `{{${p}}}`).join(' ');

/**
 * One PUT and one DELETE per kind, with the kind in the path as a fixed word rather than a `:kind`
 * parameter: the three templates are settings of the caller's own tenant, not objects another tenant
 * could address, so they have nothing for the cross-tenant walk of `:param` routes to check.
 */
function kindRoutes(kind: TicketMailKind): AnyRoute[] {
  return [
    route({
      method: 'put',
      path: `${PATH}/${kind}`,
      tag: 'settings',
      summary: `Write the tenant’s “${kind}” ticket e-mail (placeholders ${placeholders}; any other is refused). The subject always keeps the [#number] tag replies thread by`,
      auth: ['admin'],
      body: updateTicketMailTemplateBodySchema,
      response: ticketMailTemplateSchema,
      handler: ({ tx, actor, body, audit }) =>
        tx(async (t) => {
          const before = await ticketMailTemplatesRepo.getTemplate(t, kind);
          const after = await ticketMailTemplatesRepo.saveTemplate(t, actor.tenantId, kind, body);
          await audit(t, { action: 'settings.ticket_mail_template', entity: 'tenant', entityId: actor.tenantId, before: { kind, subject: before.subject, body: before.body }, after: { kind, ...body } });
          return after;
        }),
    }),
    route({
      method: 'delete',
      path: `${PATH}/${kind}`,
      tag: 'settings',
      summary: `Back to the built-in “${kind}” ticket e-mail`,
      auth: ['admin'],
      response: ticketMailTemplateSchema,
      status: 200,
      handler: ({ tx, actor, audit }) =>
        tx(async (t) => {
          const after = await ticketMailTemplatesRepo.resetTemplate(t, kind);
          await audit(t, { action: 'settings.ticket_mail_template_reset', entity: 'tenant', entityId: actor.tenantId, after: { kind } });
          return after;
        }),
    }),
  ];
}

export const ticketMailRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: PATH,
    tag: 'settings',
    summary: 'The e-mails a ticket’s contact receives (created, replied, resolved): the tenant’s own text or the built-in one, and the placeholders they may use',
    auth: STAFF_ROLES,
    response: ticketMailTemplatesSchema,
    handler: ({ tx }) => tx(async (t) => ({ items: await ticketMailTemplatesRepo.listTemplates(t), placeholders: [...TICKET_MAIL_PLACEHOLDERS] })),
  }),
  ...TICKET_MAIL_KINDS.flatMap(kindRoutes),
];
