import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

export interface RefreshTokenRow {
  tenant_id: string;
  id: string;
  user_id: string;
  family_id: string;
  token_hash: string;
  created_at: Date;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertRefreshToken(
  tx: TenantTx,
  token: { tenantId: string; id: string; userId: string; familyId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  await tx('refresh_tokens').insert({
    tenant_id: token.tenantId,
    id: token.id,
    user_id: token.userId,
    family_id: token.familyId,
    token_hash: token.tokenHash,
    expires_at: token.expiresAt,
  });
}

/** Locks the row so two concurrent refreshes with the same token cannot both succeed. */
export async function lockRefreshToken(tx: TenantTx, id: string): Promise<RefreshTokenRow | undefined> {
  return tx('refresh_tokens').where({ id }).forUpdate().first();
}

/** Marks the token used; returns false if someone used it first. */
export async function markRefreshTokenUsed(tx: TenantTx, id: string): Promise<boolean> {
  const n = await tx('refresh_tokens').where({ id }).whereNull('used_at').update({ used_at: tx.fn.now() });
  return n === 1;
}

export async function revokeFamily(tx: TenantTx, familyId: string): Promise<number> {
  return tx('refresh_tokens').where({ family_id: familyId }).whereNull('revoked_at').update({ revoked_at: tx.fn.now() });
}

export async function revokeAllForUser(tx: TenantTx, userId: string): Promise<number> {
  return tx('refresh_tokens').where({ user_id: userId }).whereNull('revoked_at').update({ revoked_at: tx.fn.now() });
}

/** Cross-tenant lookup by hash (SECURITY DEFINER function): tells which tenant to open. */
export async function findRefreshTarget(db: Db, tokenHash: string): Promise<{ tenantId: string; tokenId: string } | undefined> {
  const { rows } = await db.raw(`select tenant_id, token_id from auth_find_refresh_token(?)`, [tokenHash]);
  const row = rows[0] as { tenant_id: string; token_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, tokenId: row.token_id } : undefined;
}
