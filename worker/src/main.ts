import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, Worker, makeTelemetryFilterString } from '@temporalio/worker';
import pino from 'pino';
import { TASK_QUEUES, loadConfig, taskQueueOf, type Domain } from '@vigie/core';
import { createDb, createStorage, type Db } from '@vigie/db';
import { createContractActivities, createCrmActivities, createMailer, createPlanningActivities, createTenantActivities, createTicketActivities, createBillingActivities, createRmmActivities, stopPdfRenderer } from '@vigie/activities';
import { createPaymentProvider, ensurePaymentLink } from '@vigie/activities/payments';
import { bundlePath } from '@vigie/workflows/bundles';
import { billingScheduleSweep, sweepInvoices, sweepOnboarding } from './sweeps';

const config = loadConfig(process.env);
const log = pino({ level: config.LOG_LEVEL, base: { process: 'worker' } });

/** Activities per domain; each domain gets its own task queue and bundle (no queue runs everything). */
function activitiesFor(domain: Domain, db: Db): object {
  switch (domain) {
    case 'tenants':
      return createTenantActivities({ db });
    case 'crm':
      return createCrmActivities({
        db,
        mailer: createMailer(config.SMTP_URL, config.MAIL_FROM),
        storage: createStorage(config),
      });
    case 'contracts':
      return createContractActivities({ db });
    case 'tickets':
      return createTicketActivities({ db });
    case 'planning':
      return createPlanningActivities({ db });
    case 'billing':
      return createBillingActivities({ db, storage: createStorage(config), paymentLink: paymentLinks(db) });
    case 'rmm':
      return createRmmActivities({ db });
  }
}

/** Online payment links in invoice e-mails, when Stripe is configured and the app has a public URL. */
function paymentLinks(db: Db): ((tenantId: string, invoiceId: string) => Promise<string | null>) | undefined {
  const provider = createPaymentProvider({ secretKey: config.STRIPE_SECRET_KEY, webhookSecret: config.STRIPE_WEBHOOK_SECRET, apiBase: config.STRIPE_API_BASE });
  const publicUrl = config.PUBLIC_URL;
  if (!provider || !publicUrl) return undefined;
  return (tenantId, invoiceId) => ensurePaymentLink(db, provider, { tenantId, invoiceId, publicUrl });
}

async function connectWithRetry(): Promise<NativeConnection> {
  for (;;) {
    try {
      return await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'Temporal not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

async function main(): Promise<void> {
  Runtime.install({
    logger: { log: () => {}, trace: () => {}, debug: () => {}, info: () => {}, warn: (m, a) => log.warn(a, m), error: (m, a) => log.error(a, m) },
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
  });
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_MAX, config.DATABASE_TIMEOUT_MS, {
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  });
  const connection = await connectWithRetry();
  const client = new Client({ connection: await Connection.connect({ address: config.TEMPORAL_ADDRESS }), namespace: config.TEMPORAL_NAMESPACE });
  const domains = Object.keys(TASK_QUEUES) as Domain[];
  const workers = await Promise.all(
    domains.map((domain) =>
      Worker.create({
        connection,
        namespace: config.TEMPORAL_NAMESPACE,
        taskQueue: taskQueueOf(domain, config.TEMPORAL_TASK_QUEUE_SUFFIX),
        workflowBundle: { codePath: bundlePath(domain) },
        activities: activitiesFor(domain, db),
      }),
    ),
  );
  log.info({ taskQueues: domains.map((d) => taskQueueOf(d, config.TEMPORAL_TASK_QUEUE_SUFFIX)) }, 'worker running');

  const sweepSchedules = billingScheduleSweep(db, client);
  const sweep = () =>
    Promise.all([
      sweepSchedules().then(
        (ids) => ids.length && log.info({ tenants: ids.length }, 'billing schedules ensured'),
        (err) => log.warn({ err }, 'billing schedule sweep failed'),
      ),
      sweepOnboarding(db, client).then(
        (ids) => ids.length && log.info({ tenants: ids }, 'onboarding started by sweep'),
        (err) => log.warn({ err }, 'onboarding sweep failed'),
      ),
      sweepInvoices(db, client).then(
        (ids) => ids.length && log.info({ invoices: ids }, 'invoice workflows started by sweep'),
        (err) => log.warn({ err }, 'invoice sweep failed'),
      ),
    ]);
  void sweep();
  const timer = setInterval(sweep, 5 * 60_000);

  const stop = () => {
    clearInterval(timer);
    for (const w of workers) w.shutdown();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await Promise.all(workers.map((w) => w.run()));
  // The LibreOffice that renders quotes and invoices: ended here rather than left to the process's exit.
  await stopPdfRenderer();
  await connection.close();
  await db.destroy();
  log.info('worker stopped');
}

main().catch((err) => {
  log.fatal({ err }, 'worker failed');
  process.exit(1);
});
