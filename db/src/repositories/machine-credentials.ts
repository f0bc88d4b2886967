import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

/**
 * An agent's credentials after enrollment: what renewal needs, disabling, deleting, and the revocations the
 * NATS account must carry.
 */

export interface MachineCredentials {
  id: string;
  nkeyPublic: string;
  hostname: string;
  disabledAt: Date | null;
}

/** The machine a machine token belongs to, across tenants (the agent presents nothing else). */
export async function findMachineByToken(db: Db, tokenHash: string): Promise<{ tenantId: string; machineId: string } | undefined> {
  const { rows } = await db.raw('select tenant_id, machine_id from rmm_find_machine_by_token(?)', [tokenHash]);
  const row = rows[0] as { tenant_id: string; machine_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, machineId: row.machine_id } : undefined;
}

/** Locks the machine's row so a renewal and a disable cannot cross. */
export async function lockMachineCredentials(tx: TenantTx, id: string): Promise<MachineCredentials | undefined> {
  const row = (await tx('machines').where({ id }).forUpdate().first('id', 'nkey_public', 'hostname', 'disabled_at')) as
    | { id: string; nkey_public: string; hostname: string; disabled_at: Date | null }
    | undefined;
  return row && { id: row.id, nkeyPublic: row.nkey_public, hostname: row.hostname, disabledAt: row.disabled_at };
}

export async function recordRenewal(tx: TenantTx, id: string, jwtExpiresAt: Date, agentVersion?: string): Promise<void> {
  await tx('machines')
    .where({ id })
    .update({ jwt_expires_at: jwtExpiresAt, ...(agentVersion ? { agent_version: agentVersion } : {}) });
}

export async function setDisabled(tx: TenantTx, id: string, disabled: boolean): Promise<void> {
  await tx('machines')
    .where({ id })
    .update({ disabled_at: disabled ? tx.raw('now()') : null });
}

export async function deleteMachine(tx: TenantTx, id: string): Promise<void> {
  await tx('machines').where({ id }).delete();
}

export async function insertRevocation(tx: TenantTx, r: { tenantId: string; machineId: string; nkeyPublic: string; reason: 'disabled' | 'deleted' }): Promise<void> {
  await tx('agent_revocations').insert({ tenant_id: r.tenantId, machine_id: r.machineId, nkey_public: r.nkeyPublic, reason: r.reason, revoked_at: tx.raw('clock_timestamp()') });
}

/** Every tenant's revocations since `since` (the NATS account is shared), latest per nkey. */
export async function listRevocationsSince(db: Db, since: Date): Promise<{ nkeyPublic: string; revokedAt: Date }[]> {
  const { rows } = await db.raw('select nkey_public, revoked_at from rmm_agent_revocations(?)', [since]);
  return (rows as { nkey_public: string; revoked_at: Date }[]).map((r) => ({ nkeyPublic: r.nkey_public, revokedAt: r.revoked_at }));
}

/** Which of these machine ids still exist, in any tenant (to find command consumers left by deleted machines). */
export async function existingMachines(db: Db, ids: string[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await db.raw('select id from rmm_existing_machines(?::uuid[])', [ids]);
  return new Set((rows as { id: string }[]).map((r) => r.id));
}
