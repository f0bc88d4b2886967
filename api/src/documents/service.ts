import { createHash, randomUUID } from 'node:crypto';
import { AppError, sanitizeFilename, sniffDocumentType, type Document } from '@vigie/core';
import { documentsRepo } from '@vigie/db';
import type { AuthedContext } from '../http/route';

/**
 * Stores the request body as a document of a client (optionally a ticket's attachment). Bytes first,
 * then the row: if the transaction fails, the stored file is removed again, so nothing half-written is
 * left behind (a crash between the two leaves an orphan file, never a dangling row).
 */
export async function storeDocument(
  ctx: AuthedContext<unknown, unknown, unknown>,
  target: { clientId: string; ticketId?: string; category: Document['category']; filename: string },
): Promise<Document> {
  const bytes = ctx.req.body as unknown;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw AppError.invalid('send the file bytes as the request body');
  const filename = sanitizeFilename(target.filename);
  const contentType = sniffDocumentType(bytes, filename);
  if (!contentType) throw AppError.invalid('this kind of file is not accepted (PDF, images, office documents, text)');
  const id = randomUUID();
  const storageKey = `${ctx.actor.tenantId}/${id}`;
  await ctx.deps.storage.put(storageKey, bytes);
  try {
    return await ctx.tx(async (tx) => {
      const doc = await documentsRepo.insertDocument(tx, {
        tenantId: ctx.actor.tenantId,
        id,
        clientId: target.clientId,
        category: target.category,
        filename,
        contentType,
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        storageKey,
        uploadedBy: ctx.actor.userId,
        ticketId: target.ticketId ?? null,
      });
      await ctx.audit(tx, { action: 'document.upload', entity: 'document', entityId: id, after: { clientId: target.clientId, ticketId: target.ticketId ?? null, filename, contentType, sizeBytes: bytes.length } });
      return doc;
    });
  } catch (err) {
    await ctx.deps.storage.delete(storageKey).catch(() => {});
    throw err;
  }
}
