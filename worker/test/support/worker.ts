import { NativeConnection, Worker } from '@temporalio/worker';
import { loadConfig, taskQueueOf, type Domain } from '@vigie/core';
import { createContractActivities, createCrmActivities, createMailer, createPlanningActivities, createTenantActivities, createTicketActivities, createBillingActivities, createRmmActivities, stopPdfRenderer } from '@vigie/activities';
import { createDb, createStorage, type Db } from '@vigie/db';
import { bundlePath } from '@vigie/workflows/bundles';
import { installQuietRuntime } from '../../../workflows/test/support/runtime';

function activitiesFor(domain: Domain, db: Db): object {
  switch (domain) {
    case 'tenants':
      return createTenantActivities({ db });
    case 'crm':
      return createCrmActivities({ db, mailer: createMailer(undefined, 'Vigie <test@vigie.test>'), storage: createStorage(loadConfig(process.env)) });
    case 'contracts':
      return createContractActivities({ db });
    case 'tickets':
      return createTicketActivities({ db });
    case 'planning':
      return createPlanningActivities({ db });
    case 'billing':
      return createBillingActivities({ db, storage: createStorage(loadConfig(process.env)) });
    case 'rmm':
      return createRmmActivities({ db });
  }
}

/**
 * Workers for the given domains' task queues inside the test process, against the test stack's dev
 * server, with the real activities (no SMTP server: e-mails wait in the outbox).
 */
export async function startTestWorker(domains: Domain[]): Promise<{ stop(): Promise<void> }> {
  installQuietRuntime();
  const db = createDb(process.env.DATABASE_URL!, 4);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const workers = await Promise.all(
    domains.map((domain) =>
      Worker.create({ connection, taskQueue: taskQueueOf(domain, process.env.TEMPORAL_TASK_QUEUE_SUFFIX ?? ''), workflowBundle: { codePath: bundlePath(domain) }, activities: activitiesFor(domain, db) }),
    ),
  );
  const running = workers.map((w) => w.run());
  return {
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      await connection.close(); // a worker does not close a connection it was given
      await db.destroy();
      // Quote and invoice PDFs keep a LibreOffice running; the test process must be able to exit.
      if (domains.includes('billing') || domains.includes('crm')) await stopPdfRenderer();
    },
  };
}
