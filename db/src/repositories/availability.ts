import { randomUUID } from 'node:crypto';
import type { Absence, AbsenceView, TicketPriority } from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

type AbsenceKind = AbsenceView['kind'];
type AbsenceStatus = AbsenceView['status'];

// ---------------------------------------------------------------- technicians

export interface Technician {
  id: string;
  name: string;
  role: 'admin' | 'manager' | 'technician';
  disabled: boolean;
}

/** A staff member of the tenant (disabled ones included: their history stays readable); clients are not. */
export async function findStaffMember(tx: TenantTx, id: string): Promise<Technician | undefined> {
  return (await tx('users').where({ id }).whereNot('role', 'client').first('id', 'name', 'role', 'disabled')) as Technician | undefined;
}

/**
 * Whom the capacity forecast covers: active technicians and every active staff member of a team; with a
 * team, its active members only. Each with the teams they belong to (only that team when one is asked).
 */
export async function capacityTechnicians(tx: TenantTx, teamId?: string): Promise<(Technician & { teamIds: string[] })[]> {
  const memberships = (await tx('team_members').modify((q) => (teamId ? q.where({ team_id: teamId }) : q)).select('user_id', 'team_id')) as { user_id: string; team_id: string }[];
  const teamsOf = new Map<string, string[]>();
  for (const m of memberships) teamsOf.set(m.user_id, [...(teamsOf.get(m.user_id) ?? []), m.team_id]);
  const users = (await tx('users')
    .whereNot('role', 'client')
    .where({ disabled: false })
    .modify((q) => {
      if (teamId) q.whereIn('id', [...teamsOf.keys()]);
      else q.where((w) => w.where('role', 'technician').orWhereIn('id', [...teamsOf.keys()]));
    })
    .orderBy([{ column: 'name' }, { column: 'id' }])
    .select('id', 'name', 'role', 'disabled')) as Technician[];
  return users.map((u) => ({ ...u, teamIds: (teamsOf.get(u.id) ?? []).sort() }));
}

export async function teamNames(tx: TenantTx): Promise<Map<string, string>> {
  const rows = (await tx('teams').select('id', 'name')) as { id: string; name: string }[];
  return new Map(rows.map((r) => [r.id, r.name]));
}

// ---------------------------------------------------------------- absences

interface AbsenceRow {
  id: string;
  user_id: string;
  technician_name: string;
  kind: AbsenceKind;
  start_at: Date;
  end_at: Date;
  status: AbsenceStatus;
  reason: string;
  decided_by: string | null;
  decided_at: Date | null;
  decision_comment: string | null;
  created_at: Date;
}

export const toAbsence = (r: AbsenceRow): AbsenceView => ({
  id: r.id,
  technicianId: r.user_id,
  technicianName: r.technician_name,
  kind: r.kind,
  startAt: r.start_at.toISOString(),
  endAt: r.end_at.toISOString(),
  status: r.status,
  reason: r.reason,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at?.toISOString() ?? null,
  decisionComment: r.decision_comment,
  createdAt: r.created_at.toISOString(),
});

const absences = (tx: TenantTx) =>
  tx('absences as a')
    .join('users as u', function () {
      this.on('u.tenant_id', 'a.tenant_id').andOn('u.id', 'a.user_id');
    })
    .select('a.*', 'u.name as technician_name');

export interface AbsenceFilter {
  technicianId?: string | undefined;
  status?: AbsenceStatus | undefined;
  /** Absences that overlap [from, to). */
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
}

function filterAbsences(q: ReturnType<typeof absences>, f: AbsenceFilter) {
  if (f.technicianId) q.where('a.user_id', f.technicianId);
  if (f.status) q.where('a.status', f.status);
  if (f.from) q.where('a.end_at', '>', f.from);
  if (f.to) q.where('a.start_at', '<', f.to);
  if (f.q) q.where((w) => w.whereILike('a.reason', likePattern(f.q!)).orWhereILike('u.name', likePattern(f.q!)));
  return q;
}

export async function listAbsences(tx: TenantTx, f: AbsenceFilter & { limit: number; cursor?: string | undefined; sort?: string | undefined }) {
  return paginate<AbsenceRow, AbsenceView>(
    filterAbsences(absences(tx), f),
    { sortable: { startAt: 'a.start_at', createdAt: 'a.created_at' }, defaultSort: '-startAt', idColumn: 'a.id', limit: f.limit, cursor: f.cursor, sort: f.sort },
    toAbsence,
  );
}

/** An absence as the planning core reads it (conflicts, availability). */
export const asPlanningAbsence = (a: AbsenceView): Absence => ({ id: a.id, start: a.startAt, end: a.endAt, kind: a.kind, status: a.status });

/** Every absence matching the filter, by start (calendars, capacity, the feed). */
export async function absencesIn(tx: TenantTx, f: AbsenceFilter & { statuses?: AbsenceStatus[]; userIds?: string[] }): Promise<AbsenceView[]> {
  const q = filterAbsences(absences(tx), f);
  if (f.statuses) q.whereIn('a.status', f.statuses);
  if (f.userIds) q.whereIn('a.user_id', f.userIds);
  return ((await q.orderBy([{ column: 'a.start_at' }, { column: 'a.id' }])) as AbsenceRow[]).map(toAbsence);
}

export async function findAbsence(tx: TenantTx, id: string, lock = false): Promise<AbsenceView | undefined> {
  const q = absences(tx).where('a.id', id);
  if (lock) q.forUpdate();
  const row = (await q.first()) as AbsenceRow | undefined;
  return row ? toAbsence(row) : undefined;
}

export async function insertAbsence(
  tx: TenantTx,
  tenantId: string,
  a: { userId: string; kind: AbsenceKind; startAt: string; endAt: string; reason: string },
): Promise<AbsenceView> {
  const id = randomUUID();
  await tx('absences').insert({ tenant_id: tenantId, id, user_id: a.userId, kind: a.kind, start_at: a.startAt, end_at: a.endAt, reason: a.reason });
  return (await findAbsence(tx, id))!;
}

export async function decideAbsence(tx: TenantTx, id: string, d: { status: 'approved' | 'rejected'; by: string; comment: string | null }): Promise<AbsenceView> {
  await tx('absences').where({ id }).update({ status: d.status, decided_by: d.by, decided_at: tx.fn.now(), decision_comment: d.comment });
  return (await findAbsence(tx, id))!;
}

export async function deleteAbsence(tx: TenantTx, id: string): Promise<void> {
  await tx('absences').where({ id }).delete();
}

// ---------------------------------------------------------------- open tickets for capacity

export const OPEN_TICKET_STATUSES = ['open', 'in_progress', 'waiting'] as const;

export interface OpenTicketRow {
  id: string;
  assigneeId: string | null;
  teamId: string | null;
  priority: TicketPriority;
  estimateMinutes: number | null;
}

/** Tickets still to be worked on (open, in progress, waiting); with a team, those of the team or assigned to one of `userIds`. */
export async function openTickets(tx: TenantTx, scope?: { teamId: string; userIds: string[] }): Promise<OpenTicketRow[]> {
  const rows = (await tx('tickets')
    .whereIn('status', OPEN_TICKET_STATUSES)
    .modify((q) => {
      if (scope) q.where((w) => w.where('team_id', scope.teamId).orWhereIn('assignee_id', scope.userIds));
    })
    .orderBy([{ column: 'created_at' }, { column: 'id' }])
    .select('id', 'assignee_id', 'team_id', 'priority', 'estimate_minutes')) as { id: string; assignee_id: string | null; team_id: string | null; priority: TicketPriority; estimate_minutes: number | null }[];
  return rows.map((r) => ({ id: r.id, assigneeId: r.assignee_id, teamId: r.team_id, priority: r.priority, estimateMinutes: r.estimate_minutes }));
}

/**
 * Per priority, the average approved minutes of the tickets closed since `since` that have approved time
 * (rounded to the minute); a priority without any such ticket is missing.
 */
export async function averageClosedMinutes(tx: TenantTx, since: string): Promise<Partial<Record<TicketPriority, number>>> {
  const { rows } = (await tx.raw(
    `select priority, round(avg(minutes))::int as average from (
       select t.priority, sum(e.minutes) as minutes
         from tickets t join time_entries e on e.tenant_id = t.tenant_id and e.ticket_id = t.id and e.status = 'approved'
        where t.status = 'closed' and t.closed_at >= ?
        group by t.id, t.priority) per_ticket
     group by priority`,
    [since],
  )) as { rows: { priority: TicketPriority; average: number }[] };
  return Object.fromEntries(rows.map((r) => [r.priority, r.average]));
}
