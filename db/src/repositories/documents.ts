import type { Document, DocumentListQuery, Page } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

interface DocumentRow {
  id: string;
  client_id: string;
  category: Document['category'];
  filename: string;
  content_type: string;
  size_bytes: number;
  sha256: string;
  storage_key: string;
  uploaded_by: string | null;
  created_at: Date;
}

const toDocument = (row: DocumentRow): Document => ({
  id: row.id,
  clientId: row.client_id,
  category: row.category,
  filename: row.filename,
  contentType: row.content_type,
  sizeBytes: row.size_bytes,
  sha256: row.sha256,
  uploadedBy: row.uploaded_by,
  createdAt: row.created_at.toISOString(),
});

export interface NewDocument {
  tenantId: string;
  id: string;
  clientId: string;
  category: Document['category'];
  filename: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  storageKey: string;
  uploadedBy: string | null;
  /** An attachment of this ticket. */
  ticketId?: string | null;
}

export async function insertDocument(tx: TenantTx, doc: NewDocument): Promise<Document> {
  const [row] = await tx('documents')
    .insert({
      tenant_id: doc.tenantId,
      id: doc.id,
      client_id: doc.clientId,
      category: doc.category,
      filename: doc.filename,
      content_type: doc.contentType,
      size_bytes: doc.sizeBytes,
      sha256: doc.sha256,
      storage_key: doc.storageKey,
      uploaded_by: doc.uploadedBy,
      ticket_id: doc.ticketId ?? null,
    })
    .returning('*');
  return toDocument(row as DocumentRow);
}

export async function findDocument(tx: TenantTx, id: string): Promise<(Document & { storageKey: string }) | undefined> {
  const row = (await tx('documents').where({ id }).first()) as DocumentRow | undefined;
  return row ? { ...toDocument(row), storageKey: row.storage_key } : undefined;
}

export async function deleteDocument(tx: TenantTx, id: string): Promise<void> {
  await tx('documents').where({ id }).delete();
}

export async function listDocuments(tx: TenantTx, clientId: string, query: DocumentListQuery): Promise<Page<Document>> {
  const q = tx('documents').select('*').where({ client_id: clientId });
  if (query.category) q.where('category', query.category);
  if (query.q) q.whereILike('filename', likePattern(query.q));
  return paginate<DocumentRow, Document>(
    q,
    { sortable: { createdAt: 'created_at', filename: 'filename' }, defaultSort: '-createdAt', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toDocument,
  );
}

/** A ticket's attachments, oldest first. */
export async function listTicketAttachments(tx: TenantTx, ticketId: string): Promise<(Document & { storageKey: string })[]> {
  const rows = (await tx('documents').where({ ticket_id: ticketId }).orderBy([{ column: 'created_at' }, { column: 'id' }])) as DocumentRow[];
  return rows.map((row) => ({ ...toDocument(row), storageKey: row.storage_key }));
}
