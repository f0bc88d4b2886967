import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

export interface InvitationRow {
  id: string;
  user_id: string;
  expires_at: Date;
  accepted_at: Date | null;
}

export async function insertInvitation(
  tx: TenantTx,
  inv: { tenantId: string; id: string; userId: string; tokenHash: string; expiresAt: Date },
): Promise<void> {
  // A new invitation replaces any pending one for the same user.
  await tx('invitations').where({ user_id: inv.userId }).whereNull('accepted_at').delete();
  await tx('invitations').insert({ tenant_id: inv.tenantId, id: inv.id, user_id: inv.userId, token_hash: inv.tokenHash, expires_at: inv.expiresAt });
}

export async function findInvitationTarget(db: Db, tokenHash: string): Promise<{ tenantId: string; invitationId: string } | undefined> {
  const { rows } = await db.raw('select tenant_id, invitation_id from auth_find_invitation(?)', [tokenHash]);
  const row = rows[0] as { tenant_id: string; invitation_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, invitationId: row.invitation_id } : undefined;
}

export async function lockInvitation(tx: TenantTx, id: string): Promise<InvitationRow | undefined> {
  return tx('invitations').where({ id }).forUpdate().first();
}

export async function markAccepted(tx: TenantTx, id: string): Promise<void> {
  await tx('invitations').where({ id }).update({ accepted_at: tx.fn.now() });
}
