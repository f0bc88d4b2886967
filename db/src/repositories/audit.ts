import { randomUUID } from 'node:crypto';
import type { AuditEntry, AuditListQuery, Page } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

export interface AuditRecord {
  tenantId: string;
  actorId: string | null;
  actorName: string | null;
  action: string;
  entity: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  requestId: string | null;
}

interface AuditRow {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  entity: string;
  entity_id: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
}

const SECRET_KEYS = /password|secret|token|hash/i;

/** Drops secrets before they reach the audit trail; keeps the fact that they changed. */
function redact(value: Record<string, unknown> | null | undefined): string | null {
  if (!value) return null;
  const clean = Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? '[redacted]' : v]),
  );
  return JSON.stringify(clean);
}

/** Written in the same transaction as the change it describes: both land or neither does. */
export async function recordAudit(tx: TenantTx, entry: AuditRecord): Promise<void> {
  await tx('audit_log').insert({
    tenant_id: entry.tenantId,
    id: randomUUID(),
    actor_id: entry.actorId,
    actor_name: entry.actorName,
    action: entry.action,
    entity: entry.entity,
    entity_id: entry.entityId,
    before: redact(entry.before),
    after: redact(entry.after),
    request_id: entry.requestId,
  });
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actor_id,
    actorName: row.actor_name,
    action: row.action,
    entity: row.entity,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
    requestId: row.request_id,
  };
}

export async function listAudit(tx: TenantTx, query: AuditListQuery): Promise<Page<AuditEntry>> {
  const q = tx('audit_log').select('*');
  if (query.actorId) q.where('actor_id', query.actorId);
  if (query.entity) q.where('entity', query.entity);
  if (query.entityId) q.where('entity_id', query.entityId);
  if (query.action) q.where('action', query.action);
  if (query.from) q.where('at', '>=', query.from);
  if (query.to) q.where('at', '<', query.to);
  if (query.q) q.whereILike('action', likePattern(query.q));
  return paginate<AuditRow, AuditEntry>(
    q,
    { sortable: { at: 'at' }, defaultSort: '-at', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toEntry,
  );
}
