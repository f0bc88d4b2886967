import type { BusinessCalendar } from '@vigie/core';
import type { TenantTx } from '../tenancy';

type Week = BusinessCalendar['week'];

/** The technician's own working week, or null: the tenant's business hours apply. */
export async function findWeek(tx: TenantTx, userId: string): Promise<Week | null> {
  const row = (await tx('technician_schedules').where({ user_id: userId }).first('week')) as { week: Week } | undefined;
  return row?.week ?? null;
}

/** Every custom week of the tenant, by user id (capacity reads them all at once). */
export async function weeksByUser(tx: TenantTx, userIds: string[]): Promise<Map<string, Week>> {
  if (userIds.length === 0) return new Map();
  const rows = (await tx('technician_schedules').whereIn('user_id', userIds).select('user_id', 'week')) as { user_id: string; week: Week }[];
  return new Map(rows.map((r) => [r.user_id, r.week]));
}

export async function putWeek(tx: TenantTx, tenantId: string, userId: string, week: Week): Promise<void> {
  await tx('technician_schedules')
    .insert({ tenant_id: tenantId, user_id: userId, week: JSON.stringify(week) })
    .onConflict(['tenant_id', 'user_id'])
    .merge({ week: JSON.stringify(week), updated_at: tx.fn.now() });
}

export async function deleteWeek(tx: TenantTx, userId: string): Promise<void> {
  await tx('technician_schedules').where({ user_id: userId }).delete();
}
