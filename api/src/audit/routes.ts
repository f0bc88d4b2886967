import { auditEntrySchema, auditListQuerySchema, pageSchema } from '@vigie/core';
import { auditRepo } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';

export const auditRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/audit-log',
    tag: 'audit',
    summary: 'Audit log (filters: actorId, entity, entityId, action, from, to)',
    auth: ['admin'],
    query: auditListQuerySchema,
    response: pageSchema(auditEntrySchema),
    handler: ({ tx, query }) => tx((t) => auditRepo.listAudit(t, query)),
  }),
];
