import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createCrmActivities, createMailer, createPlanningActivities } from '@vigie/activities';
import { createClientBodySchema } from '@vigie/core';
import { clientsRepo, createDb, LocalDiskStorage, tenantsRepo, usersRepo, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '../src/bundles';
import { queueOf } from '../src/client';
import {
  interventionReminderCancelSignal,
  interventionReminderStateQuery,
  interventionReminderWorkflow,
  interventionRescheduledSignal,
} from '../src/planning/intervention-reminder.workflow';
import { startSmtpServer } from './support/smtp';
import { installQuietRuntime } from './support/runtime';

/** Reminders before on-site interventions on a time-skipping server: real Postgres, real SMTP server. */
// Under a loaded CI machine a test on the time-skipping server has hung (sessions 3 and 5, this file's
// "reminds each technician" test, twice in a row once the server was in that state; it passes alone and the
// cause is not found yet). Each test gets its own server and workers, so the one retry starts clean; the
// first attempt's error is printed, so a real regression still fails and a hang stays visible in the log.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
let env: TestWorkflowEnvironment;
let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  installQuietRuntime();
  db = createDb(process.env.DATABASE_URL!, 4);
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await db?.destroy();
  await smtp?.close();
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

interface Seed {
  tenantId: string;
  interventionId: string;
  techs: { id: string; email: string }[];
  startAt: string;
}

/** A tenant, two technicians, a client, a ticket and an intervention of theirs starting `startInMs` from now. */
async function seed(startInMs: number, mode: 'onsite' | 'remote' = 'onsite'): Promise<Seed> {
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const ticketId = randomUUID();
  const interventionId = randomUUID();
  const techs = [randomUUID(), randomUUID()].map((id) => ({ id, email: `tech-${id.slice(0, 8)}@msp.test` }));
  const startAt = new Date((await env.currentTimeMs()) + startInMs).toISOString();
  await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Planning' });
    await tenantsRepo.ensureTenantSettings(tx, tenantId);
    for (const [n, t] of techs.entries()) await usersRepo.insertUser(tx, tenantId, { id: t.id, email: t.email, name: `Tech ${n + 1}`, passwordHash: 'x', role: 'technician' });
    await clientsRepo.insertClient(tx, tenantId, clientId, createClientBodySchema.parse({ name: 'Pharmacie Roy' }));
    await tx('tickets').insert({ tenant_id: tenantId, id: ticketId, number: 'T-2030-0042', client_id: clientId, subject: 'Baie à remplacer', priority: 'normal' });
    await tx('interventions').insert({
      tenant_id: tenantId,
      id: interventionId,
      ticket_id: ticketId,
      mode,
      start_at: startAt,
      duration_minutes: 90,
      address: mode === 'onsite' ? '12 avenue Foch, 75016 Paris' : null,
      reminder_lead_minutes: 60,
    });
    await tx('intervention_technicians').insert(techs.map((t) => ({ tenant_id: tenantId, intervention_id: interventionId, user_id: t.id })));
  });
  return { tenantId, interventionId, techs, startAt };
}

/**
 * A time-skipping server, with planning and CRM (e-mail delivery) workers on their real queue names (this
 * server is ours alone), for each test: e-mail deliveries outlive the reminder that started them.
 */
let workers: { stop(): Promise<void> } | undefined;
beforeEach(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  const planning = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('planning'),
    workflowBundle: { codePath: bundlePath('planning') },
    activities: createPlanningActivities({ db }),
  });
  const crm = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('crm'),
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(smtp.url, 'Vigie <planning@vigie.test>'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  const running = [planning.run(), crm.run()];
  workers = {
    async stop() {
      planning.shutdown();
      crm.shutdown();
      await Promise.all(running);
    },
  };
});
afterEach(async () => {
  await workers?.stop();
  workers = undefined;
  await env?.teardown();
});

const withWorkers = <T>(work: () => Promise<T>): Promise<T> => work();

const start = (s: Seed) =>
  env.client.workflow.start(interventionReminderWorkflow, {
    taskQueue: queueOf('planning'),
    workflowId: `intervention-reminder:${s.tenantId}:${s.interventionId}`,
    args: [{ tenantId: s.tenantId, interventionId: s.interventionId, startAt: s.startAt, reminderLeadMinutes: 60 }],
  });

const notificationsOf = (s: Seed) => withTenant(db, s.tenantId, (tx) => tx('notifications').where({ kind: 'intervention-reminder' }).orderBy('user_id'));
const mailsTo = (email: string) => smtp.received.filter((m) => m.to.includes(email));

/** E-mails go out in their own workflows: wait (real time) until they have arrived. */
async function eventually(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a reschedule moves the timer', async () => {
  const s = await seed(3 * HOUR);
  const later = new Date(Date.parse(s.startAt) + 2 * HOUR).toISOString();
  const outcome = await withWorkers(async () => {
    const handle = await start(s);
    await env.sleep(HOUR);
    await withTenant(db, s.tenantId, (tx) => tx('interventions').where({ id: s.interventionId }).update({ start_at: later, reminder_lead_minutes: 30 }));
    await handle.signal(interventionRescheduledSignal, { startAt: later, reminderLeadMinutes: 30 });
    expect((await handle.query(interventionReminderStateQuery)).dueAt).toBe(new Date(Date.parse(later) - 30 * MINUTE).toISOString());
    await env.sleep(HOUR + 10 * MINUTE); // past the old due time
    expect(await notificationsOf(s)).toHaveLength(0);
    await env.sleep(2 * HOUR + 20 * MINUTE - MINUTE); // one minute before start − 30 min
    expect(await notificationsOf(s)).toHaveLength(0);
    await env.sleep(MINUTE);
    return handle.result();
  });
  expect(outcome).toBe('reminded');
  expect(await notificationsOf(s)).toHaveLength(2);

});

it('the database is the truth: an intervention moved without a signal is not reminded of its old time', async () => {
  const moved = await seed(2 * HOUR);
  await withTenant(db, moved.tenantId, (tx) => tx('interventions').where({ id: moved.interventionId }).update({ start_at: new Date(Date.parse(moved.startAt) + HOUR).toISOString() }));
  const skipped = await withWorkers(async () => {
    const handle = await start(moved);
    await env.sleep(HOUR + MINUTE);
    return handle.result();
  });
  expect(skipped).toBe('skipped');
  expect(await notificationsOf(moved)).toHaveLength(0);
});

it('a cancel prevents it, and a cancelled or remote intervention gets none', async () => {
  const s = await seed(3 * HOUR);
  const cancelled = await withWorkers(async () => {
    const handle = await start(s);
    await env.sleep(HOUR);
    await handle.signal(interventionReminderCancelSignal);
    return handle.result();
  });
  expect(cancelled).toBe('cancelled');
  expect(await notificationsOf(s)).toHaveLength(0);

  const remote = await seed(2 * HOUR, 'remote');
  const gone = await seed(2 * HOUR);
  await withTenant(db, gone.tenantId, (tx) => tx('interventions').where({ id: gone.interventionId }).update({ status: 'cancelled' }));
  const outcomes = await withWorkers(async () => {
    const handles = [await start(remote), await start(gone)];
    await env.sleep(HOUR + MINUTE);
    return Promise.all(handles.map((h) => h.result()));
  });
  expect(outcomes).toEqual(['skipped', 'skipped']);
  expect(await notificationsOf(remote)).toHaveLength(0);
  expect(await notificationsOf(gone)).toHaveLength(0);
  for (const t of [...remote.techs, ...gone.techs]) expect(mailsTo(t.email)).toHaveLength(0);
});

it('reminds each technician in the app and by e-mail exactly at start − lead, not a minute before', async () => {
  const s = await seed(3 * HOUR);
  const outcome = await withWorkers(async () => {
    const handle = await start(s);
    expect((await handle.query(interventionReminderStateQuery)).dueAt).toBe(new Date(Date.parse(s.startAt) - HOUR).toISOString());
    await env.sleep(2 * HOUR - MINUTE);
    expect(await notificationsOf(s)).toHaveLength(0);
    expect((await handle.query(interventionReminderStateQuery)).outcome).toBeNull();
    await env.sleep(MINUTE);
    return handle.result();
  });
  expect(outcome).toBe('reminded');
  const notes = await notificationsOf(s);
  expect(notes).toHaveLength(2);
  expect(notes.map((n: { user_id: string }) => n.user_id).sort()).toEqual(s.techs.map((t) => t.id).sort());
  expect(notes[0].title).toContain('T-2030-0042');
  expect(notes[0].body).toContain('12 avenue Foch, 75016 Paris');
  await eventually(() => s.techs.every((t) => mailsTo(t.email).length === 1));
  expect(mailsTo(s.techs[0]!.email)[0]!.raw).toContain('T-2030-0042');
});
