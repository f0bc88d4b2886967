import type { EnrollmentToken, Machine, TelemetryKind } from '@vigie/core';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

/** A machine is online when its last heartbeat is younger than this (DESIGN: 150 s by default). */
export const OFFLINE_AFTER_MS = 150_000;

interface TokenRow {
  id: string;
  client_id: string;
  site_id: string | null;
  token_hash: string;
  expires_at: Date;
  revoked_at: Date | null;
  created_by: string | null;
  created_at: Date;
}

export type TokenState = 'active' | 'expired' | 'revoked';

export function tokenState(row: { expires_at: Date; revoked_at: Date | null }, now = new Date()): TokenState {
  if (row.revoked_at) return 'revoked';
  return row.expires_at.getTime() <= now.getTime() ? 'expired' : 'active';
}

const toToken = (r: TokenRow): EnrollmentToken => ({
  id: r.id,
  clientId: r.client_id,
  siteId: r.site_id,
  expiresAt: r.expires_at.toISOString(),
  revokedAt: r.revoked_at?.toISOString() ?? null,
  createdBy: r.created_by,
  createdAt: r.created_at.toISOString(),
  status: tokenState(r),
});

export async function insertEnrollmentToken(
  tx: TenantTx,
  t: { tenantId: string; id: string; clientId: string; siteId: string | null; tokenHash: string; expiresAt: Date; createdBy: string },
): Promise<EnrollmentToken> {
  const [row] = (await tx('enrollment_tokens')
    .insert({ tenant_id: t.tenantId, id: t.id, client_id: t.clientId, site_id: t.siteId, token_hash: t.tokenHash, expires_at: t.expiresAt, created_by: t.createdBy })
    .returning('*')) as TokenRow[];
  return toToken(row!);
}

export async function listEnrollmentTokens(tx: TenantTx): Promise<EnrollmentToken[]> {
  return ((await tx('enrollment_tokens').orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]).limit(500)) as TokenRow[]).map(toToken);
}

export async function findEnrollmentToken(tx: TenantTx, id: string): Promise<EnrollmentToken | undefined> {
  const row = (await tx('enrollment_tokens').where({ id }).first()) as TokenRow | undefined;
  return row ? toToken(row) : undefined;
}

/** Revokes once; a second revoke keeps the first date. */
export async function revokeEnrollmentToken(tx: TenantTx, id: string): Promise<boolean> {
  return (await tx('enrollment_tokens').where({ id }).update({ revoked_at: tx.raw('coalesce(revoked_at, now())') })) > 0;
}

/** The tenant of a token, found from its hash alone (security-definer function: the enrolling agent has no tenant yet). */
export async function findEnrollmentTokenTarget(db: Db, tokenHash: string): Promise<{ tenantId: string; tokenId: string } | undefined> {
  const { rows } = await db.raw('select tenant_id, token_id from rmm_find_enrollment_token(?)', [tokenHash]);
  const row = rows[0] as { tenant_id: string; token_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, tokenId: row.token_id } : undefined;
}

export async function lockEnrollmentToken(tx: TenantTx, id: string): Promise<TokenRow | undefined> {
  return (await tx('enrollment_tokens').where({ id }).forUpdate().first()) as TokenRow | undefined;
}

interface MachineRow {
  id: string;
  client_id: string;
  site_id: string | null;
  hostname: string;
  os_name: string;
  os_version: string;
  cpu_model: string;
  ram_total_bytes: number | null;
  agent_version: string;
  jwt_expires_at: Date;
  disabled_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
}

const toMachine = (r: MachineRow, now = Date.now()): Machine => ({
  id: r.id,
  clientId: r.client_id,
  siteId: r.site_id,
  hostname: r.hostname,
  osName: r.os_name,
  osVersion: r.os_version,
  cpuModel: r.cpu_model,
  ramTotal: r.ram_total_bytes,
  agentVersion: r.agent_version,
  lastSeenAt: r.last_seen_at?.toISOString() ?? null,
  online: !r.disabled_at && !!r.last_seen_at && now - r.last_seen_at.getTime() < OFFLINE_AFTER_MS,
  lastInventoryAt: null,
  disabledAt: r.disabled_at?.toISOString() ?? null,
  jwtExpiresAt: r.jwt_expires_at.toISOString(),
  createdAt: r.created_at.toISOString(),
});

export interface NewMachine {
  tenantId: string;
  id: string;
  clientId: string;
  siteId: string | null;
  enrollmentTokenId: string;
  hostname: string;
  osName: string;
  osVersion: string;
  cpuModel: string;
  ramTotalBytes: number | null;
  agentVersion: string;
  nkeyPublic: string;
  jwtExpiresAt: Date;
  machineTokenHash: string;
}

export async function insertMachine(tx: TenantTx, m: NewMachine): Promise<Machine> {
  const [row] = (await tx('machines')
    .insert({
      tenant_id: m.tenantId,
      id: m.id,
      client_id: m.clientId,
      site_id: m.siteId,
      enrollment_token_id: m.enrollmentTokenId,
      hostname: m.hostname,
      os_name: m.osName,
      os_version: m.osVersion,
      cpu_model: m.cpuModel,
      ram_total_bytes: m.ramTotalBytes,
      agent_version: m.agentVersion,
      nkey_public: m.nkeyPublic,
      jwt_expires_at: m.jwtExpiresAt,
      machine_token_hash: m.machineTokenHash,
    })
    .returning('*')) as MachineRow[];
  return toMachine(row!);
}

export async function listMachines(tx: TenantTx, filter: { clientId?: string | undefined } = {}): Promise<Machine[]> {
  const q = tx('machines').orderBy([{ column: 'hostname' }, { column: 'id' }]).limit(1000);
  if (filter.clientId) void q.where({ client_id: filter.clientId });
  return ((await q) as MachineRow[]).map((r) => toMachine(r));
}

export async function findMachine(tx: TenantTx, id: string): Promise<Machine | undefined> {
  const row = (await tx('machines').where({ id }).first()) as MachineRow | undefined;
  return row ? toMachine(row) : undefined;
}

export type TelemetryReceipt = 'stored' | 'duplicate' | 'unknown_machine';

/**
 * Records one telemetry message of a machine of the transaction's tenant: inserts (machine, seq) or does
 * nothing if it is already there (a redelivery), and moves `last_seen_at` / `last_seq` forward. A machine
 * unknown to this tenant (or disabled) stores nothing.
 */
export async function recordTelemetry(tx: TenantTx, tenantId: string, machineId: string, seq: number, kind: TelemetryKind): Promise<TelemetryReceipt> {
  const machine = (await tx('machines').where({ id: machineId }).whereNull('disabled_at').first('id')) as { id: string } | undefined;
  if (!machine) return 'unknown_machine';
  const inserted = (await tx('telemetry_receipts')
    .insert({ tenant_id: tenantId, machine_id: machineId, seq, kind })
    .onConflict(['tenant_id', 'machine_id', 'seq'])
    .ignore()
    .returning('seq')) as { seq: number }[];
  if (!inserted.length) return 'duplicate';
  await tx('machines')
    .where({ id: machineId })
    .update({ last_seen_at: tx.raw('greatest(last_seen_at, now())'), last_seq: tx.raw('greatest(last_seq, ?)', [seq]) });
  return 'stored';
}

export async function countTelemetry(tx: TenantTx, machineId: string, kind?: TelemetryKind): Promise<number> {
  const q = tx('telemetry_receipts').where({ machine_id: machineId });
  if (kind) void q.where({ kind });
  const row = (await q.count<{ n: number }[]>({ n: '*' }))[0];
  return Number(row?.n ?? 0);
}
