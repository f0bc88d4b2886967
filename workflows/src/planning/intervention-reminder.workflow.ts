import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { startEmailDeliveries } from '../shared/email-delivery';
import type { PlanningActivities } from '@vigie/activities';

const { remindIntervention } = proxyActivities<PlanningActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export interface InterventionSchedule {
  /** ISO instant the intervention starts. */
  startAt: string;
  reminderLeadMinutes: number;
}

export interface InterventionReminderInput extends InterventionSchedule {
  tenantId: string;
  interventionId: string;
}

/** The intervention moved (start or lead time): the timer follows. */
export const interventionRescheduledSignal = defineSignal<[InterventionSchedule]>('interventionRescheduled');
/** Cancelled, completed or no longer on site: no reminder any more. */
export const interventionReminderCancelSignal = defineSignal('interventionReminderCancel');

export type InterventionReminderOutcome = 'reminded' | 'skipped' | 'cancelled';
export interface InterventionReminderState extends InterventionSchedule {
  dueAt: string;
  outcome: InterventionReminderOutcome | null;
}
export const interventionReminderStateQuery = defineQuery<InterventionReminderState>('interventionReminderState');

const MINUTE = 60_000;

/**
 * The reminder before an on-site intervention: a durable timer until start − lead, then each technician
 * is told in the app and by e-mail (the activity checks in Postgres that the intervention is still
 * planned, on site and at that start). A reschedule moves the timer; a cancel ends it.
 */
export async function interventionReminderWorkflow(input: InterventionReminderInput): Promise<InterventionReminderOutcome> {
  let schedule: InterventionSchedule = { startAt: input.startAt, reminderLeadMinutes: input.reminderLeadMinutes };
  let changed = false;
  let cancelled = false;
  let outcome: InterventionReminderOutcome | null = null;
  const dueAt = () => Date.parse(schedule.startAt) - schedule.reminderLeadMinutes * MINUTE;
  setHandler(interventionRescheduledSignal, (next) => {
    schedule = { startAt: next.startAt, reminderLeadMinutes: next.reminderLeadMinutes };
    changed = true;
  });
  setHandler(interventionReminderCancelSignal, () => void (cancelled = true));
  setHandler(interventionReminderStateQuery, () => ({ ...schedule, dueAt: new Date(dueAt()).toISOString(), outcome }));

  for (;;) {
    changed = false;
    const wait = dueAt() - Date.now();
    if (wait > 0) await condition(() => cancelled || changed, wait);
    if (cancelled) return (outcome = 'cancelled');
    if (changed) continue;
    const { reminded, emailIds } = await remindIntervention({ tenantId: input.tenantId, interventionId: input.interventionId, startAt: schedule.startAt });
    const deliveries = (await startEmailDeliveries(input.tenantId, emailIds)).map((child) => child.result().catch(() => undefined));
    // The run ends once its e-mails are delivered (or given up on): they are its only effect.
    await Promise.all(deliveries);
    // A move that arrived while the activity ran is not lost: the timer starts over.
    if (changed && !cancelled) continue;
    return (outcome = reminded ? 'reminded' : 'skipped');
  }
}
