import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TASK_QUEUES, workflowId } from '@vigie/core';
import type { tenantOnboardingWorkflow } from './tenants/tenant-onboarding.workflow';
import { cancelReminderSignal, completeReminderSignal, snoozeReminderSignal, type reminderWorkflow } from './crm/reminder.workflow';
import type { quotePdfWorkflow } from './crm/quote-pdf.workflow';
import type { emailDeliveryWorkflow } from './crm/email-delivery.workflow';

/** Typed starters used by api and ingest (outside the workflow sandbox). Starting twice is not an error. */

export const TENANT_ID_KEY = defineSearchAttributeKey('TenantId', 'KEYWORD');

export function tenantOnboardingId(tenantId: string): string {
  return workflowId('tenant-onboarding', tenantId, tenantId);
}

export async function startTenantOnboarding(
  client: Client,
  input: { tenantId: string },
): Promise<WorkflowHandle<typeof tenantOnboardingWorkflow>> {
  const id = tenantOnboardingId(input.tenantId);
  try {
    return await client.workflow.start<typeof tenantOnboardingWorkflow>('tenantOnboardingWorkflow', {
      taskQueue: TASK_QUEUES.tenants,
      workflowId: id,
      args: [input],
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(id);
    throw err;
  }
}

export function reminderId(tenantId: string, id: string): string {
  return workflowId('reminder', tenantId, id);
}

export async function startReminder(
  client: Client,
  input: { tenantId: string; reminderId: string; dueAt: string },
): Promise<WorkflowHandle<typeof reminderWorkflow>> {
  const id = reminderId(input.tenantId, input.reminderId);
  try {
    return await client.workflow.start<typeof reminderWorkflow>('reminderWorkflow', {
      taskQueue: TASK_QUEUES.crm,
      workflowId: id,
      args: [input],
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(id);
    throw err;
  }
}

export type ReminderCommand = { kind: 'snooze'; until: string } | { kind: 'complete' } | { kind: 'cancel' };

/** Delivers the owner's answer to the reminder's workflow. */
export async function signalReminder(client: Client, tenantId: string, id: string, command: ReminderCommand): Promise<void> {
  const handle = client.workflow.getHandle(reminderId(tenantId, id));
  if (command.kind === 'snooze') await handle.signal(snoozeReminderSignal, { until: command.until });
  else if (command.kind === 'complete') await handle.signal(completeReminderSignal);
  else await handle.signal(cancelReminderSignal);
}

/** Renders (or reuses) a quote's PDF through the worker and waits for it. Concurrent calls share one run. */
export async function renderQuotePdf(client: Client, input: { tenantId: string; quoteId: string }): Promise<{ documentId: string; rendered: boolean }> {
  const id = workflowId('quote-pdf', input.tenantId, input.quoteId);
  try {
    return await client.workflow.execute<typeof quotePdfWorkflow>('quotePdfWorkflow', {
      taskQueue: TASK_QUEUES.crm,
      workflowId: id,
      args: [input],
      workflowExecutionTimeout: '5 minutes',
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle<typeof quotePdfWorkflow>(id).result();
    throw err;
  }
}

/** Hands a queued e-mail (email_outbox row) to its durable delivery. Starting twice is harmless. */
export async function startEmailDelivery(client: Client, input: { tenantId: string; emailId: string }): Promise<void> {
  try {
    await client.workflow.start<typeof emailDeliveryWorkflow>('emailDeliveryWorkflow', {
      taskQueue: TASK_QUEUES.crm,
      workflowId: workflowId('email', input.tenantId, input.emailId),
      args: [input],
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
