import { proxyActivities } from '@temporalio/workflow';
import type { CrmActivities } from '@vigie/activities';

const { sendEmail } = proxyActivities<CrmActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '10 seconds', maximumInterval: '30 minutes', maximumAttempts: 50, nonRetryableErrorTypes: ['EmailNotFound'] },
});

/** Delivers one queued e-mail with patient retries (an SMTP outage of hours is survived). */
export async function emailDeliveryWorkflow(input: { tenantId: string; emailId: string }): Promise<'sent' | 'already-sent' | 'bounced'> {
  return sendEmail(input);
}
