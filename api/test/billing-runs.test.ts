import { nkeys } from 'nats';
import { localDateIn, runPeriodContaining } from '@vigie/core';
import { billingScheduleId } from '@vigie/workflows/client';
import { startTestWorker } from '../../worker/test/support/worker';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, type Session, type TestApi, startTestApi } from './support/harness';
import { until } from './support/until';

/**
 * Billing runs through the real API and worker: one run drafts the period's subscription invoices
 * (quantities counted now, prorated), the packs of hours sold and the pending ticket time; running the
 * same period again adds nothing; the tenant's Temporal Schedule follows its settings.
 */
let api: TestApi;
let admin: Session;
let tech: Session;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  tech = await sessionAs(api, admin, 'technician');
  worker = await startTestWorker(['billing', 'crm', 'tickets', 'contracts']);
  const legal = { legalName: 'Infogérance Martin SARL', siren: '443061841', address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', country: 'FR' } };
  expect((await call('PATCH', '/settings', { legal, timezone: 'Europe/Paris' })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

it('a run drafts subscriptions, packs sold and pending time once per period; a second run adds nothing', async () => {
  const today = localDateIn(Date.now(), 'Europe/Paris');
  const period = runPeriodContaining('monthly', today);
  const client = await call('POST', '/clients', { name: 'Clinique des Alpes', siren: nextSiren(), hourlyRateCents: 6_000, billingAddress: { line1: '2 rue du Lac', postalCode: '74000', city: 'Annecy' } });
  const clientId = client.body.id;
  for (const name of ['Siège', 'Annexe']) expect((await call('POST', `/clients/${clientId}/sites`, { name, address: { line1: '1 rue', postalCode: '74000', city: 'Annecy' } })).status).toBe(201);

  // A per-site subscription at 45 €/site/month, from the start of the period: 2 sites → 90 €.
  const sub = await call('POST', '/contracts', { type: 'subscription', clientId, name: 'Supervision', startDate: period.start, subscription: { billingBasis: 'per_site', unitPriceCents: 4_500, billingPeriod: 'monthly' } });
  expect(sub.status).toBe(201);
  expect((await call('PATCH', `/contracts/${sub.body.id}`, { status: 'active' })).status).toBe(200);
  // Per machine at 20 €/machine: the fleet counts two enrolled machines of the client → 40 €.
  const token = (await call('POST', '/enrollment-tokens', { clientId })).body.token;
  for (const hostname of ['poste-1', 'poste-2']) {
    const enrolled = await api.call('POST', '/api/v1/agents/enroll', { body: { token, hostname, os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() } });
    expect(enrolled.status).toBe(201);
  }
  const fleet = await call('POST', '/contracts', { type: 'subscription', clientId, name: 'Postes', startDate: period.start, subscription: { billingBasis: 'per_machine', unitPriceCents: 2_000, billingPeriod: 'monthly' } });
  expect((await call('PATCH', `/contracts/${fleet.body.id}`, { status: 'active' })).status).toBe(200);
  // A yearly subscription is not billed by a monthly run.
  const yearly = await call('POST', '/contracts', { type: 'subscription', clientId, name: 'Licences', startDate: period.start, subscription: { billingBasis: 'flat', unitPriceCents: 120_000, billingPeriod: 'yearly' } });
  await call('PATCH', `/contracts/${yearly.body.id}`, { status: 'active' });

  // A pack of 10 h sold for 850 €.
  const bank = await call('POST', '/contracts', { type: 'hour_bank', clientId, name: 'Banque 10 h', hourBank: {} });
  await call('PATCH', `/contracts/${bank.body.id}`, { status: 'active' });
  expect((await call('POST', `/contracts/${bank.body.id}/blocks`, { minutes: 600, priceCents: 85_000 })).status).toBe(201);

  // 30 minutes of out-of-contract time on a closed ticket.
  const ticket = (await call('POST', '/tickets', { clientId, subject: 'Imprimante' })).body;
  const entry = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today, minutes: 30, description: 'Pilote' }, tech.token);
  await call('POST', `/time-entries/${entry.body.id}/approve`, {});
  await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'OK' });
  await until('pre-billing', async () => ((await call('GET', `/billing/pre-billing?clientId=${clientId}`)).body.items.length === 1 ? true : undefined), 60_000);

  const bad = await call('POST', '/billing/runs', { frequency: 'monthly', periodStart: `${period.start.slice(0, 8)}02` });
  expect(bad.status).toBe(400);
  const started = await call('POST', '/billing/runs', { frequency: 'monthly', periodStart: period.start });
  expect(started.status).toBe(202);
  expect(started.body).toMatchObject({ frequency: 'monthly', periodStart: period.start, periodEnd: period.end, status: 'running' });
  const run = await until('the run to finish', async () => {
    const r = (await call('GET', `/billing/runs/${started.body.id}`)).body;
    return r.status === 'done' ? r : undefined;
  }, 60_000);
  expect(run).toMatchObject({ invoiceCount: 4, totalCents: (9_000 + 4_000 + 85_000 + 3_000) * 1.2 });

  const drafts = (await call('GET', `/invoices?clientId=${clientId}&status=draft`)).body.items;
  expect(drafts.map((i: { source: string; totalExclTaxCents: number }) => [i.source, i.totalExclTaxCents]).sort()).toEqual([
    ['hour_block', 85_000],
    ['pre_billing', 3_000],
    ['subscription', 4_000],
    ['subscription', 9_000],
  ]);
  const subscription = (await call('GET', `/invoices/${drafts.find((i: { source: string; totalExclTaxCents: number }) => i.source === 'subscription' && i.totalExclTaxCents === 9_000).id}`)).body;
  expect(subscription).toMatchObject({ periodStart: period.start, periodEnd: period.end, contractId: sub.body.id });
  expect(subscription.lines[0]).toMatchObject({ quantity: 2, unitPriceCents: 4_500, description: expect.stringContaining('Supervision — 2 site(s)') });

  // Again: the same run, nothing new.
  const again = await call('POST', '/billing/runs', { frequency: 'monthly', periodStart: period.start });
  expect(again.body.id).toBe(started.body.id);
  await until('the second run to finish', async () => ((await call('GET', `/billing/runs/${started.body.id}`)).body.status === 'done' ? true : undefined), 60_000);
  expect((await call('GET', `/invoices?clientId=${clientId}`)).body.items).toHaveLength(4);
  expect((await call('GET', '/billing/runs')).body.items.map((r: { id: string }) => r.id)).toContain(started.body.id);
}, 120_000);

it('with auto-validation, a run issues its invoices and starts their workflows', async () => {
  const other = await api.signup();
  const as = (method: string, path: string, body?: unknown) => api.call(method, `/api/v1${path}`, { token: other.token, ...(body !== undefined ? { body } : {}) });
  await as('PATCH', '/settings', { legal: { siren: nextSiren(), address: { line1: '1 rue A', postalCode: '75001', city: 'Paris', country: 'FR' } } });
  expect((await as('PATCH', '/billing/settings', { autoValidate: true, runFrequency: 'quarterly' })).status).toBe(200);
  const clientId = (await as('POST', '/clients', { name: 'Cabinet Noir', billingAddress: { line1: '5 quai', postalCode: '75004', city: 'Paris' } })).body.id;
  await as('POST', `/clients/${clientId}/contacts`, { name: 'Compta', email: 'compta@noir.test', isPrimary: true });
  const sub = await as('POST', '/contracts', { type: 'subscription', clientId, name: 'Forfait', startDate: '2030-01-01', subscription: { billingBasis: 'flat', unitPriceCents: 30_000, billingPeriod: 'monthly' } });
  await as('PATCH', `/contracts/${sub.body.id}`, { status: 'active' });
  const run = (await as('POST', '/billing/runs', { frequency: 'quarterly', periodStart: '2030-04-01' })).body;
  const done = await until('the run', async () => {
    const r = (await as('GET', `/billing/runs/${run.id}`)).body;
    return r.status === 'done' ? r : undefined;
  }, 60_000);
  expect(done).toMatchObject({ invoiceCount: 1, totalCents: 108_000, error: null });
  const invoice = (await as('GET', `/invoices?clientId=${clientId}`)).body.items[0];
  expect(invoice).toMatchObject({ number: expect.stringMatching(/^FA-\d{4}-0001$/), periodStart: '2030-04-01', periodEnd: '2030-06-30', totalExclTaxCents: 90_000 });
  await until('the invoice to be sent', async () => ((await as('GET', `/invoices/${invoice.id}`)).body.status === 'sent' ? true : undefined), 60_000);
}, 120_000);

it('the tenant’s billing Schedule follows its frequency and time zone', async () => {
  expect((await call('PATCH', '/billing/settings', { runFrequency: 'quarterly' })).status).toBe(200);
  const res = await call('POST', '/billing/settings/schedule');
  expect(res.body).toEqual({ frequency: 'quarterly', timezone: 'Europe/Paris' });
  const handle = api.deps.temporal.schedule.getHandle(billingScheduleId(admin.user.tenantId));
  try {
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.spec.calendars?.[0]).toMatchObject({ dayOfMonth: [{ start: 1, end: 1, step: 1 }], hour: [{ start: 6, end: 6, step: 1 }] });
    expect(described.spec.calendars?.[0]?.month?.map((m) => m.start)).toEqual(['JANUARY', 'APRIL', 'JULY', 'OCTOBER']);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'billingRunWorkflow', args: [{ tenantId: admin.user.tenantId, frequency: 'quarterly', periodStart: null }] });
    // Monthly: every month.
    await call('PATCH', '/billing/settings', { runFrequency: 'monthly' });
    await call('POST', '/billing/settings/schedule');
    const monthly = await handle.describe();
    expect(monthly.spec.calendars?.[0]?.month).toEqual([{ start: 'JANUARY', end: 'DECEMBER', step: 1 }]);
  } finally {
    await handle.delete();
  }
});
