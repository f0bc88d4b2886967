import type { Document, DocumentCategory, DocumentListQuery, Page } from '@vigie/core';
import { http, upload } from './http';

export type DocumentListParams = Partial<DocumentListQuery>;

const id = (value: string) => encodeURIComponent(value);

export const listDocuments = (clientId: string, params: DocumentListParams) =>
  http.get<Page<Document>>(`/clients/${id(clientId)}/documents`, params);
/** The file's bytes are the body (the API reads the real type from them); progress from 0 to 1. */
export const uploadDocument = (clientId: string, file: File, category: DocumentCategory, onProgress?: (fraction: number) => void) =>
  upload<Document>(`/clients/${id(clientId)}/documents`, file, { query: { filename: file.name, category }, onProgress });
/** Needs the bearer token: comes back as a Blob to save. */
export const downloadDocument = (documentId: string) => http.get<Blob>(`/documents/${id(documentId)}/content`, undefined, { responseType: 'blob' });
export const deleteDocument = (documentId: string) => http.delete(`/documents/${id(documentId)}`);
