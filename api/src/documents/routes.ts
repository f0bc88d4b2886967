import {
  AppError,
  STAFF_ROLES,
  documentListQuerySchema,
  documentSchema,
  idParamsSchema,
  pageSchema,
  uploadDocumentQuerySchema,
  type Document,
} from '@vigie/core';
import { clientsRepo, documentsRepo, type TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';
import { storeDocument } from './service';
import { BinaryResponse, route, type AnyRoute, type AuthedContext } from '../http/route';

const WRITE = ['admin', 'manager'] as const;

async function documentOr404(tx: TenantTx, id: string) {
  const doc = await documentsRepo.findDocument(tx, id);
  if (!doc) throw AppError.notFound('document');
  return doc;
}

async function upload(ctx: AuthedContext<unknown, { filename: string; category: Document['category'] }, { id: string }>): Promise<Document> {
  await ctx.tx((tx) => clientsRepo.findClient(tx, ctx.params.id)).then((c) => {
    if (!c) throw AppError.notFound('client');
  });
  return storeDocument(ctx, { clientId: ctx.params.id, category: ctx.query.category, filename: ctx.query.filename });
}

export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

export function documentRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'post',
      path: '/clients/:id/documents',
      tag: 'crm',
      summary: 'Upload a document (raw bytes; ?filename=&category=); its type is read from the bytes',
      auth: WRITE,
      params: idParamsSchema,
      query: uploadDocumentQuerySchema,
      rawBody: { types: ['*/*'], limit: deps.config.DOCUMENT_MAX_BYTES },
      response: documentSchema,
      handler: (ctx) => upload(ctx),
    }),
    route({
      method: 'get',
      path: '/clients/:id/documents',
      tag: 'crm',
      summary: 'Documents of a client (filter: category)',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      query: documentListQuerySchema,
      response: pageSchema(documentSchema),
      handler: ({ tx, params, query }) =>
        tx(async (t) => {
          if (!(await clientsRepo.findClient(t, params.id))) throw AppError.notFound('client');
          return documentsRepo.listDocuments(t, params.id, query);
        }),
    }),
    route({
      method: 'get',
      path: '/documents/:id',
      tag: 'crm',
      summary: 'A document’s metadata',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      response: documentSchema,
      handler: ({ tx, params }) =>
        tx(async (t) => {
          const { storageKey: _key, ...doc } = await documentOr404(t, params.id);
          return doc;
        }),
    }),
    route({
      method: 'get',
      path: '/documents/:id/content',
      tag: 'crm',
      summary: 'Download a document',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      produces: 'application/octet-stream',
      handler: async ({ tx, params, deps: d, req }) => {
        const doc = await tx((t) => documentOr404(t, params.id));
        const bytes = await d.storage.get(doc.storageKey);
        if (!bytes) throw AppError.notFound('document content');
        req.res!.setHeader('Content-Disposition', contentDisposition(doc.filename));
        req.res!.setHeader('X-Content-Type-Options', 'nosniff');
        return new BinaryResponse(doc.contentType, bytes, 'private, no-store');
      },
    }),
    route({
      method: 'delete',
      path: '/documents/:id',
      tag: 'crm',
      summary: 'Delete a document',
      auth: WRITE,
      params: idParamsSchema,
      handler: async (ctx) => {
        const doc = await ctx.tx(async (tx) => {
          const found = await documentOr404(tx, ctx.params.id);
          await documentsRepo.deleteDocument(tx, found.id);
          await ctx.audit(tx, { action: 'document.delete', entity: 'document', entityId: found.id, before: { filename: found.filename, clientId: found.clientId } });
          return found;
        });
        // After the commit: the row is gone, so the bytes can go too.
        await ctx.deps.storage.delete(doc.storageKey);
      },
    }),
  ];
}
