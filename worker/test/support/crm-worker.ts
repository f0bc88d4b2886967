import { NativeConnection, Worker } from '@temporalio/worker';
import { TASK_QUEUES } from '@vigie/core';
import { createCrmActivities, createMailer } from '@vigie/activities';
import { createDb, LocalDiskStorage } from '@vigie/db';
import { bundlePath } from '@vigie/workflows/bundles';
import { installQuietRuntime } from '../../../workflows/test/support/runtime';

/**
 * A worker for the `vigie-crm` task queue inside the test process, against the test stack's dev server,
 * with the real activities (PDF rendering, e-mail outbox; no SMTP server).
 */
export async function startCrmWorker(): Promise<{ stop(): Promise<void> }> {
  installQuietRuntime();
  const db = createDb(process.env.DATABASE_URL!, 4);
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! });
  const worker = await Worker.create({
    connection,
    taskQueue: TASK_QUEUES.crm,
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(undefined, 'x'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close(); // a worker does not close a connection it was given
      await db.destroy();
    },
  };
}
