import { randomUUID } from 'node:crypto';
import type { Notification, NotificationListQuery, Page } from '@vigie/core';
import { paginate } from '../pagination';
import type { TenantTx } from '../tenancy';

interface NotificationRow {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: string | null;
  created_at: Date;
  read_at: Date | null;
}

const toNotification = (row: NotificationRow): Notification => ({
  id: row.id,
  kind: row.kind,
  title: row.title,
  body: row.body,
  link: row.link,
  createdAt: row.created_at.toISOString(),
  readAt: row.read_at?.toISOString() ?? null,
});

/** Idempotent on `sourceKey`: returns false when that cause already notified. */
export async function notify(
  tx: TenantTx,
  n: { tenantId: string; userId: string; kind: string; title: string; body: string; link: string | null; sourceKey: string },
): Promise<boolean> {
  const inserted = await tx('notifications')
    .insert({ tenant_id: n.tenantId, id: randomUUID(), user_id: n.userId, kind: n.kind, title: n.title, body: n.body, link: n.link, source_key: n.sourceKey })
    .onConflict(['tenant_id', 'source_key'])
    .ignore()
    .returning('id');
  return inserted.length > 0;
}

export async function listNotifications(tx: TenantTx, userId: string, query: NotificationListQuery): Promise<Page<Notification>> {
  const q = tx('notifications').select('*').where({ user_id: userId });
  if (query.unread === true) q.whereNull('read_at');
  if (query.unread === false) q.whereNotNull('read_at');
  return paginate<NotificationRow, Notification>(
    q,
    { sortable: { createdAt: 'created_at' }, defaultSort: '-createdAt', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toNotification,
  );
}

export async function markRead(tx: TenantTx, userId: string, id?: string): Promise<number> {
  const q = tx('notifications').where({ user_id: userId }).whereNull('read_at');
  if (id) q.where({ id });
  return q.update({ read_at: tx.fn.now() });
}

export async function findNotification(tx: TenantTx, id: string): Promise<(Notification & { userId: string }) | undefined> {
  const row = await tx('notifications').where({ id }).first();
  return row ? { ...toNotification(row as NotificationRow), userId: (row as { user_id: string }).user_id } : undefined;
}

export async function countUnread(tx: TenantTx, userId: string): Promise<number> {
  const row = await tx('notifications').where({ user_id: userId }).whereNull('read_at').count<{ n: number }[]>('* as n').first();
  return Number(row?.n ?? 0);
}
