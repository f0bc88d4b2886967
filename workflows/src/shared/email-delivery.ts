import { ParentClosePolicy, startChild, workflowInfo, type ChildWorkflowHandle } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { siblingTaskQueue, workflowId } from '@vigie/core';
import type { emailDeliveryWorkflow } from '../crm/email-delivery.workflow';

/**
 * Hands each queued e-mail (email_outbox row) to its own durable delivery on the CRM queue (patient SMTP
 * retries), which outlives the calling run. An e-mail already handed over is skipped. Returns the handles
 * of the deliveries started now, for a caller that waits for them.
 */
export async function startEmailDeliveries(tenantId: string, emailIds: string[]): Promise<ChildWorkflowHandle<typeof emailDeliveryWorkflow>[]> {
  const started: ChildWorkflowHandle<typeof emailDeliveryWorkflow>[] = [];
  for (const emailId of emailIds) {
    try {
      started.push(
        await startChild<typeof emailDeliveryWorkflow>('emailDeliveryWorkflow', {
          taskQueue: siblingTaskQueue(workflowInfo().taskQueue, 'crm'),
          workflowId: workflowId('email', tenantId, emailId),
          args: [{ tenantId, emailId }],
          parentClosePolicy: ParentClosePolicy.ABANDON,
        }),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  return started;
}
