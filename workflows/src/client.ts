import { WorkflowExecutionAlreadyStartedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { defineSearchAttributeKey } from '@temporalio/common';
import { TASK_QUEUES, workflowId } from '@vigie/core';
import type { tenantOnboardingWorkflow } from './tenants/tenant-onboarding.workflow';

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
