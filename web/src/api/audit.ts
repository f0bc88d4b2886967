import type { AuditEntry, AuditListQuery, Page } from '@vigie/core';
import { http } from './http';

export type AuditListParams = Partial<AuditListQuery>;

export const listAudit = (params: AuditListParams) => http.get<Page<AuditEntry>>('/audit-log', params);
