import { defineQuery, patched, proxyActivities, setHandler } from '@temporalio/workflow';
import type { TenantActivities, TenantInput } from '@vigie/activities';

const { applyDefaultTenantSettings, createDefaultPipelineStages, createDefaultSlaPolicy, markTenantOnboarded } = proxyActivities<TenantActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['TenantNotFound'] },
});

export const ONBOARDING_STEPS = ['settings', 'pipeline', 'sla', 'done'] as const;
export type OnboardingStep = (typeof ONBOARDING_STEPS)[number];

export interface OnboardingResult {
  tenantId: string;
  settingsCreated: boolean;
}

export const onboardingStepsQuery = defineQuery<OnboardingStep[]>('onboardingSteps');

/**
 * Sets a new tenant up with what it needs on day one. Later domains add their steps here (pipeline
 * stages, SLA policy, templates), each an idempotent activity, so re-running a tenant is harmless.
 */
export async function tenantOnboardingWorkflow(input: TenantInput): Promise<OnboardingResult> {
  const completed: OnboardingStep[] = [];
  setHandler(onboardingStepsQuery, () => completed);

  const { created } = await applyDefaultTenantSettings(input);
  completed.push('settings');

  // Added after the first release: `patched` keeps histories recorded before it replayable.
  if (patched('default-pipeline-stages')) {
    await createDefaultPipelineStages(input);
    completed.push('pipeline');
  }

  if (patched('default-sla-policy')) {
    await createDefaultSlaPolicy(input);
    completed.push('sla');
  }

  await markTenantOnboarded(input);
  completed.push('done');
  return { tenantId: input.tenantId, settingsCreated: created };
}
