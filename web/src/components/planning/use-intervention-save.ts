import { Dialog } from 'quasar';
import type { CreateInterventionBody, UpdateInterventionBody } from '@vigie/core';
import {
  checkIntervention,
  conflictsOf,
  createIntervention,
  updateIntervention,
  type Intervention,
  type PlanningConflict,
} from '@/api/planning';
import ConflictDialog from './ConflictDialog.vue';

export interface ConflictContext {
  names?: Record<string, string>;
  others?: Record<string, string>;
}

/** Shows the conflicts; true when the user saves anyway. */
export function confirmConflicts(conflicts: PlanningConflict[], context: ConflictContext = {}): Promise<boolean> {
  return new Promise((resolve) => {
    Dialog.create({ component: ConflictDialog, componentProps: { conflicts, ...context } })
      .onOk(() => resolve(true))
      .onCancel(() => resolve(false));
  });
}

/** How another intervention is named in a conflict: its ticket number and subject. */
export function othersOf(items: Intervention[]): Record<string, string> {
  return Object.fromEntries(items.map((i) => [i.id, `${i.ticketNumber} · ${i.ticketSubject}`]));
}

type Change = Omit<UpdateInterventionBody, 'force'>;

/**
 * Moves or changes an intervention, conflicts flagged before saving: /interventions/check with what it
 * would become (`interventionId`: its own slot left out), then the user confirms (saved with `force`) or cancels (null:
 * nothing changed). A 409 on the save itself (someone planned meanwhile) asks again.
 */
export async function saveChange(item: Intervention, change: Change, context: ConflictContext = {}): Promise<Intervention | null> {
  const mode = change.mode ?? item.mode;
  const siteId = change.siteId !== undefined ? change.siteId : item.siteId;
  const candidate = {
    ticketId: item.ticketId,
    mode,
    startAt: change.startAt ?? item.startAt,
    durationMinutes: change.durationMinutes ?? item.durationMinutes,
    technicianIds: change.technicianIds ?? item.technicians.map((tech) => tech.id),
    ...(mode === 'onsite' && siteId ? { siteId } : {}),
  };
  const names = { ...Object.fromEntries(item.technicians.map((tech) => [tech.id, tech.name])), ...context.names };
  const found = (await checkIntervention(candidate, item.id)).conflicts.filter((c) => c.withInterventionId !== item.id);
  if (found.length && !(await confirmConflicts(found, { ...context, names }))) return null;
  try {
    return await updateIntervention(item.id, { ...change, force: found.length > 0 });
  } catch (err) {
    const late = conflictsOf(err);
    if (!late) throw err;
    if (!(await confirmConflicts(late, { ...context, names }))) return null;
    return updateIntervention(item.id, { ...change, force: true });
  }
}

/** Plans a new intervention with the same rule. */
export async function saveNew(body: Omit<CreateInterventionBody, 'force'>, context: ConflictContext = {}): Promise<Intervention | null> {
  const found = (await checkIntervention(body)).conflicts;
  if (found.length && !(await confirmConflicts(found, context))) return null;
  try {
    return await createIntervention({ ...body, force: found.length > 0 });
  } catch (err) {
    const late = conflictsOf(err);
    if (!late) throw err;
    if (!(await confirmConflicts(late, context))) return null;
    return createIntervention({ ...body, force: true });
  }
}
