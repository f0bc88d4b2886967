import { z } from 'zod';
import { listQuerySchema } from './common';

export const DOCUMENT_CATEGORIES = ['contract', 'quote', 'invoice', 'annex', 'attachment', 'other'] as const;
export type DocumentCategory = (typeof DOCUMENT_CATEGORIES)[number];

export const documentSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    category: z.enum(DOCUMENT_CATEGORIES),
    filename: z.string(),
    contentType: z.string(),
    sizeBytes: z.number().int(),
    sha256: z.string(),
    uploadedBy: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Document' });
export type Document = z.infer<typeof documentSchema>;

export const uploadDocumentQuerySchema = z.strictObject({
  filename: z.string().trim().min(1).max(255),
  category: z.enum(DOCUMENT_CATEGORIES).default('other'),
});
export type UploadDocumentQuery = z.infer<typeof uploadDocumentQuerySchema>;

export const documentListQuerySchema = listQuerySchema.extend({ category: z.enum(DOCUMENT_CATEGORIES).optional() });
export type DocumentListQuery = z.infer<typeof documentListQuerySchema>;
