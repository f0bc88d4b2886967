import type { Client } from '@temporalio/client';
import { tenantsRepo, type Db } from '@vigie/db';
import { startTenantOnboarding } from '@vigie/workflows/client';

/**
 * Signup commits the tenant, then starts its onboarding workflow; if Temporal was unreachable at that
 * moment, this sweep starts it later. Starting an already started workflow is harmless (same ID).
 */
export async function sweepOnboarding(db: Db, client: Client, olderThanSeconds = 60): Promise<string[]> {
  const started: string[] = [];
  for (const tenantId of await tenantsRepo.findTenantsPendingOnboarding(db, olderThanSeconds)) {
    await startTenantOnboarding(client, { tenantId });
    started.push(tenantId);
  }
  return started;
}
