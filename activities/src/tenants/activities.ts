import { ApplicationFailure } from '@temporalio/activity';
import { pipelineRepo, slaRepo, tenantsRepo, withTenant, type Db } from '@vigie/db';

export interface TenantActivityDeps {
  db: Db;
}

export interface TenantInput {
  tenantId: string;
}

/** Onboarding steps. Each is idempotent: a retry after a crash writes nothing twice. */
export function createTenantActivities({ db }: TenantActivityDeps) {
  return {
    async applyDefaultTenantSettings({ tenantId }: TenantInput): Promise<{ created: boolean }> {
      return withTenant(db, tenantId, async (tx) => {
        if (!(await tenantsRepo.tenantExists(tx, tenantId)))
          throw ApplicationFailure.nonRetryable(`tenant ${tenantId} does not exist`, 'TenantNotFound');
        return { created: await tenantsRepo.ensureTenantSettings(tx, tenantId) };
      });
    },

    async createDefaultPipelineStages({ tenantId }: TenantInput): Promise<{ created: number }> {
      return withTenant(db, tenantId, async (tx) => ({ created: await pipelineRepo.ensureDefaultStages(tx, tenantId) }));
    },

    /** The standard SLA policy (business hours), unless the tenant already has a policy. */
    async createDefaultSlaPolicy({ tenantId }: TenantInput): Promise<{ created: boolean }> {
      return withTenant(db, tenantId, async (tx) => ({ created: await slaRepo.ensureDefaultPolicy(tx, tenantId) }));
    },

    async markTenantOnboarded({ tenantId }: TenantInput): Promise<void> {
      await withTenant(db, tenantId, (tx) => tenantsRepo.markTenantOnboarded(tx, tenantId));
    },
  };
}

export type TenantActivities = ReturnType<typeof createTenantActivities>;
