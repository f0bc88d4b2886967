import {
  EVENT_SEVERITIES,
  MAX_EVENT_MESSAGE_CHARS,
  type MachineEvent,
  type MachineEventsQuery,
  type MachineInventory,
  type MachineSecurityProduct,
  type MachineService,
  type Page,
  type ReportedEvent,
} from '@vigie/core';
import { paginate } from '../pagination';
import type { TenantTx } from '../tenancy';

/** A machine's watched services, security products and system events (tables of 20261129160000). */

interface ServiceRow {
  kind: 'service' | 'process';
  name: string;
  exists: boolean;
  active: boolean;
  state: string;
  since: Date;
  updated_at: Date;
}

interface SecurityRow {
  product_id: string;
  name: string;
  installed: boolean;
  running: boolean;
  realtime_protection: boolean | null;
  updated_at: Date;
}

interface EventRow {
  id: string;
  at: Date;
  priority: number;
  source: string;
  unit: string | null;
  message: string;
  received_at: Date;
}

type NewServiceRow = Omit<ServiceRow, 'since' | 'updated_at'>;

/** Services and processes of a snapshot as rows (a process has no systemd state: running / stopped). */
function serviceRows(inv: MachineInventory): NewServiceRow[] {
  const services = inv.services.map((s): NewServiceRow => ({ kind: 'service', name: s.name, exists: s.exists, active: s.active, state: s.activeState }));
  const processes = inv.processes.map((p): NewServiceRow => ({ kind: 'process', name: p.name, exists: p.running, active: p.running, state: p.running ? 'running' : 'stopped' }));
  // A name listed twice is one row.
  return [...new Map([...services, ...processes].map((r) => [`${r.kind}:${r.name}`, r])).values()];
}

/**
 * Replaces the machine's current services and products with a snapshot. A snapshot older than the last one
 * applied (a late redelivery) changes nothing; returns whether it was applied.
 */
export async function applyInventory(tx: TenantTx, tenantId: string, machineId: string, inv: MachineInventory): Promise<boolean> {
  const at = new Date(inv.collectedAt);
  const moved = await tx('machines')
    .where({ id: machineId })
    .andWhere((q) => q.whereNull('last_inventory_at').orWhere('last_inventory_at', '<=', at))
    .update({ last_inventory_at: at });
  if (!moved) return false;
  await replaceServices(tx, tenantId, machineId, serviceRows(inv), at);
  await replaceSecurity(tx, tenantId, machineId, inv, at);
  return true;
}

async function replaceServices(tx: TenantTx, tenantId: string, machineId: string, rows: NewServiceRow[], at: Date): Promise<void> {
  const previous = (await tx('machine_services').where({ machine_id: machineId }).forUpdate()) as ServiceRow[];
  const before = new Map(previous.map((r) => [`${r.kind}:${r.name}`, r]));
  // `since` moves only when the service went from active to not (or back); names no longer watched go.
  const sinceOf = (r: NewServiceRow) => {
    const old = before.get(`${r.kind}:${r.name}`);
    return old && old.active === r.active ? old.since : at;
  };
  await tx('machine_services').where({ machine_id: machineId }).delete();
  if (!rows.length) return;
  await tx('machine_services').insert(rows.map((r) => ({ tenant_id: tenantId, machine_id: machineId, ...r, since: sinceOf(r), updated_at: at })));
}

async function replaceSecurity(tx: TenantTx, tenantId: string, machineId: string, inv: MachineInventory, at: Date): Promise<void> {
  await tx('machine_security').where({ machine_id: machineId }).delete();
  if (!inv.security.length) return;
  await tx('machine_security').insert(
    inv.security.map((p) => ({
      tenant_id: tenantId,
      machine_id: machineId,
      product_id: p.id,
      name: p.name,
      installed: p.installed,
      running: p.running,
      realtime_protection: p.realtimeProtection ?? null,
      updated_at: at,
    })),
  );
}

/** Appends one message's events; a redelivered message inserts nothing. Returns the events inserted. */
export async function appendEvents(tx: TenantTx, tenantId: string, machineId: string, seq: number, events: ReportedEvent[]): Promise<number> {
  if (!events.length) return 0;
  const rows = events.map((e, idx) => ({
    tenant_id: tenantId,
    machine_id: machineId,
    seq,
    idx,
    at: new Date(e.at),
    priority: e.priority,
    source: e.source,
    unit: e.unit ?? null,
    message: e.message.length > MAX_EVENT_MESSAGE_CHARS ? `${e.message.slice(0, MAX_EVENT_MESSAGE_CHARS)}…` : e.message,
  }));
  const inserted = (await tx('machine_events').insert(rows).onConflict(['tenant_id', 'machine_id', 'seq', 'idx']).ignore().returning('idx')) as unknown[];
  return inserted.length;
}

const toService = (r: ServiceRow): MachineService => ({
  name: r.name,
  kind: r.kind,
  exists: r.exists,
  active: r.active,
  state: r.state,
  since: r.since.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const toProduct = (r: SecurityRow): MachineSecurityProduct => ({
  productId: r.product_id,
  name: r.name,
  installed: r.installed,
  running: r.running,
  realtimeProtection: r.realtime_protection,
  updatedAt: r.updated_at.toISOString(),
});

const toEvent = (r: EventRow): MachineEvent => ({
  id: r.id,
  at: r.at.toISOString(),
  priority: r.priority,
  severity: EVENT_SEVERITIES[Math.min(r.priority, 3)]!,
  source: r.source,
  unit: r.unit,
  message: r.message,
  receivedAt: r.received_at.toISOString(),
});

export async function listServices(tx: TenantTx, machineId: string): Promise<MachineService[]> {
  const rows = (await tx('machine_services').where({ machine_id: machineId }).orderBy(['kind', 'name'])) as ServiceRow[];
  return rows.map(toService);
}

export async function listSecurity(tx: TenantTx, machineId: string): Promise<MachineSecurityProduct[]> {
  const rows = (await tx('machine_security').where({ machine_id: machineId }).orderBy('name')) as SecurityRow[];
  return rows.map(toProduct);
}

/** Newest first, keyset-paginated; `maxPriority` keeps that priority and the more severe ones. */
export async function listEvents(tx: TenantTx, machineId: string, query: MachineEventsQuery): Promise<Page<MachineEvent>> {
  const q = tx('machine_events').where({ machine_id: machineId });
  if (query.maxPriority !== undefined) void q.where('priority', '<=', query.maxPriority);
  return paginate<EventRow, MachineEvent>(q, { sortable: { at: 'at' }, defaultSort: '-at', limit: query.limit, cursor: query.cursor }, toEvent);
}

export async function lastInventoryAt(tx: TenantTx, machineId: string): Promise<string | null> {
  const row = (await tx('machines').where({ id: machineId }).first('last_inventory_at')) as { last_inventory_at: Date | null } | undefined;
  return row?.last_inventory_at ? row.last_inventory_at.toISOString() : null;
}
