import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createCrmActivities, createMailer } from '@vigie/activities';
import { createDb, LocalDiskStorage, outboxRepo, remindersRepo, tenantsRepo, usersRepo, withTenant, type Db } from '@vigie/db';
import { emailDeliveryWorkflow } from '../src/crm/email-delivery.workflow';
import { bundlePath } from '../src/bundles';
import {
  cancelReminderSignal,
  completeReminderSignal,
  reminderStateQuery,
  reminderWorkflow,
  snoozeReminderSignal,
} from '../src/crm/reminder.workflow';
import { startSmtpServer } from './support/smtp';
import { installQuietRuntime } from './support/runtime';

/** Reminders on a time-skipping server: real timers skipped, real Postgres, real SMTP server. */
let env: TestWorkflowEnvironment;
let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  db = createDb(process.env.DATABASE_URL!, 4);
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
  await smtp?.close();
});

const HOUR = 3_600_000;

async function setup(dueInMs: number) {
  const tenantId = randomUUID();
  const userId = randomUUID();
  const email = `owner-${userId.slice(0, 8)}@msp.test`;
  const now = await env.currentTimeMs();
  const reminder = await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Reminders' });
    await usersRepo.insertUser(tx, tenantId, { id: userId, email, name: 'Owner', passwordHash: 'x', role: 'manager' });
    return remindersRepo.insertReminder(tx, tenantId, randomUUID(), userId, {
      title: 'Relancer Dupont',
      note: 'Proposition envoyée la semaine dernière',
      dueAt: new Date(now + dueInMs).toISOString(),
    });
  });
  return { tenantId, userId, email, reminder };
}

async function withWorker<T>(work: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `crm-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(smtp.url, 'Vigie <rappels@vigie.test>'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  return worker.runUntil(work(taskQueue));
}

const notificationsOf = (tenantId: string, userId: string) =>
  withTenant(db, tenantId, (tx) => tx('notifications').where({ user_id: userId }).orderBy('created_at'));
const mailsTo = (email: string) => smtp.received.filter((m) => m.to.includes(email));

it('fires at its time (in-app and e-mail), fires again after a snooze, and ends when done', async () => {
  const { tenantId, userId, email, reminder } = await setup(2 * HOUR);
  const outcome = await withWorker(async (taskQueue) => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue,
      workflowId: `reminder-${reminder.id}`,
      args: [{ tenantId, reminderId: reminder.id, dueAt: reminder.dueAt }],
    });
    await env.sleep(HOUR);
    expect((await handle.query(reminderStateQuery)).occurrences).toBe(0);
    expect(await notificationsOf(tenantId, userId)).toHaveLength(0);

    await env.sleep(HOUR + 60_000);
    expect((await handle.query(reminderStateQuery)).occurrences).toBe(1);
    const [first] = await notificationsOf(tenantId, userId);
    expect(first).toMatchObject({ kind: 'reminder', title: 'Relancer Dupont', source_key: `reminder:${reminder.id}:1` });
    expect(mailsTo(email)).toHaveLength(1);
    expect(mailsTo(email)[0]!.raw).toContain('Subject: Rappel : Relancer Dupont');

    await handle.signal(snoozeReminderSignal, { until: new Date((await env.currentTimeMs()) + 24 * HOUR).toISOString() });
    await env.sleep(23 * HOUR);
    expect((await handle.query(reminderStateQuery)).occurrences).toBe(1);
    await env.sleep(2 * HOUR);
    expect((await handle.query(reminderStateQuery)).occurrences).toBe(2);
    expect(await notificationsOf(tenantId, userId)).toHaveLength(2);
    expect(mailsTo(email)).toHaveLength(2);

    await handle.signal(completeReminderSignal);
    return handle.result();
  });
  expect(outcome).toBe('done');
  const row = await withTenant(db, tenantId, (tx) => remindersRepo.findReminder(tx, reminder.id));
  expect(row).toMatchObject({ status: 'fired', firedCount: 2 });
});

it('does nothing when cancelled before it is due', async () => {
  const { tenantId, userId, email, reminder } = await setup(5 * HOUR);
  const outcome = await withWorker(async (taskQueue) => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue,
      workflowId: `reminder-${reminder.id}`,
      args: [{ tenantId, reminderId: reminder.id, dueAt: reminder.dueAt }],
    });
    await env.sleep(HOUR);
    await handle.signal(cancelReminderSignal);
    return handle.result();
  });
  expect(outcome).toBe('cancelled');
  expect(await notificationsOf(tenantId, userId)).toHaveLength(0);
  expect(mailsTo(email)).toHaveLength(0);
});

it('expires after 30 days without an answer', async () => {
  const { tenantId, reminder } = await setup(HOUR);
  const outcome = await withWorker((taskQueue) =>
    env.client.workflow.execute(reminderWorkflow, {
      taskQueue,
      workflowId: `reminder-${reminder.id}`,
      args: [{ tenantId, reminderId: reminder.id, dueAt: reminder.dueAt }],
    }),
  );
  expect(outcome).toBe('expired');
  const row = await withTenant(db, tenantId, (tx) => remindersRepo.findReminder(tx, reminder.id));
  expect(row?.status).toBe('expired');
});

it('keeps the reminder going when mail cannot be sent, leaving the e-mail pending in the outbox', async () => {
  const { tenantId, userId, reminder } = await setup(HOUR);
  const taskQueue = `crm-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer('smtp://127.0.0.1:1', 'Vigie <x@vigie.test>'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  const outcome = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(reminderWorkflow, {
      taskQueue,
      workflowId: `reminder-${reminder.id}`,
      args: [{ tenantId, reminderId: reminder.id, dueAt: reminder.dueAt }],
    });
    await env.sleep(HOUR * 2);
    await handle.signal(completeReminderSignal);
    return handle.result();
  });
  expect(outcome).toBe('done');
  expect(await notificationsOf(tenantId, userId)).toHaveLength(1);
  const outbox = await withTenant(db, tenantId, (tx) => tx('email_outbox').select('status', 'attempts'));
  expect(outbox).toEqual([expect.objectContaining({ status: 'pending' })]);
  expect(outbox[0].attempts).toBeGreaterThan(0);
}, 120_000);

it('delivers a queued e-mail through the delivery workflow, once', async () => {
  const { tenantId, email } = await setup(HOUR);
  const emailId = await withTenant(db, tenantId, (tx) =>
    outboxRepo.enqueueEmail(tx, { tenantId, idempotencyKey: 'test:welcome', to: email, subject: 'Bienvenue', text: 'Bonjour' }),
  );
  const results = await withWorker(async (taskQueue) => [
    await env.client.workflow.execute(emailDeliveryWorkflow, { taskQueue, workflowId: `email-${emailId}`, args: [{ tenantId, emailId }] }),
    await env.client.workflow.execute(emailDeliveryWorkflow, { taskQueue, workflowId: `email-again-${emailId}`, args: [{ tenantId, emailId }] }),
  ]);
  expect(results).toEqual(['sent', 'already-sent']);
  expect(mailsTo(email)).toHaveLength(1);
  expect(mailsTo(email)[0]!.raw).toContain('Subject: Bienvenue');
});
