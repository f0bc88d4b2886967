import type { CreateReminderBody, Page, Reminder, ReminderListQuery, ReminderStatus } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

interface ReminderRow {
  id: string;
  title: string;
  note: string;
  due_at: Date;
  status: ReminderStatus;
  fired_count: number;
  owner_id: string;
  client_id: string | null;
  opportunity_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const toReminder = (row: ReminderRow): Reminder => ({
  id: row.id,
  title: row.title,
  note: row.note,
  dueAt: row.due_at.toISOString(),
  status: row.status,
  firedCount: row.fired_count,
  ownerId: row.owner_id,
  clientId: row.client_id,
  opportunityId: row.opportunity_id,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

export async function insertReminder(tx: TenantTx, tenantId: string, id: string, ownerId: string, body: CreateReminderBody): Promise<Reminder> {
  const [row] = await tx('reminders')
    .insert({
      tenant_id: tenantId,
      id,
      owner_id: ownerId,
      client_id: body.clientId ?? null,
      opportunity_id: body.opportunityId ?? null,
      title: body.title,
      note: body.note ?? '',
      due_at: body.dueAt,
    })
    .returning('*');
  return toReminder(row as ReminderRow);
}

export async function findReminder(tx: TenantTx, id: string): Promise<Reminder | undefined> {
  const row = await tx('reminders').where({ id }).first();
  return row ? toReminder(row as ReminderRow) : undefined;
}

export async function setReminder(tx: TenantTx, id: string, patch: { status?: ReminderStatus; dueAt?: string; fired?: boolean }): Promise<Reminder> {
  const [row] = await tx('reminders')
    .where({ id })
    .update({
      ...(patch.status ? { status: patch.status } : {}),
      ...(patch.dueAt ? { due_at: patch.dueAt } : {}),
      ...(patch.fired ? { fired_count: tx.raw('fired_count + 1') } : {}),
      updated_at: tx.fn.now(),
    })
    .returning('*');
  return toReminder(row as ReminderRow);
}

export async function listReminders(tx: TenantTx, query: ReminderListQuery): Promise<Page<Reminder>> {
  const q = tx('reminders').select('*');
  if (query.status) q.where('status', query.status);
  if (query.ownerId) q.where('owner_id', query.ownerId);
  if (query.clientId) q.where('client_id', query.clientId);
  if (query.q) q.whereILike('title', likePattern(query.q));
  return paginate<ReminderRow, Reminder>(
    q,
    { sortable: { dueAt: 'due_at', createdAt: 'created_at' }, defaultSort: 'dueAt', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toReminder,
  );
}
