import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type { CrmActivities, ReminderInput } from '@vigie/activities';

const { fireReminder, expireReminder } = proxyActivities<CrmActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});
// Mail has its own, patient retry: an SMTP outage must not hold the reminder itself.
const { sendEmail } = proxyActivities<CrmActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumInterval: '30 minutes', maximumAttempts: 50, nonRetryableErrorTypes: ['EmailNotFound'] },
});

export const snoozeReminderSignal = defineSignal<[{ until: string }]>('snoozeReminder');
export const completeReminderSignal = defineSignal('completeReminder');
export const cancelReminderSignal = defineSignal('cancelReminder');

export interface ReminderState {
  dueAt: string;
  occurrences: number;
  outcome: ReminderOutcome | null;
}
export const reminderStateQuery = defineQuery<ReminderState>('reminderState');

export type ReminderOutcome = 'done' | 'cancelled' | 'expired';

/** How long a fired reminder waits for its owner to snooze it or mark it done. */
export const ANSWER_WINDOW = '30 days';

/**
 * One reminder: a durable timer until it is due, then an in-app notification and an e-mail to its owner.
 * Snoozing sets a new due time (before or after firing); done and cancel end it.
 */
export async function reminderWorkflow(input: ReminderInput & { dueAt: string }): Promise<ReminderOutcome> {
  let dueAt = Date.parse(input.dueAt);
  let outcome: ReminderOutcome | null = null;
  let snoozed = false;
  let occurrences = 0;
  setHandler(snoozeReminderSignal, ({ until }) => {
    dueAt = Date.parse(until);
    snoozed = true;
  });
  setHandler(completeReminderSignal, () => void (outcome ??= 'done'));
  setHandler(cancelReminderSignal, () => void (outcome ??= 'cancelled'));
  setHandler(reminderStateQuery, () => ({ dueAt: new Date(dueAt).toISOString(), occurrences, outcome }));
  const interrupted = () => outcome !== null || snoozed;

  for (;;) {
    snoozed = false;
    const wait = dueAt - Date.now();
    if (wait > 0) await condition(interrupted, wait);
    if (outcome) return outcome;
    if (snoozed) continue;

    occurrences++;
    const fired = await fireReminder({ tenantId: input.tenantId, reminderId: input.reminderId, occurrence: occurrences });
    if (fired.fired && fired.emailId) {
      // A mail that cannot go out stays in the outbox (status pending); the reminder carries on.
      await sendEmail({ tenantId: input.tenantId, emailId: fired.emailId }).catch(() => undefined);
    }

    const answered = await condition(interrupted, ANSWER_WINDOW);
    if (outcome) return outcome;
    if (!answered) {
      await expireReminder(input);
      return 'expired';
    }
  }
}
