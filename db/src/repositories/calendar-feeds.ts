import { randomUUID } from 'node:crypto';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

/**
 * Replaces the technician's live feed: the previous secret is revoked in the same transaction (the
 * partial unique index allows one live feed per technician). Returns when the new one was made.
 */
export async function replaceFeed(tx: TenantTx, tenantId: string, userId: string, tokenHash: string): Promise<{ id: string; createdAt: string }> {
  await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`calendar-feed:${tenantId}:${userId}`]);
  await revokeFeeds(tx, userId);
  const [row] = (await tx('calendar_feeds')
    .insert({ tenant_id: tenantId, id: randomUUID(), user_id: userId, token_hash: tokenHash })
    .returning(['id', 'created_at'])) as { id: string; created_at: Date }[];
  return { id: row!.id, createdAt: row!.created_at.toISOString() };
}

/** Revokes the technician's live feed, if any; returns how many were revoked (0 or 1). */
export async function revokeFeeds(tx: TenantTx, userId: string): Promise<number> {
  return tx('calendar_feeds').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: tx.fn.now() });
}

/**
 * Cross-tenant (SECURITY DEFINER `calendar_feed_lookup`): whose live feed this secret's hash is. A feed
 * is read before any tenant is known; this narrow lookup is all it may read outside one.
 */
export async function findFeedTarget(db: Db, tokenHash: string): Promise<{ tenantId: string; userId: string } | undefined> {
  const { rows } = await db.raw('select tenant_id, user_id from calendar_feed_lookup(?)', [tokenHash]);
  const row = rows[0] as { tenant_id: string; user_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, userId: row.user_id } : undefined;
}

/** Whose feed it is and of which tenant, for its title; undefined when the user is gone. */
export async function feedOwner(tx: TenantTx, tenantId: string, userId: string): Promise<{ name: string; disabled: boolean; tenantName: string } | undefined> {
  const user = (await tx('users').where({ id: userId }).first('name', 'disabled')) as { name: string; disabled: boolean } | undefined;
  const tenant = (await tx('tenants').where({ id: tenantId }).first('name')) as { name: string } | undefined;
  return user && tenant ? { name: user.name, disabled: user.disabled, tenantName: tenant.name } : undefined;
}
