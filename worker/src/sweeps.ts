import type { Client } from '@temporalio/client';
import { billingSettingsRepo, invoicesRepo, tenantsRepo, type Db } from '@vigie/db';
import { ensureBillingSchedule, startInvoiceWorkflow, startTenantOnboarding } from '@vigie/workflows/client';

/**
 * The API commits first and starts the workflow after; if Temporal was unreachable at that moment,
 * these sweeps start the workflow later. Starting an already started workflow is harmless (same ID).
 */

/** Tenants whose onboarding never finished. */
export async function sweepOnboarding(db: Db, client: Client, olderThanSeconds = 60): Promise<string[]> {
  const started: string[] = [];
  for (const tenantId of await tenantsRepo.findTenantsPendingOnboarding(db, olderThanSeconds)) {
    await startTenantOnboarding(client, { tenantId });
    started.push(tenantId);
  }
  return started;
}

/** Issued invoices never sent: their workflow (PDF, e-mail, dunning) starts now. */
export async function sweepInvoices(db: Db, client: Client, olderThanSeconds = 120): Promise<string[]> {
  const started: string[] = [];
  for (const ids of await invoicesRepo.findInvoicesAwaitingWorkflow(db, olderThanSeconds)) {
    await startInvoiceWorkflow(client, ids);
    started.push(ids.invoiceId);
  }
  return started;
}

/**
 * Every tenant gets its billing Schedule (the first sweep of a worker process checks them all; later
 * sweeps only tenants it has not seen; a change of frequency or zone is applied by the API at once).
 */
export function billingScheduleSweep(db: Db, client: Client): () => Promise<string[]> {
  const ensured = new Set<string>();
  return async () => {
    const created: string[] = [];
    for (const s of await billingSettingsRepo.allBillingSchedules(db)) {
      if (ensured.has(s.tenantId)) continue;
      await ensureBillingSchedule(client, s);
      ensured.add(s.tenantId);
      created.push(s.tenantId);
    }
    return created;
  };
}
