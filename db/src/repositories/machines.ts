import type { Knex } from 'knex';
import { DEFAULT_OFFLINE_AFTER_SECONDS, type EnrollmentToken, type FleetMachine, type Machine, type MACHINE_SORTS, type MachineListQuery, type Page, type TelemetryKind } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

/**
 * A machine is online when its last heartbeat is younger than its tenant's `offline_after_seconds` (the
 * threshold ingest's offline alerts use too; 150 s by default). Read in the same query as the machines, from
 * the tenant's settings row, which row-level security narrows to the transaction's tenant.
 */
const OFFLINE_AFTER_SECONDS_SQL = `coalesce((select ts.offline_after_seconds from tenant_settings ts), ${DEFAULT_OFFLINE_AFTER_SECONDS})`;

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
  /** Selected with the row (OFFLINE_AFTER_SECONDS_SQL); absent on a row just inserted, never seen yet. */
  offline_after_seconds?: number;
}

const isOnline = (r: MachineRow, now: number) =>
  !r.disabled_at && !!r.last_seen_at && now - r.last_seen_at.getTime() < (r.offline_after_seconds ?? DEFAULT_OFFLINE_AFTER_SECONDS) * 1000;

/** Machines with their tenant's offline threshold. */
const selectMachines = (tx: TenantTx) => tx('machines').select('machines.*', tx.raw(`${OFFLINE_AFTER_SECONDS_SQL} as offline_after_seconds`));

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
  online: isOnline(r, now),
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
  const q = selectMachines(tx).orderBy([{ column: 'hostname' }, { column: 'id' }]).limit(1000);
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
    .select('m.*', 'c.name as client_name', 's.name as site_name', 'lm.metrics_at', 'lm.cpu_percent', 'lm.mem_used_bytes', 'lm.mem_total_bytes')
    .select(tx.raw(`${OFFLINE_AFTER_SECONDS_SQL} as offline_after_seconds`));
}

/** "Seen within the tenant's threshold", by the database clock like the writers of last_seen_at. */
const SEEN_RECENTLY = `m.last_seen_at > now() - make_interval(secs => ${OFFLINE_AFTER_SECONDS_SQL})`;

/** The fleet: filters (client, site, online state, OS, hostname, tag), keyset pages sorted by hostname by default. */
export async function listFleetMachines(tx: TenantTx, query: MachineListQuery): Promise<Page<FleetMachine>> {
  const q = selectFleetMachines(tx);
  if (query.clientId) void q.where('m.client_id', query.clientId);
  if (query.siteId) void q.where('m.site_id', query.siteId);
  if (query.status === 'online') void q.whereNull('m.disabled_at').whereRaw(SEEN_RECENTLY);
  if (query.status === 'offline') void q.where((w) => w.whereNotNull('m.disabled_at').orWhereNull('m.last_seen_at').orWhereRaw(`not (${SEEN_RECENTLY})`));
  if (query.os) void q.whereILike('m.os_name', likePattern(query.os));
  if (query.q) void q.whereILike('m.hostname', likePattern(query.q));
  if (query.tag) void q.whereRaw('? = any (m.tags)', [query.tag]);
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
 * or gone offline (their last contact crossed the tenant's offline delay) in between; `at` is the database time
 * of this read, the next `since`, and `offlineAfterMs` the delay used. The window starts `marginMs` earlier,
 * since a writer's now() is its transaction's start, before its commit: windows overlap, so callers drop what
 * they already sent.
 */
export async function listMachineChanges(tx: TenantTx, since: Date | null, marginMs = 10_000): Promise<{ at: Date; offlineAfterMs: number; machines: FleetMachine[] }> {
  const { rows } = await tx.raw(`select now() as at, ${OFFLINE_AFTER_SECONDS_SQL} as seconds`);
  const { at, seconds } = rows[0] as { at: Date; seconds: number };
  const offlineAfterMs = Number(seconds) * 1000;
  const from = new Date((since ?? at).getTime() - marginMs);
  const rowsChanged = (await selectFleetMachines(tx)
    .where((w) =>
      w
        .where('m.last_seen_at', '>', from)
        .orWhere('m.created_at', '>', from)
        .orWhere('m.disabled_at', '>', from)
        .orWhere((x) => x.where('m.last_seen_at', '>', new Date(from.getTime() - offlineAfterMs)).where('m.last_seen_at', '<=', new Date(at.getTime() - offlineAfterMs))),
    )
    .orderBy('m.id')
    .limit(10_000)) as FleetMachineRow[];
  return { at, offlineAfterMs, machines: rowsChanged.map((r) => toFleetMachine(r, at.getTime())) };
}

export async function findMachine(tx: TenantTx, id: string): Promise<Machine | undefined> {
  const row = (await selectMachines(tx).where({ id }).first()) as MachineRow | undefined;
  return row ? toMachine(row) : undefined;
}

export type TelemetryReceipt = 'stored' | 'duplicate' | 'unknown_machine';

/**
 * Records one telemetry message of a machine of the transaction's tenant: inserts (machine, seq) or does
 * nothing if it is already there (a redelivery), and moves `last_seen_at` / `last_seq` forward. A machine
 * unknown to this tenant (or disabled) stores nothing.
 */
export async function recordTelemetry(tx: TenantTx, tenantId: string, machineId: string, seq: number, kind: TelemetryKind): Promise<TelemetryReceipt> {
  const [receipt] = await recordTelemetryBatch(tx, tenantId, [{ machineId, seq }], kind);
  return receipt!;
}

export interface TelemetryEntry {
  machineId: string;
  seq: number;
}

/**
 * Records a batch of telemetry messages of machines of the transaction's tenant in one statement, with the same
 * outcome per message as recordTelemetry. The machines' rows are locked in id order before they are moved
 * forward, so two batches stored at once wait for each other instead of deadlocking.
 */
export async function recordTelemetryBatch(tx: TenantTx, tenantId: string, entries: readonly TelemetryEntry[], kind: TelemetryKind): Promise<TelemetryReceipt[]> {
  if (!entries.length) return [];
  const { rows } = await tx.raw(
    `
    with input as (
      select * from unnest(?::uuid[], ?::bigint[]) as x(machine_id, seq)
    ),
    known as (
      select distinct i.machine_id, i.seq from input i
      join machines m on m.id = i.machine_id and m.tenant_id = ?::uuid and m.disabled_at is null
    ),
    receipts as (
      insert into telemetry_receipts (tenant_id, machine_id, seq, kind)
      select ?::uuid, machine_id, seq, ? from known order by machine_id, seq
      on conflict do nothing
      returning machine_id, seq
    ),
    latest as (
      select machine_id, max(seq) as seq from receipts group by 1
    ),
    locked as (
      select m.id from machines m where m.id in (select machine_id from latest) order by m.id for no key update
    ),
    seen as (
      update machines m set last_seen_at = greatest(m.last_seen_at, now()), last_seq = greatest(m.last_seq, l.seq)
      from locked k join latest l on l.machine_id = k.id
      where m.id = k.id
      returning 1
    )
    select (select coalesce(json_agg(machine_id::text || ':' || seq), '[]') from receipts) as stored,
           (select coalesce(json_agg(distinct machine_id), '[]') from known) as known,
           (select count(*) from seen)::int as machines`,
    [entries.map((e) => e.machineId), entries.map((e) => e.seq), tenantId, tenantId, kind],
  );
  const r = rows[0] as { stored: string[]; known: string[] };
  const stored = new Set(r.stored);
  const known = new Set(r.known);
  // A message repeated within the batch is stored once: the first occurrence counts, the others are duplicates.
  const seen = new Set<string>();
  return entries.map(({ machineId, seq }) => {
    const key = `${machineId}:${seq}`;
    if (!known.has(machineId)) return 'unknown_machine';
    if (stored.has(key) && !seen.has(key)) {
      seen.add(key);
      return 'stored';
    }
    return 'duplicate';
  });
}

export async function countTelemetry(tx: TenantTx, machineId: string, kind?: TelemetryKind): Promise<number> {
  const q = tx('telemetry_receipts').where({ machine_id: machineId });
  if (kind) void q.where({ kind });
  const row = (await q.count<{ n: number }[]>({ n: '*' }))[0];
  return Number(row?.n ?? 0);
}
