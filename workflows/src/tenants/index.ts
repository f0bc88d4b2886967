// Sandbox entry of the `tenants` task queue: only this domain's workflows are registered there.
export { tenantOnboardingWorkflow } from './tenant-onboarding.workflow';
