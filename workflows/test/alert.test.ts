import { randomBytes, randomUUID } from 'node:crypto';
import { nkeys } from 'nats';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createRmmActivities, createTicketActivities } from '@vigie/activities';
import { createAlertRuleBodySchema, createClientBodySchema, type AlertReading } from '@vigie/core';
import { alertsRepo, clientsRepo, createDb, tenantsRepo, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '../src/bundles';
import { queueOf } from '../src/client';
import { alertObservedSignal, alertStateQuery, alertWorkflow, type AlertObservation, type AlertPhase } from '../src/rmm/alert.workflow';
import { ticketSlaQuery } from '../src/tickets/ticket.workflow';
import { until } from '../../api/test/support/until';
import { installQuietRuntime } from './support/runtime';

/**
 * The alert of one machine + rule on a time-skipping server, with real Postgres and the real ticket workflow:
 * one pre-filled ticket per alert, repeats counted and noted (rate-limited), a clear that resolves after the
 * grace period, a relapse within it that keeps the same alert, a new breach after it that opens a new one.
 */
// Same guard as the other time-skipping tests (a hang seen once under load): one more try, first error printed.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
let env: TestWorkflowEnvironment;
let db: Db;
let workers: { stop(): Promise<void> };

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } } });
  db = createDb(process.env.DATABASE_URL!, 4);
  const rmm = await Worker.create({ connection: env.nativeConnection, taskQueue: queueOf('rmm'), workflowBundle: { codePath: bundlePath('rmm') }, activities: createRmmActivities({ db }) });
  const tickets = await Worker.create({ connection: env.nativeConnection, taskQueue: queueOf('tickets'), workflowBundle: { codePath: bundlePath('tickets') }, activities: createTicketActivities({ db }) });
  const running = [rmm.run(), tickets.run()];
  workers = {
    async stop() {
      rmm.shutdown();
      tickets.shutdown();
      await Promise.all(running);
    },
  };
}, 60_000);
afterAll(async () => {
  await workers?.stop();
  await env?.teardown();
  await db?.destroy();
});

const MINUTE = 60_000;

interface Seed {
  tenantId: string;
  clientId: string;
  contractId: string;
  machineId: string;
  ruleId: string;
}

/** A tenant, a client with its default contract, a machine srv-01 and a rule "CPU > 90 %" (warning). */
async function seed(rule: { autoResolveTicket: boolean; enabled?: boolean }): Promise<Seed> {
  const s: Seed = { tenantId: randomUUID(), clientId: randomUUID(), contractId: randomUUID(), machineId: randomUUID(), ruleId: randomUUID() };
  await withTenant(db, s.tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: s.tenantId, name: 'Infogérance' });
    await tenantsRepo.ensureTenantSettings(tx, s.tenantId);
    await clientsRepo.insertClient(tx, s.tenantId, s.clientId, createClientBodySchema.parse({ name: 'Pharmacie Roy' }));
    await tx('contracts').insert({ tenant_id: s.tenantId, id: s.contractId, client_id: s.clientId, type: 'time_material', name: 'Régie', status: 'active', is_default: true, start_date: '2026-01-01', hourly_rate_cents: 9000 });
    await tx('machines').insert({
      tenant_id: s.tenantId,
      id: s.machineId,
      client_id: s.clientId,
      hostname: 'srv-01',
      os_name: 'Debian GNU/Linux',
      os_version: '12',
      agent_version: '0.1.0',
      nkey_public: nkeys.createUser().getPublicKey(),
      jwt_expires_at: new Date(Date.now() + 86_400_000),
      machine_token_hash: randomBytes(32).toString('hex'),
    });
    const body = createAlertRuleBodySchema.parse({
      name: 'CPU saturé',
      kind: 'metric_threshold',
      condition: { metric: 'cpu', threshold: 90, durationSeconds: 300 },
      scope: { kind: 'client', id: s.clientId },
      severity: 'warning',
      autoResolveTicket: rule.autoResolveTicket,
      enabled: rule.enabled ?? true,
    });
    await alertsRepo.insertRule(tx, s.tenantId, s.ruleId, body, null);
  });
  return s;
}

const cpuReading = (value: number): AlertReading => ({ value, unit: '%', subject: null, detail: `CPU ${String(value).replace('.', ',')} %` });
const breach = async (value: number): Promise<AlertObservation> => ({ state: 'breached', at: new Date(await env.currentTimeMs()).toISOString(), reading: cpuReading(value) });
const clear = async (value: number): Promise<AlertObservation> => ({ state: 'clear', at: new Date(await env.currentTimeMs()).toISOString(), reading: cpuReading(value) });

/** Signal-with-start, as ingest does. */
const observe = async (s: Seed, observation: AlertObservation, clearGraceSeconds = 60) =>
  env.client.workflow.signalWithStart(alertWorkflow, {
    taskQueue: queueOf('rmm'),
    workflowId: `alert:${s.tenantId}:${s.machineId}:${s.ruleId}`,
    args: [{ tenantId: s.tenantId, machineId: s.machineId, ruleId: s.ruleId, clearGraceSeconds }],
    signal: alertObservedSignal,
    signalArgs: [observation],
  });

const ticketsOf = (s: Seed) => withTenant(db, s.tenantId, (tx) => tx('tickets').orderBy('created_at'));
const alertsOf = (s: Seed) => withTenant(db, s.tenantId, (tx) => tx('alerts').orderBy('opened_at'));
const eventsOf = (s: Seed, ticketId: string, kind: string) => withTenant(db, s.tenantId, (tx) => tx('ticket_events').where({ ticket_id: ticketId, kind }).orderBy('created_at'));

async function phaseReached(handle: Awaited<ReturnType<typeof observe>>, phase: AlertPhase, occurrences?: number) {
  return until(`alert phase ${phase}`, async () => {
    const state = await handle.query(alertStateQuery);
    return state.phase === phase && (occurrences === undefined || state.occurrences === occurrences) && state;
  });
}

it('a CPU breach opens exactly one pre-filled ticket, repeats are counted and noted, the clear resolves alert and ticket', async () => {
  const s = await seed({ autoResolveTicket: true });
  const handle = await observe(s, await breach(97.3));
  const opened = await phaseReached(handle, 'open');

  const [ticket, ...others] = await ticketsOf(s);
  expect(others).toHaveLength(0);
  expect(ticket).toMatchObject({
    id: opened.ticketId,
    client_id: s.clientId,
    machine_id: s.machineId,
    contract_id: s.contractId,
    priority: 'high',
    source: 'alert',
    status: 'open',
    subject: '[Alerte] CPU > 90 % sur srv-01',
    alert_key: `${s.machineId}:${s.ruleId}:${opened.alertId}`,
  });
  expect(ticket.description).toContain('CPU > 90 % pendant 5 min');
  expect(ticket.description).toContain('CPU 97,3 %');
  expect(ticket.description).toContain('srv-01');
  const [alert] = await alertsOf(s);
  expect(alert).toMatchObject({ id: opened.alertId, status: 'open', ticket_id: ticket.id, occurrences: 1, last_value: cpuReading(97.3) });

  // A duplicate right away (another replica) is counted, not noted; one five minutes later is noted.
  await handle.signal(alertObservedSignal, await breach(98));
  await phaseReached(handle, 'open', 2);
  await env.sleep(5 * MINUTE);
  await handle.signal(alertObservedSignal, await breach(99.1));
  await phaseReached(handle, 'open', 3);
  const notes = await until('the repeat noted', async () => {
    const rows = await eventsOf(s, ticket.id, 'note');
    return rows.length === 1 && rows;
  });
  expect(notes[0]).toMatchObject({ visibility: 'internal', via: 'system', actor_name: 'RMM' });
  expect(notes[0].body).toContain('occurrence 3');
  expect(notes[0].body).toContain('CPU 99,1 %');
  expect((await alertsOf(s))[0]).toMatchObject({ occurrences: 3, last_value: cpuReading(99.1) });

  await handle.signal(alertObservedSignal, await clear(35));
  expect(await handle.result()).toBe('resolved');

  const tickets = await ticketsOf(s);
  expect(tickets).toHaveLength(1);
  expect(tickets[0]).toMatchObject({ status: 'resolved' });
  expect(tickets[0].resolution_note).toContain('CPU 35 %');
  expect((await alertsOf(s))[0]).toMatchObject({ status: 'resolved', occurrences: 3, last_value: cpuReading(35) });
  expect((await alertsOf(s))[0].resolved_at).not.toBeNull();
  const changes = await eventsOf(s, ticket.id, 'change');
  expect(changes.map((e: { field: string; to_value: string }) => [e.field, e.to_value])).toEqual([['status', 'resolved']]);
  // The ticket's own workflow was started with it and told of the resolution.
  const sla = await env.client.workflow.getHandle(`ticket:${s.tenantId}:${ticket.id}`).query(ticketSlaQuery);
  expect(sla?.status).toBe('resolved');
});

it('a breach back within the grace period keeps the alert; once resolved, a new breach opens a new alert and ticket', async () => {
  const s = await seed({ autoResolveTicket: false });
  const first = await observe(s, await breach(95));
  const opened = await phaseReached(first, 'open');
  await first.signal(alertObservedSignal, await clear(20));
  await phaseReached(first, 'clearing');
  await env.sleep(30_000);
  await first.signal(alertObservedSignal, await breach(96));
  await phaseReached(first, 'open', 2);
  expect(await alertsOf(s)).toHaveLength(1);

  await first.signal(alertObservedSignal, await clear(20));
  expect(await first.result()).toBe('resolved');
  // Without autoResolveTicket the ticket stays for a technician, with a note that the alert is over.
  const [ticket] = await ticketsOf(s);
  expect(ticket.status).toBe('open');
  const notes = await eventsOf(s, ticket.id, 'note');
  expect(notes.map((n: { body: string }) => n.body).join('\n')).toContain('Alerte résolue : CPU 20 %');

  const second = await observe(s, await breach(92));
  const reopened = await phaseReached(second, 'open');
  expect(reopened.alertId).not.toBe(opened.alertId);
  expect(reopened.ticketId).not.toBe(opened.ticketId);
  const tickets = await ticketsOf(s);
  expect(tickets).toHaveLength(2);
  expect(tickets[1].alert_key).toBe(`${s.machineId}:${s.ruleId}:${reopened.alertId}`);
  expect((await alertsOf(s)).map((a: { status: string }) => a.status)).toEqual(['resolved', 'open']);
  await second.signal(alertObservedSignal, await clear(10));
  expect(await second.result()).toBe('resolved');
});

it('opens nothing for a disabled rule, and a clear with nothing open is nothing', async () => {
  const s = await seed({ autoResolveTicket: true, enabled: false });
  expect(await (await observe(s, await breach(99))).result()).toBe('ignored');
  const enabled = await seed({ autoResolveTicket: true });
  expect(await (await observe(enabled, await clear(10))).result()).toBe('ignored');
  expect(await ticketsOf(s)).toHaveLength(0);
  expect(await ticketsOf(enabled)).toHaveLength(0);
  expect(await alertsOf(s)).toHaveLength(0);
});
