import type { Knex } from 'knex';
import type { EnrollmentToken, FleetMachine, Machine, MACHINE_SORTS, MachineListQuery, Page, TelemetryKind } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
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
  const rows = (await tx('enrollment_tokens as e')
    .join('clients as c', (j) => j.on('c.tenant_id', 'e.tenant_id').andOn('c.id', 'e.client_id'))
    .leftJoin('client_sites as s', (j) => j.on('s.tenant_id', 'e.tenant_id').andOn('s.id', 'e.site_id'))
    .select('e.*', 'c.name as client_name', 's.name as site_name')
    .orderBy([{ column: 'e.created_at', order: 'desc' }, { column: 'e.id' }])
    .limit(500)) as (TokenRow & { client_name: string; site_name: string | null })[];
  return rows.map((r) => ({ ...toToken(r), clientName: r.client_name, siteName: r.site_name }));
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

interface FleetMachineRow extends MachineRow {
  client_name: string;
  site_name: string | null;
  metrics_at: Date | null;
  cpu_percent: number | null;
  mem_used_bytes: string | number | null;
  mem_total_bytes: string | number | null;
  tags: string[] | null;
}

const toFleetMachine = (r: FleetMachineRow, now = Date.now()): FleetMachine => ({
  ...toMachine(r, now),
  clientName: r.client_name,
  siteName: r.site_name,
  latestMetrics: r.metrics_at
    ? {
        at: r.metrics_at.toISOString(),
        cpuPercent: Math.round(Number(r.cpu_percent) * 10) / 10,
        memUsedBytes: r.mem_used_bytes === null ? null : Number(r.mem_used_bytes),
        memTotalBytes: r.mem_total_bytes === null ? null : Number(r.mem_total_bytes),
      }
    : null,
  tags: r.tags ?? [],
});

/** Machines with their client's and site's names and their latest sample of the last 24 hours. */
function selectFleetMachines(tx: TenantTx): Knex.QueryBuilder {
  return tx('machines as m')
    .join('clients as c', (j) => j.on('c.tenant_id', 'm.tenant_id').andOn('c.id', 'm.client_id'))
    .leftJoin('client_sites as s', (j) => j.on('s.tenant_id', 'm.tenant_id').andOn('s.id', 'm.site_id'))
    .joinRaw(
      `left join lateral (
         select mm.collected_at as metrics_at, mm.cpu_percent, mm.mem_used_bytes, mm.mem_total_bytes from machine_metrics mm
         where mm.tenant_id = m.tenant_id and mm.machine_id = m.id and mm.collected_at > now() - interval '1 day'
         order by mm.collected_at desc limit 1
       ) lm on true`,
    )
    .select('m.*', 'c.name as client_name', 's.name as site_name', 'lm.metrics_at', 'lm.cpu_percent', 'lm.mem_used_bytes', 'lm.mem_total_bytes');
}

const OFFLINE_AFTER = `${OFFLINE_AFTER_MS} milliseconds`;

/** The fleet: filters (client, site, online state, OS, hostname), keyset pages sorted by hostname by default. */
export async function listFleetMachines(tx: TenantTx, query: MachineListQuery): Promise<Page<FleetMachine>> {
  const q = selectFleetMachines(tx);
  if (query.clientId) void q.where('m.client_id', query.clientId);
  if (query.siteId) void q.where('m.site_id', query.siteId);
  if (query.status === 'online') void q.whereNull('m.disabled_at').whereRaw('m.last_seen_at > now() - ?::interval', [OFFLINE_AFTER]);
  if (query.status === 'offline')
    void q.where((w) => w.whereNotNull('m.disabled_at').orWhereNull('m.last_seen_at').orWhereRaw('m.last_seen_at <= now() - ?::interval', [OFFLINE_AFTER]));
  if (query.os) void q.whereILike('m.os_name', likePattern(query.os));
  if (query.q) void q.whereILike('m.hostname', likePattern(query.q));
  const now = Date.now();
  return paginate<FleetMachineRow, FleetMachine>(
    q,
    {
      sortable: { hostname: 'm.hostname', osName: 'm.os_name', createdAt: 'm.created_at' } satisfies Record<(typeof MACHINE_SORTS)[number], string>,
      defaultSort: 'hostname',
      idColumn: 'm.id',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    (row) => toFleetMachine(row, now),
  );
}

export async function findFleetMachine(tx: TenantTx, id: string): Promise<FleetMachine | undefined> {
  const row = (await selectFleetMachines(tx).where('m.id', id).first()) as FleetMachineRow | undefined;
  return row ? toFleetMachine(row) : undefined;
}

/**
 * The machines that may have changed since `since` (database time, now when absent): seen, enrolled, disabled
 * or gone offline (their last contact crossed the offline delay) in between; `at` is the database time of this read,
 * the next `since`. The window starts `marginMs` earlier, since a writer's now() is its transaction's start,
 * before its commit: windows overlap, so callers drop what they already sent.
 */
export async function listMachineChanges(tx: TenantTx, since: Date | null, marginMs = 10_000): Promise<{ at: Date; machines: FleetMachine[] }> {
  const { rows } = await tx.raw('select now() as at');
  const at = (rows[0] as { at: Date }).at;
  const from = new Date((since ?? at).getTime() - marginMs);
  const rowsChanged = (await selectFleetMachines(tx)
    .where((w) =>
      w
        .where('m.last_seen_at', '>', from)
        .orWhere('m.created_at', '>', from)
        .orWhere('m.disabled_at', '>', from)
        .orWhere((x) => x.where('m.last_seen_at', '>', new Date(from.getTime() - OFFLINE_AFTER_MS)).where('m.last_seen_at', '<=', new Date(at.getTime() - OFFLINE_AFTER_MS))),
    )
    .orderBy('m.id')
    .limit(10_000)) as FleetMachineRow[];
  return { at, machines: rowsChanged.map((r) => toFleetMachine(r, at.getTime())) };
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
