import type { Knex } from 'knex';
import type { Absence, Address, BusinessCalendar, Intervention, InterventionListQuery, InterventionStatus, PlannedSlot } from '@vigie/core';
import type { TenantTx } from '../tenancy';
import { absencesIn, asPlanningAbsence } from './availability';
import { weeksByUser } from './schedules';
import { effectiveCalendar } from './sla';

/**
 * Interventions (planned work on a ticket, remote or on site, by one or more technicians) and what
 * planning them reads: the other slots of the same technicians, their absences and working calendars.
 */

interface InterventionRow {
  id: string;
  ticket_id: string;
  ticket_number: string;
  ticket_subject: string;
  client_id: string;
  client_name: string;
  mode: Intervention['mode'];
  start_at: Date;
  duration_minutes: number;
  status: InterventionStatus;
  technicians: { id: string; name: string }[] | null;
  site_id: string | null;
  address: string | null;
  notes: string;
  reminder_lead_minutes: number;
  created_at: Date;
  updated_at: Date;
}

const toIntervention = (row: InterventionRow): Intervention => ({
  id: row.id,
  ticketId: row.ticket_id,
  ticketNumber: row.ticket_number,
  ticketSubject: row.ticket_subject,
  clientId: row.client_id,
  clientName: row.client_name,
  mode: row.mode,
  startAt: row.start_at.toISOString(),
  endAt: new Date(row.start_at.getTime() + row.duration_minutes * 60_000).toISOString(),
  durationMinutes: row.duration_minutes,
  status: row.status,
  technicians: row.technicians ?? [],
  siteId: row.site_id,
  address: row.address,
  notes: row.notes,
  reminderLeadMinutes: row.reminder_lead_minutes,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

function selectInterventions(tx: TenantTx): Knex.QueryBuilder {
  return tx('interventions as i')
    .join('tickets as t', function () {
      this.on('t.tenant_id', 'i.tenant_id').andOn('t.id', 'i.ticket_id');
    })
    .join('clients as c', function () {
      this.on('c.tenant_id', 't.tenant_id').andOn('c.id', 't.client_id');
    })
    .select(
      'i.*',
      't.number as ticket_number',
      't.subject as ticket_subject',
      't.client_id',
      'c.name as client_name',
      tx.raw(`(select json_agg(json_build_object('id', u.id, 'name', u.name) order by u.name, u.id)
                 from intervention_technicians it join users u on u.tenant_id = it.tenant_id and u.id = it.user_id
                where it.tenant_id = i.tenant_id and it.intervention_id = i.id) as technicians`),
    );
}

/** Overlapping [from, to): starts before `to` and ends after `from`. */
function overlapping(q: Knex.QueryBuilder, from: string, to: string, alias = 'i'): Knex.QueryBuilder {
  return q.where(`${alias}.start_at`, '<', to).andWhereRaw(`${alias}.start_at + make_interval(mins => ${alias}.duration_minutes) > ?::timestamptz`, [from]);
}

export async function listInterventions(tx: TenantTx, query: InterventionListQuery): Promise<Intervention[]> {
  const q = overlapping(selectInterventions(tx), query.from, query.to);
  if (query.ticketId) q.where('i.ticket_id', query.ticketId);
  if (query.status) q.where('i.status', query.status);
  if (query.technicianId)
    q.whereExists((sub) => sub.from('intervention_technicians as f').whereRaw('f.tenant_id = i.tenant_id and f.intervention_id = i.id').where('f.user_id', query.technicianId!));
  if (query.teamId)
    q.whereExists((sub) =>
      sub
        .from('intervention_technicians as f')
        .join('team_members as m', function () {
          this.on('m.tenant_id', 'f.tenant_id').andOn('m.user_id', 'f.user_id');
        })
        .whereRaw('f.tenant_id = i.tenant_id and f.intervention_id = i.id')
        .where('m.team_id', query.teamId!),
    );
  const rows = (await q.orderBy([{ column: 'i.start_at' }, { column: 'i.id' }])) as InterventionRow[];
  return rows.map(toIntervention);
}

export async function findIntervention(tx: TenantTx, id: string): Promise<Intervention | undefined> {
  const row = (await selectInterventions(tx).where('i.id', id).first()) as InterventionRow | undefined;
  return row ? toIntervention(row) : undefined;
}

/** The intervention, locked until the end of the transaction: changes to one happen one at a time. */
export async function lockIntervention(tx: TenantTx, id: string): Promise<Intervention | undefined> {
  const locked = await tx('interventions').where({ id }).forUpdate().first('id');
  return locked ? findIntervention(tx, id) : undefined;
}

export interface InterventionColumns {
  mode: Intervention['mode'];
  start_at: string;
  duration_minutes: number;
  status: InterventionStatus;
  site_id: string | null;
  address: string | null;
  notes: string;
  reminder_lead_minutes: number;
}

export async function insertIntervention(
  tx: TenantTx,
  i: { tenantId: string; id: string; ticketId: string; createdBy: string; technicianIds: string[] } & Omit<InterventionColumns, 'status'>,
): Promise<Intervention> {
  const { tenantId, id, ticketId, createdBy, technicianIds, ...columns } = i;
  await tx('interventions').insert({ tenant_id: tenantId, id, ticket_id: ticketId, created_by: createdBy, ...columns });
  await setTechnicians(tx, tenantId, id, technicianIds);
  return (await findIntervention(tx, id))!;
}

export async function updateIntervention(tx: TenantTx, id: string, columns: Partial<InterventionColumns>): Promise<Intervention> {
  await tx('interventions')
    .where({ id })
    .update({ ...columns, updated_at: tx.fn.now() });
  return (await findIntervention(tx, id))!;
}

export async function setTechnicians(tx: TenantTx, tenantId: string, interventionId: string, technicianIds: string[]): Promise<void> {
  await tx('intervention_technicians').where({ intervention_id: interventionId }).delete();
  await tx('intervention_technicians').insert([...new Set(technicianIds)].map((userId) => ({ tenant_id: tenantId, intervention_id: interventionId, user_id: userId })));
}

// ---------------------------------------------------------------- what a conflict check reads

/** The not-cancelled interventions of these technicians that overlap [from, to), with all their technicians. */
export async function slotsOf(tx: TenantTx, technicianIds: string[], from: string, to: string): Promise<PlannedSlot[]> {
  const q = tx('interventions as i')
    .select('i.id', 'i.start_at', 'i.duration_minutes', 'i.status', tx.raw('array_agg(it.user_id order by it.user_id) as technician_ids'))
    .join('intervention_technicians as it', function () {
      this.on('it.tenant_id', 'i.tenant_id').andOn('it.intervention_id', 'i.id');
    })
    .whereNot('i.status', 'cancelled')
    .whereExists((sub) => sub.from('intervention_technicians as f').whereRaw('f.tenant_id = i.tenant_id and f.intervention_id = i.id').whereIn('f.user_id', technicianIds))
    .groupBy('i.id', 'i.start_at', 'i.duration_minutes', 'i.status');
  const rows = (await overlapping(q, from, to)) as { id: string; start_at: Date; duration_minutes: number; status: InterventionStatus; technician_ids: string[] }[];
  return rows.map((r) => ({ id: r.id, start: r.start_at.toISOString(), durationMinutes: r.duration_minutes, technicianIds: r.technician_ids, status: r.status }));
}

/** Requested and approved absences of these technicians overlapping [from, to), per technician. */
export async function absencesOf(tx: TenantTx, technicianIds: string[], from: string, to: string): Promise<Record<string, Absence[]>> {
  const rows = await absencesIn(tx, { userIds: technicianIds, statuses: ['requested', 'approved'], from, to });
  const byTechnician: Record<string, Absence[]> = {};
  for (const a of rows) (byTechnician[a.technicianId] ??= []).push(asPlanningAbsence(a));
  return byTechnician;
}

/**
 * Each technician's working calendar: the tenant's business calendar (its time zone and public holidays)
 * with the week replaced by the technician's own working week when they have one.
 */
export async function calendarsOf(tx: TenantTx, tenantId: string, technicianIds: string[]): Promise<Record<string, BusinessCalendar>> {
  const tenant = await effectiveCalendar(tx, tenantId);
  const own = await weeksByUser(tx, technicianIds);
  return Object.fromEntries(technicianIds.map((id) => [id, { ...tenant, week: own.get(id) ?? tenant.week }]));
}

// ---------------------------------------------------------------- address, time entries, reminder

export function formatAddress(a: Partial<Address> | null | undefined): string | null {
  if (!a) return null;
  const city = [a.postalCode, a.city].filter(Boolean).join(' ');
  const text = [a.line1, a.line2, city, a.country && a.country !== 'FR' ? a.country : ''].filter(Boolean).join(', ');
  return text || null;
}

/** Where an on-site intervention happens: the site (of this client) when given, else the client's billing address. */
export async function onsiteAddress(tx: TenantTx, clientId: string, siteId: string | null): Promise<{ siteId: string | null; address: string | null } | undefined> {
  if (siteId) {
    const site = (await tx('client_sites').where({ id: siteId, client_id: clientId }).first('id', 'address')) as { id: string; address: Address } | undefined;
    return site ? { siteId: site.id, address: formatAddress(site.address) } : undefined;
  }
  const client = (await tx('clients').where({ id: clientId }).first('billing_address')) as { billing_address: Partial<Address> } | undefined;
  return { siteId: null, address: formatAddress(client?.billing_address) };
}

/**
 * One pending time entry per technician for a done intervention; the unique (intervention, technician)
 * index makes a second call add nothing. Returns the ids of the entries it created.
 */
export async function insertInterventionEntries(
  tx: TenantTx,
  e: { tenantId: string; interventionId: string; ticketId: string; workDate: string; startedAt: string; minutes: number; description: string; billable: boolean; entries: { id: string; technicianId: string }[] },
): Promise<string[]> {
  const created: string[] = [];
  for (const { id, technicianId } of e.entries) {
    const { rows } = await tx.raw(
      `insert into time_entries (tenant_id, id, ticket_id, technician_id, intervention_id, work_date, started_at, minutes, description, billable)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       on conflict (tenant_id, intervention_id, technician_id) where intervention_id is not null do nothing
       returning id`,
      [e.tenantId, id, e.ticketId, technicianId, e.interventionId, e.workDate, e.startedAt, e.minutes, e.description, e.billable],
    );
    created.push(...(rows as { id: string }[]).map((r) => r.id));
  }
  return created;
}

/** What the reminder before an on-site intervention tells each technician. */
export interface ReminderTarget {
  intervention: Intervention;
  technicians: { id: string; name: string; email: string }[];
}

export async function reminderTarget(tx: TenantTx, id: string): Promise<ReminderTarget | undefined> {
  const intervention = await findIntervention(tx, id);
  if (!intervention) return undefined;
  const technicians = (await tx('intervention_technicians as it')
    .join('users as u', function () {
      this.on('u.tenant_id', 'it.tenant_id').andOn('u.id', 'it.user_id');
    })
    .where('it.intervention_id', id)
    .where('u.disabled', false)
    .orderBy('u.id')
    .select('u.id', 'u.name', 'u.email')) as { id: string; name: string; email: string }[];
  return { intervention, technicians };
}
