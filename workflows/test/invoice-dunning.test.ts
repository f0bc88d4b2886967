import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { simpleParser } from 'mailparser';
import { Worker } from '@temporalio/worker';
import { createBillingActivities, createCrmActivities, createMailer, stopPdfRenderer } from '@vigie/activities';
import { addDays, createClientBodySchema, createContactBodySchema, type LocalDate } from '@vigie/core';
import { clientsRepo, createDb, invoiceIssue, invoicesRepo, LocalDiskStorage, tenantsRepo, withTenant, type Db } from '@vigie/db';
import { invoicePaidSignal, invoiceStateQuery, invoiceWorkflow } from '../src/billing/invoice.workflow';
import { bundlePath } from '../src/bundles';
import { queueOf } from '../src/client';
import { startSmtpServer } from './support/smtp';
import { installQuietRuntime } from './support/runtime';

/**
 * The life of an invoice on a time-skipping server, with real Postgres, LibreOffice and an SMTP server:
 * PDF and e-mail, overdue the day after its due date, the whole dunning ladder at +7/+15/+30 days, a
 * payment that stops it midway, and a bounced e-mail.
 */
// Under a loaded machine a test on the time-skipping server has hung once (intervention-reminder.test.ts,
// session 3; it passes alone and the cause is not found yet). Same guard here: one more try, with the first
// attempt's error printed, so a real regression still fails and a hang stays visible in the log.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
let env: TestWorkflowEnvironment;
let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let workers: { stop(): Promise<void> };
const BOUNCING = 'nobody@bounce.test';

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } } });
  db = createDb(process.env.DATABASE_URL!, 4);
  smtp = await startSmtpServer({ rejects: (address) => address === BOUNCING });
  const storage = new LocalDiskStorage(process.env.STORAGE_DIR!);
  const billing = await Worker.create({ connection: env.nativeConnection, taskQueue: queueOf('billing'), workflowBundle: { codePath: bundlePath('billing') }, activities: createBillingActivities({ db, storage }) });
  const crm = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('crm'),
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(smtp.url, 'Vigie <factures@vigie.test>'), storage }),
  });
  const running = [billing.run(), crm.run()];
  workers = {
    async stop() {
      billing.shutdown();
      crm.shutdown();
      await Promise.all(running);
    },
  };
}, 60_000);
afterAll(async () => {
  await workers?.stop();
  await stopPdfRenderer();
  await env?.teardown();
  await db?.destroy();
  await smtp?.close();
});

const DAY = 86_400_000;

interface Seeded {
  tenantId: string;
  invoiceId: string;
  number: string;
  dueDate: LocalDate;
  email: string;
}

/** A tenant with its legal identity, a client with a contact, and an issued invoice due in 30 days. */
async function issuedInvoice(email = `compta-${randomUUID().slice(0, 8)}@client.test`): Promise<Seeded> {
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const issued = await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Infogérance Martin' });
    await tenantsRepo.ensureTenantSettings(tx, tenantId);
    const settings = (await tenantsRepo.getTenantSettings(tx, tenantId))!;
    await tenantsRepo.updateTenantSettings(tx, settings, { legal: { legalName: 'Infogérance Martin SARL', siren: '443061841', address: { line1: '3 rue des Lilas', line2: '', postalCode: '69003', city: 'Lyon', country: 'FR' } } });
    await clientsRepo.insertClient(tx, tenantId, clientId, createClientBodySchema.parse({ name: 'Pharmacie Roy', siren: '542051180', billingAddress: { line1: '1 place Bellecour', postalCode: '69002', city: 'Lyon' } }));
    await clientsRepo.insertContact(tx, tenantId, clientId, randomUUID(), createContactBodySchema.parse({ name: 'Compta', email, isPrimary: true }));
    const id = await invoicesRepo.insertDraft(tx, {
      tenantId,
      clientId,
      contractId: null,
      source: 'manual',
      sourceKey: null,
      currency: 'EUR',
      vatRounding: 'per_rate',
      periodStart: null,
      periodEnd: null,
      buyerReference: '',
      notes: '',
      createdBy: null,
      lines: [{ description: 'Infogérance', quantityMilli: 1000, unitCode: 'C62', unitPriceCents: 50_000, vatRateBp: 2000, vatExemption: null }],
    });
    return invoiceIssue.issueInvoice(tx, tenantId, id!, null, await env.currentTimeMs());
  });
  return { tenantId, invoiceId: issued.invoiceId, number: issued.number, dueDate: issued.document.dueDate, email };
}

const start = (s: Seeded) => env.client.workflow.start(invoiceWorkflow, { taskQueue: queueOf('billing'), workflowId: `invoice:${s.tenantId}:${s.invoiceId}`, args: [{ tenantId: s.tenantId, invoiceId: s.invoiceId }] });
const row = (s: Seeded) => withTenant(db, s.tenantId, (tx) => tx('invoices').where({ id: s.invoiceId }).first());
const events = (s: Seeded) => withTenant(db, s.tenantId, (tx) => invoicesRepo.eventsOf(tx, s.invoiceId));
const mailsTo = (s: Seeded) => smtp.received.filter((m) => m.to.includes(s.email));
const subjectOf = async (raw: string) => (await simpleParser(raw)).subject ?? '';

/** E-mails go out in their own workflows: wait (real time) until they have arrived. */
async function eventually(check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Skips to the given local date (Europe/Paris) plus `hours`. */
async function skipTo(date: LocalDate, hours = 1): Promise<void> {
  const target = Date.parse(`${date}T00:00:00+01:00`) + hours * 3_600_000;
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}

it('runs the whole dunning ladder on time, each step an e-mail in the history, then the invoice is unpaid', async () => {
  const s = await issuedInvoice();
  const handle = await start(s);
  await eventually(async () => (await row(s)).status === 'sent');
  await eventually(() => mailsTo(s).length === 1);
  expect(await subjectOf(mailsTo(s)[0]!.raw)).toContain(`Facture ${s.number}`);
  expect(mailsTo(s)[0]!.raw).toContain('application/pdf');
  expect((await handle.query(invoiceStateQuery)).phase).toBe('awaiting_payment');

  await skipTo(s.dueDate, 12);
  expect((await row(s)).status).toBe('sent');
  await skipTo(addDays(s.dueDate, 1));
  await eventually(async () => (await row(s)).status === 'overdue');
  expect(await handle.query(invoiceStateQuery)).toEqual({ phase: 'dunning', nextStep: { kind: 'reminder', on: addDays(s.dueDate, 7) } });

  for (const [offset, kind, subject] of [
    [7, 'reminder', 'Rappel'],
    [15, 'second_reminder', 'Second rappel'],
    [30, 'formal_notice', 'Mise en demeure'],
  ] as const) {
    const sentBefore = mailsTo(s).length;
    await skipTo(addDays(s.dueDate, offset - 1), 20);
    expect(mailsTo(s)).toHaveLength(sentBefore);
    await skipTo(addDays(s.dueDate, offset), 2);
    await eventually(() => mailsTo(s).length === sentBefore + 1);
    expect(await subjectOf(mailsTo(s).at(-1)!.raw)).toContain(subject);
    expect((await row(s)).dunning_level).toBe(kind);
  }
  expect(await handle.result()).toBe('unpaid');
  expect((await row(s)).status).toBe('unpaid');
  expect((await events(s)).map((e) => [e.kind, e.detail.level ?? null])).toEqual([
    ['validated', null],
    ['sent', 'invoice'],
    ['overdue', null],
    ['dunning', 'reminder'],
    ['dunning', 'second_reminder'],
    ['dunning', 'formal_notice'],
    ['unpaid', null],
  ]);
  expect((await simpleParser(mailsTo(s).at(-1)!.raw)).text).toContain('indemnité forfaitaire pour frais de recouvrement de 40 €');
}, 120_000);

it('a payment between two steps ends the dunning at once: no further reminder', async () => {
  const s = await issuedInvoice();
  const handle = await start(s);
  await eventually(async () => (await row(s)).status === 'sent');
  await skipTo(addDays(s.dueDate, 7), 2);
  await eventually(() => mailsTo(s).length === 2);
  // The API records the payment in Postgres, then signals.
  await withTenant(db, s.tenantId, (tx) => tx('invoices').where({ id: s.invoiceId }).update({ status: 'paid', paid_at: new Date() }));
  await handle.signal(invoicePaidSignal);
  expect(await handle.result()).toBe('paid');
  await env.sleep(40 * DAY);
  expect(mailsTo(s)).toHaveLength(2);
  expect((await events(s)).map((e) => e.kind)).toEqual(['validated', 'sent', 'overdue', 'dunning']);
}, 120_000);

it('an invoice paid before the step is due sends nothing, even without the signal (the database is the truth)', async () => {
  const s = await issuedInvoice();
  const handle = await start(s);
  await eventually(async () => (await row(s)).status === 'sent');
  await skipTo(addDays(s.dueDate, 1));
  await eventually(async () => (await row(s)).status === 'overdue');
  await withTenant(db, s.tenantId, (tx) => tx('invoices').where({ id: s.invoiceId }).update({ status: 'paid', paid_at: new Date() }));
  await skipTo(addDays(s.dueDate, 7), 2);
  expect(await handle.result()).toBe('paid');
  expect(mailsTo(s)).toHaveLength(1);
}, 120_000);

it('an address the mail server refuses is recorded as bounced, not retried', async () => {
  const s = await issuedInvoice(BOUNCING);
  await start(s);
  await eventually(async () => (await events(s)).some((e) => e.kind === 'sent' && e.emailStatus === 'bounced'));
  const outbox = await withTenant(db, s.tenantId, (tx) => tx('email_outbox').where({ invoice_id: s.invoiceId }).first());
  expect(outbox).toMatchObject({ status: 'bounced', attempts: 1 });
  expect(outbox.last_error).toContain('No such user');
}, 60_000);
