import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DateTime } from 'luxon';
import { createClientBodySchema, DEFAULT_CALENDAR, type SlaPolicyBody } from '@vigie/core';
import { createCrmActivities, createMailer, createTicketActivities } from '@vigie/activities';
import { clientsRepo, createDb, LocalDiskStorage, slaRepo, tenantsRepo, usersRepo, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '../src/bundles';
import { queueOf, signalTicket, startTicketWorkflow, ticketWorkflowId, type TicketChange } from '../src/client';
import { ticketSlaQuery, type ticketWorkflow } from '../src/tickets/ticket.workflow';
import { startSmtpServer } from './support/smtp';
import { installQuietRuntime } from './support/runtime';

/**
 * The ticket workflow on a time-skipping server, with real Postgres and a real SMTP server. Each ticket
 * is created on the next Friday at 16:00 in Paris after the server's clock (which starts at the real
 * time), under the default policy (normal priority: first response 4 h, resolution 16 h of business
 * time, warning at 75 %) and the default calendar (Monday–Friday 09:00–12:30 and 13:30–18:00, no
 * holidays), so every expected instant below is worked out by hand in Paris local time.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  // The starters tag workflows with the tenant: register that search attribute, as the dev server has it.
  await env.connection.operatorService.addSearchAttributes({
    namespace: 'default',
    searchAttributes: { TenantId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
  });
  db = createDb(process.env.DATABASE_URL!, 6);
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
  await smtp?.close();
});

const MINUTE = 60_000;
const DAY = 86_400_000;
const ZONE = 'Europe/Paris';

interface Seed {
  tenantId: string;
  adminId: string;
  adminEmail: string;
  techId: string;
  techEmail: string;
  clientId: string;
}

async function seedTenant(policy?: Partial<SlaPolicyBody>): Promise<Seed> {
  const tenantId = randomUUID();
  const adminId = randomUUID();
  const techId = randomUUID();
  const clientId = randomUUID();
  const adminEmail = `admin-${adminId.slice(0, 8)}@msp.test`;
  const techEmail = `tech-${techId.slice(0, 8)}@msp.test`;
  await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Support SLA' });
    await tenantsRepo.ensureTenantSettings(tx, tenantId);
    await slaRepo.setBusinessCalendar(tx, tenantId, { ...DEFAULT_CALENDAR, timeZone: ZONE, holidays: [] });
    await usersRepo.insertUser(tx, tenantId, { id: adminId, email: adminEmail, name: 'Alice Admin', passwordHash: 'x', role: 'admin' });
    await usersRepo.insertUser(tx, tenantId, { id: techId, email: techEmail, name: 'Théo Technicien', passwordHash: 'x', role: 'technician' });
    await clientsRepo.insertClient(tx, tenantId, clientId, createClientBodySchema.parse({ name: 'Cabinet Martin' }));
    if (policy) await slaRepo.insertPolicy(tx, tenantId, { ...slaRepo.DEFAULT_SLA_POLICY, ...policy, isDefault: true });
  });
  return { tenantId, adminId, adminEmail, techId, techEmail, clientId };
}

async function insertTicket(seed: Seed, createdAt: number, opts: { assigneeId?: string } = {}): Promise<string> {
  const id = randomUUID();
  await withTenant(db, seed.tenantId, (tx) =>
    tx('tickets').insert({
      tenant_id: seed.tenantId,
      id,
      number: `T-${id.slice(0, 8)}`,
      client_id: seed.clientId,
      subject: 'Messagerie en panne',
      priority: 'normal',
      assignee_id: opts.assigneeId ?? null,
      created_at: new Date(createdAt).toISOString(),
      updated_at: new Date(createdAt).toISOString(),
    }),
  );
  return id;
}

/** Tickets and CRM (e-mail delivery) workers on their real queue names: this server is ours alone. */
async function withWorkers<T>(work: () => Promise<T>): Promise<T> {
  const tickets = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('tickets'),
    workflowBundle: { codePath: bundlePath('tickets') },
    activities: createTicketActivities({ db }),
  });
  const crm = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('crm'),
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(smtp.url, 'Vigie <support@vigie.test>'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  return crm.runUntil(tickets.runUntil(work()));
}

/** The next Friday 16:00 in Paris strictly after `afterMs`. */
function nextFriday16(afterMs: number): DateTime {
  let day = DateTime.fromMillis(afterMs, { zone: ZONE }).startOf('day');
  for (;;) {
    const candidate = day.set({ hour: 16 });
    if (candidate.weekday === 5 && candidate.toMillis() > afterMs) return candidate;
    day = day.plus({ days: 1 });
  }
}

/** Paris local time `days` days after the Friday, at hh:mm (DST-safe: by calendar date, not by 24 h). */
const local = (friday: DateTime, days: number, time: string) => {
  const [hour, minute] = time.split(':').map(Number);
  return friday.plus({ days }).set({ hour: hour!, minute: minute!, second: 0, millisecond: 0 }).toMillis();
};
const iso = (ms: number) => new Date(ms).toISOString();

/** Moves the server's clock to `ms` (never back). */
async function sleepUntil(ms: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (ms > now) await env.sleep(ms - now);
}

async function startTicket(seed: Seed, ticketId: string) {
  const ids = { tenantId: seed.tenantId, ticketId };
  await startTicketWorkflow(env.client, ids);
  return env.client.workflow.getHandle<typeof ticketWorkflow>(ticketWorkflowId(seed.tenantId, ticketId));
}

const signal = (seed: Seed, ticketId: string, change: TicketChange) => signalTicket(env.client, { tenantId: seed.tenantId, ticketId }, change);

/** What the API would write for a status change (the workflow reads it only when it starts or auto-closes). */
async function setStatus(seed: Seed, ticketId: string, status: string, at: number): Promise<void> {
  await withTenant(db, seed.tenantId, async (tx) => {
    const { status: from } = await tx('tickets').where({ id: ticketId }).first('status');
    await tx('tickets')
      .where({ id: ticketId })
      .update({
        status,
        updated_at: iso(at),
        ...(status === 'resolved' ? { resolved_at: iso(at), resolution_note: 'Réglé' } : {}),
        ...(status === 'closed' ? { closed_at: iso(at), resolution_note: 'Réglé' } : {}),
      });
    await tx('ticket_events').insert({ tenant_id: seed.tenantId, id: randomUUID(), ticket_id: ticketId, kind: 'change', field: 'status', from_value: from, to_value: status, created_at: iso(at) });
  });
  await signal(seed, ticketId, { kind: 'status', status: status as never, at: iso(at) });
}

const ticketRow = (seed: Seed, id: string) => withTenant(db, seed.tenantId, (tx) => tx('tickets').where({ id }).first());
const slaEvents = (seed: Seed, id: string) =>
  withTenant(db, seed.tenantId, (tx) => tx('ticket_events').where({ ticket_id: id, kind: 'sla' }).orderBy('created_at').select('field', 'to_value', 'via', 'created_at', 'body'));
const notificationsOf = (seed: Seed, userId: string) =>
  withTenant(db, seed.tenantId, (tx) => tx('notifications').where({ user_id: userId, kind: 'ticket-sla' }).orderBy('created_at').select('title', 'source_key', 'link'));
const mailsTo = (email: string) => smtp.received.filter((m) => m.to.includes(email));

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** An event's time, to the second: the timer fires at the instant, the activity records the workflow's clock. */
const at = (e: { created_at: Date }) => Math.round(e.created_at.getTime() / 1000) * 1000;

it('warns and breaches on the first response across the weekend at the hand-computed instants, then the resolution; a late reply is missed', async () => {
  const seed = await seedTenant();
  const friday = nextFriday16(await env.currentTimeMs());
  await sleepUntil(friday.toMillis());
  const ticketId = await insertTicket(seed, friday.toMillis(), { assigneeId: seed.techId });
  // First response 240 min: Fri 16:00–18:00 (120), Mon 09:00–11:00 (120) → breach Mon 11:00; 75 % = 180 min → Mon 10:00.
  // Resolution 960 min: Fri 120, Mon 09:00–12:30 (210) and 13:30–18:00 (270), Tue 09:00–12:30 (210) = 810, Tue 13:30 + 150 → Tue 16:00;
  // 75 % = 720 min → Tue 09:00 + 120 → Tue 11:00.
  const frWarn = local(friday, 3, '10:00');
  const frBreach = local(friday, 3, '11:00');
  const resWarn = local(friday, 4, '11:00');
  const resBreach = local(friday, 4, '16:00');

  await withWorkers(async () => {
    const handle = await startTicket(seed, ticketId);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'running', 'the clocks to start');
    expect(await ticketRow(seed, ticketId)).toMatchObject({
      sla_state: 'ok',
      first_response_state: 'running',
      first_response_due_at: new Date(frBreach),
      resolution_state: 'running',
      resolution_due_at: new Date(resBreach),
    });

    await sleepUntil(frWarn - MINUTE);
    expect((await handle.query(ticketSlaQuery))!.firstResponse.state).toBe('running');
    expect(await slaEvents(seed, ticketId)).toEqual([]);

    await sleepUntil(frWarn + MINUTE);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'warning', 'the first-response warning');
    expect(await ticketRow(seed, ticketId)).toMatchObject({ sla_state: 'warning', first_response_due_at: new Date(frBreach) });

    await sleepUntil(frBreach - MINUTE);
    expect((await ticketRow(seed, ticketId)).first_response_state).toBe('warning');
    await sleepUntil(frBreach + MINUTE);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'breached', 'the first-response breach');
    expect((await ticketRow(seed, ticketId)).sla_state).toBe('breached');

    // The reply comes late: the target is missed, and stays so.
    await signal(seed, ticketId, { kind: 'firstResponse', at: iso(frBreach + 30 * MINUTE) });
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'missed', 'the late reply');

    await sleepUntil(resWarn + MINUTE);
    await eventually(async () => (await ticketRow(seed, ticketId)).resolution_state === 'warning', 'the resolution warning');
    await sleepUntil(resBreach + MINUTE);
    await eventually(async () => (await ticketRow(seed, ticketId)).resolution_state === 'breached', 'the resolution breach');
    await eventually(async () => mailsTo(seed.techEmail).length === 4, 'four e-mails to the assignee');
    await handle.terminate('test over');
  });

  const events = await slaEvents(seed, ticketId);
  expect(events.map((e) => [e.field, e.to_value, e.via, at(e)])).toEqual([
    ['firstResponse', 'warning', 'system', frWarn],
    ['firstResponse', 'breached', 'system', frBreach],
    ['resolution', 'warning', 'system', resWarn],
    ['resolution', 'breached', 'system', resBreach],
  ]);
  // The assignee hears of each crossing once, in the app and by e-mail; the admin is not bothered.
  const notes = await notificationsOf(seed, seed.techId);
  expect(notes.map((n) => n.source_key)).toEqual([
    `ticket-sla:${ticketId}:firstResponse:warning:${seed.techId}`,
    `ticket-sla:${ticketId}:firstResponse:breached:${seed.techId}`,
    `ticket-sla:${ticketId}:resolution:warning:${seed.techId}`,
    `ticket-sla:${ticketId}:resolution:breached:${seed.techId}`,
  ]);
  expect(notes[1]).toMatchObject({ title: expect.stringContaining('SLA dépassé : première réponse'), link: `/tickets/${ticketId}` });
  expect(await notificationsOf(seed, seed.adminId)).toEqual([]);
});

it('pauses while waiting on the customer: the breach moves by exactly the business time spent waiting', async () => {
  const seed = await seedTenant();
  const friday = nextFriday16(await env.currentTimeMs());
  await sleepUntil(friday.toMillis());
  const ticketId = await insertTicket(seed, friday.toMillis()); // unassigned: the admin hears of it
  const waitFrom = local(friday, 0, '17:00'); // 60 business minutes spent
  const waitUntil = local(friday, 3, '11:30'); // waiting: Fri 17:00–18:00 (60) + Mon 09:00–11:30 (150) = 210 business minutes
  // Without the pause the breach was Mon 11:00; 210 business minutes later: 11:00–12:30 (90) + 13:30–15:30 (120) → Mon 15:30.
  // From the resume: 180 minutes left → 11:30–12:30 (60) + 13:30–15:30 (120), the same instant. Warning: 120 left → Mon 14:30.
  const breach = local(friday, 3, '15:30');
  const warn = local(friday, 3, '14:30');

  await withWorkers(async () => {
    const handle = await startTicket(seed, ticketId);
    await sleepUntil(waitFrom);
    await setStatus(seed, ticketId, 'waiting', waitFrom);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'paused', 'the pause');
    expect(await ticketRow(seed, ticketId)).toMatchObject({ first_response_due_at: null, resolution_state: 'paused', resolution_due_at: null, sla_state: 'ok' });
    expect((await handle.query(ticketSlaQuery))!.firstResponse.spentMinutes).toBe(60);

    // The original warning and breach instants pass without a word.
    await sleepUntil(local(friday, 3, '11:05'));
    expect(await slaEvents(seed, ticketId)).toEqual([]);
    expect((await ticketRow(seed, ticketId)).first_response_state).toBe('paused');

    await sleepUntil(waitUntil);
    await setStatus(seed, ticketId, 'open', waitUntil);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'running', 'the resume');
    expect((await ticketRow(seed, ticketId)).first_response_due_at).toEqual(new Date(breach));

    await sleepUntil(breach - MINUTE);
    expect((await ticketRow(seed, ticketId)).first_response_state).toBe('warning');
    await sleepUntil(breach + MINUTE);
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'breached', 'the moved breach');
    await eventually(async () => mailsTo(seed.adminEmail).length === 2, 'the admin’s e-mails');
    await handle.terminate('test over');
  });

  const events = await slaEvents(seed, ticketId);
  expect(events.map((e) => [e.field, e.to_value, at(e)])).toEqual([
    ['firstResponse', 'warning', warn],
    ['firstResponse', 'breached', breach],
  ]);
  expect((await notificationsOf(seed, seed.adminId)).map((n) => n.source_key)).toEqual([
    `ticket-sla:${ticketId}:firstResponse:warning:${seed.adminId}`,
    `ticket-sla:${ticketId}:firstResponse:breached:${seed.adminId}`,
  ]);
});

it('marks the first response met when staff replies in time, and never breaches it', async () => {
  const seed = await seedTenant();
  const friday = nextFriday16(await env.currentTimeMs());
  await sleepUntil(friday.toMillis());
  const ticketId = await insertTicket(seed, friday.toMillis(), { assigneeId: seed.techId });
  const replyAt = local(friday, 0, '17:30');

  await withWorkers(async () => {
    const handle = await startTicket(seed, ticketId);
    await sleepUntil(replyAt);
    await withTenant(db, seed.tenantId, (tx) => tx('tickets').where({ id: ticketId }).update({ first_responded_at: iso(replyAt) }));
    await signal(seed, ticketId, { kind: 'firstResponse', at: iso(replyAt) });
    await eventually(async () => (await ticketRow(seed, ticketId)).first_response_state === 'met', 'the reply');

    // Past the would-be warning (Mon 10:00) and breach (Mon 11:00).
    await sleepUntil(local(friday, 3, '12:00'));
    expect(await ticketRow(seed, ticketId)).toMatchObject({
      first_response_state: 'met',
      first_response_due_at: new Date(local(friday, 3, '11:00')),
      resolution_state: 'running',
      sla_state: 'ok',
    });
    expect((await handle.query(ticketSlaQuery))!.firstResponse).toMatchObject({ state: 'met', spentMinutes: 90 });
    await handle.terminate('test over');
  });
  expect(await slaEvents(seed, ticketId)).toEqual([]);
  expect(await notificationsOf(seed, seed.techId)).toEqual([]);
});

it('closes a resolved ticket after the policy’s days, unless it is reopened first', async () => {
  const seed = await seedTenant({ autoCloseDays: 3 });
  const start = await env.currentTimeMs();
  const closing = await insertTicket(seed, start);
  const reopened = await insertTicket(seed, start);
  const resolvedAt = start + 10 * MINUTE;

  await withWorkers(async () => {
    const closingHandle = await startTicket(seed, closing);
    const reopenedHandle = await startTicket(seed, reopened);
    await sleepUntil(resolvedAt);
    await setStatus(seed, closing, 'resolved', resolvedAt);
    await setStatus(seed, reopened, 'resolved', resolvedAt);
    await eventually(async () => (await ticketRow(seed, closing)).resolution_state === 'met', 'the resolution');
    expect((await closingHandle.query(ticketSlaQuery))!.autoCloseAt).toBe(iso(resolvedAt + 3 * DAY));

    await sleepUntil(resolvedAt + DAY);
    await setStatus(seed, reopened, 'open', resolvedAt + DAY);

    await sleepUntil(resolvedAt + 3 * DAY - MINUTE);
    expect((await ticketRow(seed, closing)).status).toBe('resolved');
    await sleepUntil(resolvedAt + 3 * DAY + MINUTE);
    await eventually(async () => (await closingHandle.describe()).status.name === 'COMPLETED', 'the auto-close');

    await sleepUntil(resolvedAt + 10 * DAY);
    const view = await reopenedHandle.query(ticketSlaQuery);
    expect(view).toMatchObject({ status: 'open', autoCloseAt: null });
    expect(view!.resolution.state).not.toBe('met');
    expect((await reopenedHandle.describe()).status.name).toBe('RUNNING');
    // (Ended before awaiting a result: the time-skipping server would otherwise skip an idle workflow to its 10-year timeout.)
    await reopenedHandle.terminate('test over');
    expect(await closingHandle.result()).toBe('closed');
  });

  const closed = await ticketRow(seed, closing);
  expect(closed).toMatchObject({ status: 'closed', resolution_note: 'Réglé' });
  expect(Math.abs(closed.closed_at.getTime() - (resolvedAt + 3 * DAY))).toBeLessThan(1000);
  const change = await withTenant(db, seed.tenantId, (tx) => tx('ticket_events').where({ ticket_id: closing, kind: 'change', via: 'system' }));
  expect(change).toEqual([expect.objectContaining({ field: 'status', from_value: 'resolved', to_value: 'closed' })]);
  expect((await ticketRow(seed, reopened)).status).toBe('open');
});

it('puts the approved time not covered by a contract into pre-billing when the ticket closes, once', async () => {
  const seed = await seedTenant();
  const now = await env.currentTimeMs();
  const ticketId = await insertTicket(seed, now);
  const entry = (e: { minutes: number; covered?: number; outside: number; priceCents: number; status?: string; billable?: boolean; description: string }) => ({
    tenant_id: seed.tenantId,
    id: randomUUID(),
    ticket_id: ticketId,
    technician_id: seed.techId,
    work_date: iso(now).slice(0, 10),
    minutes: e.minutes,
    description: e.description,
    billable: e.billable ?? true,
    status: e.status ?? 'approved',
    covered_minutes: e.covered ?? 0,
    out_of_contract_minutes: e.outside,
    price_cents: e.priceCents,
  });
  const entries = [
    entry({ minutes: 90, outside: 90, priceCents: 13_500, description: 'Diagnostic' }), // 90 €/h
    entry({ minutes: 60, covered: 60, outside: 0, priceCents: 0, description: 'Couvert par la banque d’heures' }),
    entry({ minutes: 50, covered: 15, outside: 35, priceCents: 4_050, description: 'Dépassement' }), // 4 050 × 60 / 35 = 6 942,86 → 6 943
    entry({ minutes: 30, outside: 30, priceCents: 4_500, status: 'pending', description: 'Pas encore approuvé' }),
    entry({ minutes: 20, outside: 0, priceCents: 0, billable: false, description: 'Non facturable' }),
  ];
  await withTenant(db, seed.tenantId, (tx) => tx('time_entries').insert(entries));

  await withWorkers(async () => {
    const handle = await startTicket(seed, ticketId);
    await setStatus(seed, ticketId, 'closed', await env.currentTimeMs());
    expect(await handle.result()).toBe('closed');
    // A change after the close starts a new run (signal-with-start): it sees the ticket closed and queues nothing twice.
    await setStatus(seed, ticketId, 'closed', await env.currentTimeMs());
    expect(await env.client.workflow.getHandle<typeof ticketWorkflow>(ticketWorkflowId(seed.tenantId, ticketId)).result()).toBe('closed');
  });

  const items = await withTenant(db, seed.tenantId, (tx) =>
    tx('pre_billing_items').where({ ticket_id: ticketId }).orderBy('minutes', 'desc').select('time_entry_id', 'client_id', 'minutes', 'unit_rate_cents', 'amount_cents', 'status', 'description'),
  );
  expect(items).toEqual([
    { time_entry_id: entries[0]!.id, client_id: seed.clientId, minutes: 90, unit_rate_cents: 9000, amount_cents: 13_500, status: 'pending', description: expect.stringContaining('Diagnostic') },
    { time_entry_id: entries[2]!.id, client_id: seed.clientId, minutes: 35, unit_rate_cents: 6943, amount_cents: 4050, status: 'pending', description: expect.stringContaining('Dépassement') },
  ]);
  expect((await ticketRow(seed, ticketId)).resolution_state).toBe('met');
});
