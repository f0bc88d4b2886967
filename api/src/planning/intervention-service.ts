import { randomUUID } from 'node:crypto';
import {
  AppError,
  findConflicts,
  type Conflict,
  type CreateInterventionBody,
  type Intervention,
  type PlannedSlot,
  type PlanningConflict,
  type UpdateInterventionBody,
} from '@vigie/core';
import { staffRepo, interventionsRepo, ticketsRepo, timeEntriesRepo, usersRepo, type TenantTx } from '@vigie/db';
import { cancelInterventionReminder, scheduleInterventionReminder } from '@vigie/workflows/client';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

const MINUTE = 60_000;
const DEFAULT_LEAD_MINUTES = 60;
/** The header that says how many conflicts a forced save overrode (they were shown by `check` or a 409). */
export const FORCED_CONFLICTS_HEADER = 'Planning-Conflicts';

const field = (path: string, message: string) => AppError.invalid(`${path}: ${message}`, [{ path, message }]);

export async function interventionOr404(tx: TenantTx, id: string, lock = false): Promise<Intervention> {
  const found = lock ? await interventionsRepo.lockIntervention(tx, id) : await interventionsRepo.findIntervention(tx, id);
  if (!found) throw AppError.notFound('intervention');
  return found;
}

/** Each technician must be an active staff member. */
async function checkTechnicians(tx: TenantTx, ids: string[]): Promise<void> {
  for (const id of ids) {
    const user = await staffRepo.findActiveStaff(tx, id);
    if (!user) throw field('technicianIds', `${id} is not an active staff user`);
  }
}

/** The API's form of a conflict (`withInterventionId` rather than the planning core's slot id). */
function toPlanningConflict(c: Conflict): PlanningConflict {
  switch (c.kind) {
    case 'overlap':
      return { kind: c.kind, technicianId: c.technicianId, withInterventionId: c.withSlotId, from: c.from, to: c.to };
    case 'absence':
      return { kind: c.kind, technicianId: c.technicianId, absenceId: c.absenceId, absenceKind: c.absenceKind, absenceStatus: c.absenceStatus, from: c.from, to: c.to };
    case 'outside_hours':
      return { kind: c.kind, technicianId: c.technicianId, minutesOutside: c.minutesOutside };
    case 'holiday':
      return { kind: c.kind, technicianId: c.technicianId, date: c.date };
  }
}

/**
 * Everything wrong with planning `candidate`: overlaps with the technicians' other interventions (not
 * itself, not cancelled ones), absences (requested or approved), public holidays, time outside hours.
 */
export async function conflictsOf(tx: TenantTx, tenantId: string, candidate: PlannedSlot): Promise<PlanningConflict[]> {
  const from = candidate.start;
  const to = new Date(Date.parse(candidate.start) + candidate.durationMinutes * MINUTE).toISOString();
  const ids = candidate.technicianIds;
  const conflicts = findConflicts(candidate, {
    slots: await interventionsRepo.slotsOf(tx, ids, from, to),
    absencesByTechnician: await interventionsRepo.absencesOf(tx, ids, from, to),
    calendarsByTechnician: await interventionsRepo.calendarsOf(tx, tenantId, ids),
  });
  return conflicts.map(toPlanningConflict);
}

/** Plans of the same technicians happen one at a time, so two saves cannot both miss each other's overlap. */
async function lockTechnicians(tx: TenantTx, tenantId: string, ids: string[]): Promise<void> {
  for (const id of [...ids].sort()) await tx.raw('select pg_advisory_xact_lock(hashtext(?))', [`planning:${tenantId}:${id}`]);
}

async function refuseConflicts(tx: TenantTx, conflicts: PlanningConflict[]): Promise<never> {
  const overlaps = conflicts.filter((c) => c.kind === 'overlap').map((c) => c.withInterventionId!);
  const named: string[] = [];
  for (const id of [...new Set(overlaps)]) {
    const other = await interventionsRepo.findIntervention(tx, id);
    if (other) named.push(`${other.ticketNumber} (${other.startAt}, intervention ${other.id})`);
  }
  const kinds = [...new Set(conflicts.map((c) => c.kind))].join(', ');
  throw AppError.conflict(`the planning conflicts (${kinds})${named.length ? `: overlaps ${named.join('; ')}` : ''}; save with force to keep it`, { conflicts });
}

/** The body the check endpoint and a create share, as a slot; `id` excludes an existing intervention from its own overlaps. */
const slotOf = (id: string, b: { startAt: string; durationMinutes: number; technicianIds: string[] }): PlannedSlot => ({
  id,
  start: new Date(b.startAt).toISOString(),
  durationMinutes: b.durationMinutes,
  technicianIds: b.technicianIds,
  status: 'planned',
});

const describe = (i: Pick<Intervention, 'mode' | 'startAt' | 'durationMinutes' | 'technicians' | 'status'>) =>
  `${i.status} · ${i.mode === 'onsite' ? 'sur site' : 'à distance'} · ${i.startAt} · ${i.durationMinutes} min · ${i.technicians.map((t) => t.name).join(', ')}`;

async function recordOnTicket(ctx: Ctx, tx: TenantTx, ticketId: string, from: string | null, to: string): Promise<void> {
  const actorName = (await usersRepo.findUserById(tx, ctx.actor.userId))?.name ?? null;
  await ticketsRepo.insertEvent(tx, { tenantId: ctx.actor.tenantId, ticketId, kind: 'change', visibility: 'internal', actorUserId: ctx.actor.userId, actorName, field: 'intervention', fromValue: from, toValue: to });
}

const auditView = (i: Intervention) => ({ ticketId: i.ticketId, mode: i.mode, startAt: i.startAt, durationMinutes: i.durationMinutes, status: i.status, technicianIds: i.technicians.map((t) => t.id), siteId: i.siteId, address: i.address });

/** The reminder follows the intervention: timed while it is planned on site, ended otherwise. */
async function syncReminder(ctx: Ctx, i: Intervention): Promise<void> {
  const ids = { tenantId: ctx.actor.tenantId, interventionId: i.id };
  if (i.status === 'planned' && i.mode === 'onsite') await scheduleInterventionReminder(ctx.deps.temporal, { ...ids, startAt: i.startAt, reminderLeadMinutes: i.reminderLeadMinutes });
  else await cancelInterventionReminder(ctx.deps.temporal, ids);
}

function forcedHeader(ctx: Ctx, conflicts: PlanningConflict[]): void {
  if (conflicts.length) ctx.req.res?.setHeader(FORCED_CONFLICTS_HEADER, String(conflicts.length));
}

async function whereOnsite(tx: TenantTx, clientId: string, siteId: string | null): Promise<{ siteId: string | null; address: string | null }> {
  const place = await interventionsRepo.onsiteAddress(tx, clientId, siteId);
  if (!place) throw field('siteId', 'not a site of the ticket’s client');
  return place;
}

/** What a check, before saving, finds wrong with this plan (for an existing intervention: `interventionId`). */
export function checkIntervention(ctx: Ctx, body: CreateInterventionBody, interventionId: string | undefined): Promise<{ conflicts: PlanningConflict[] }> {
  return ctx.tx(async (tx) => {
    if (interventionId) await interventionOr404(tx, interventionId);
    await checkTechnicians(tx, body.technicianIds);
    return { conflicts: await conflictsOf(tx, ctx.actor.tenantId, slotOf(interventionId ?? randomUUID(), body)) };
  });
}

export async function createIntervention(ctx: Ctx, body: CreateInterventionBody): Promise<Intervention> {
  const created = await ctx.tx(async (tx) => {
    const ticket = await ticketsRepo.findTicket(tx, body.ticketId);
    if (!ticket) throw field('ticketId', 'unknown ticket');
    if (ticket.status === 'closed') throw AppError.conflict('a closed ticket takes no more interventions');
    await checkTechnicians(tx, body.technicianIds);
    const place = body.mode === 'onsite' ? await whereOnsite(tx, ticket.clientId, body.siteId ?? null) : { siteId: null, address: null };
    await lockTechnicians(tx, ctx.actor.tenantId, body.technicianIds);
    const id = randomUUID();
    const conflicts = await conflictsOf(tx, ctx.actor.tenantId, slotOf(id, body));
    if (conflicts.length && !body.force) await refuseConflicts(tx, conflicts);
    forcedHeader(ctx, conflicts);
    const intervention = await interventionsRepo.insertIntervention(tx, {
      tenantId: ctx.actor.tenantId,
      id,
      ticketId: ticket.id,
      createdBy: ctx.actor.userId,
      technicianIds: body.technicianIds,
      mode: body.mode,
      start_at: new Date(body.startAt).toISOString(),
      duration_minutes: body.durationMinutes,
      site_id: place.siteId,
      address: place.address,
      notes: body.notes ?? '',
      reminder_lead_minutes: body.reminderLeadMinutes ?? DEFAULT_LEAD_MINUTES,
    });
    await recordOnTicket(ctx, tx, ticket.id, null, describe(intervention));
    await ctx.audit(tx, { action: 'intervention.create', entity: 'intervention', entityId: id, after: { ...auditView(intervention), forcedConflicts: conflicts.length } });
    return intervention;
  });
  if (created.mode === 'onsite') await syncReminder(ctx, created);
  return created;
}

const isFinished = (i: Intervention) => i.status !== 'planned';

/** Move, resize, reassign, switch mode or site, edit notes; the same conflict rule as a create. */
export async function updateIntervention(ctx: Ctx, id: string, body: UpdateInterventionBody): Promise<Intervention> {
  let timingChanged = false;
  const updated = await ctx.tx(async (tx) => {
    const before = await interventionOr404(tx, id, true);
    if (isFinished(before)) throw AppError.conflict(`a ${before.status} intervention cannot change`);
    const technicianIds = body.technicianIds ?? before.technicians.map((t) => t.id);
    if (body.technicianIds) await checkTechnicians(tx, body.technicianIds);
    const mode = body.mode ?? before.mode;
    const columns: Partial<interventionsRepo.InterventionColumns> = {};
    if (body.mode !== undefined) columns.mode = body.mode;
    if (body.startAt !== undefined) columns.start_at = new Date(body.startAt).toISOString();
    if (body.durationMinutes !== undefined) columns.duration_minutes = body.durationMinutes;
    if (body.notes !== undefined) columns.notes = body.notes;
    if (body.reminderLeadMinutes !== undefined) columns.reminder_lead_minutes = body.reminderLeadMinutes;
    if (mode === 'remote') Object.assign(columns, { site_id: null, address: null });
    else if (body.siteId !== undefined || before.mode === 'remote') {
      const ticket = (await timeEntriesRepo.findTicket(tx, before.ticketId))!;
      const place = await whereOnsite(tx, ticket.clientId, body.siteId !== undefined ? body.siteId : before.siteId);
      Object.assign(columns, { site_id: place.siteId, address: place.address });
    }
    const startAt = columns.start_at ?? before.startAt;
    const durationMinutes = columns.duration_minutes ?? before.durationMinutes;
    const plannedAgain = body.startAt !== undefined || body.durationMinutes !== undefined || body.technicianIds !== undefined;
    let conflicts: PlanningConflict[] = [];
    if (plannedAgain) {
      await lockTechnicians(tx, ctx.actor.tenantId, technicianIds);
      conflicts = await conflictsOf(tx, ctx.actor.tenantId, slotOf(id, { startAt, durationMinutes, technicianIds }));
      if (conflicts.length && !body.force) await refuseConflicts(tx, conflicts);
      forcedHeader(ctx, conflicts);
    }
    if (body.technicianIds) await interventionsRepo.setTechnicians(tx, ctx.actor.tenantId, id, body.technicianIds);
    const after = await interventionsRepo.updateIntervention(tx, id, columns);
    timingChanged = after.startAt !== before.startAt || after.reminderLeadMinutes !== before.reminderLeadMinutes || after.mode !== before.mode || body.technicianIds !== undefined;
    if (describe(after) !== describe(before)) await recordOnTicket(ctx, tx, after.ticketId, describe(before), describe(after));
    await ctx.audit(tx, { action: 'intervention.update', entity: 'intervention', entityId: id, before: auditView(before), after: { ...auditView(after), forcedConflicts: conflicts.length } });
    return after;
  });
  if (timingChanged) await syncReminder(ctx, updated);
  return updated;
}

export async function cancelIntervention(ctx: Ctx, id: string): Promise<Intervention> {
  const cancelled = await ctx.tx(async (tx) => {
    const before = await interventionOr404(tx, id, true);
    if (before.status === 'cancelled') return before;
    if (before.status === 'done') throw AppError.conflict('a done intervention cannot be cancelled');
    const after = await interventionsRepo.updateIntervention(tx, id, { status: 'cancelled' });
    await recordOnTicket(ctx, tx, after.ticketId, describe(before), describe(after));
    await ctx.audit(tx, { action: 'intervention.cancel', entity: 'intervention', entityId: id, before: { status: before.status }, after: { status: 'cancelled' } });
    return after;
  });
  await syncReminder(ctx, cancelled);
  return cancelled;
}

export interface CompleteInterventionOptions {
  createTimeEntries: boolean;
  description?: string | undefined;
  billable: boolean;
}

/**
 * Marks the intervention done and, by default, records one pending time entry per technician of its
 * duration on its date (tenant time zone). Completing again adds no entry (unique per intervention and technician).
 */
export async function completeIntervention(ctx: Ctx, id: string, body: CompleteInterventionOptions): Promise<Intervention & { timeEntryIds: string[] }> {
  const result = await ctx.tx(async (tx) => {
    const before = await interventionOr404(tx, id, true);
    if (before.status === 'cancelled') throw AppError.conflict('a cancelled intervention cannot be completed');
    const ticket = (await timeEntriesRepo.findTicket(tx, before.ticketId))!;
    const after = before.status === 'done' ? before : await interventionsRepo.updateIntervention(tx, id, { status: 'done' });
    let timeEntryIds: string[] = [];
    if (body.createTimeEntries) {
      if (ticket.status === 'closed') throw AppError.conflict('the ticket is closed: it takes no more time');
      timeEntryIds = await interventionsRepo.insertInterventionEntries(tx, {
        tenantId: ctx.actor.tenantId,
        interventionId: id,
        ticketId: before.ticketId,
        workDate: await timeEntriesRepo.tenantDateOf(tx, before.startAt),
        startedAt: before.startAt,
        minutes: before.durationMinutes,
        description: body.description ?? `Intervention ${before.mode === 'onsite' ? 'sur site' : 'à distance'} — ${ticket.subject}`,
        billable: body.billable,
        entries: before.technicians.map((t) => ({ id: randomUUID(), technicianId: t.id })),
      });
    }
    if (before.status !== 'done' || timeEntryIds.length) {
      await recordOnTicket(ctx, tx, after.ticketId, describe(before), describe(after) + (timeEntryIds.length ? ` · ${timeEntryIds.length} saisie(s) de temps` : ''));
      await ctx.audit(tx, { action: 'intervention.complete', entity: 'intervention', entityId: id, before: { status: before.status }, after: { status: 'done', timeEntryIds } });
    }
    return { ...after, timeEntryIds };
  });
  await syncReminder(ctx, result);
  return result;
}
