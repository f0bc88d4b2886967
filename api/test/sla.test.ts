import { addBusinessMinutes, DEFAULT_CALENDAR } from '@vigie/core';
import { startTestWorker } from '../../worker/test/support/worker';
import { ticketWorkflowId } from '@vigie/workflows/client';
import { sessionAs, startTestApi, type Session, type TestApi } from './support/harness';

/** /sla-policies and /settings/business-calendar through the real API, with the tenants, tickets and CRM workers. */
let api: TestApi;
let admin: Session;
let tech: Session;
let worker: { stop(): Promise<void> };
beforeAll(async () => {
  api = await startTestApi();
  worker = await startTestWorker(['tenants', 'tickets', 'crm']);
  admin = await api.signup();
  tech = await sessionAs(api, admin, 'technician');
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

const MINUTE = 60_000;
const targets = (fr: number, res: number) => ({ firstResponseMinutes: fr, resolutionMinutes: res });
const body = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  targets: { low: targets(480, 2400), normal: targets(240, 960), high: targets(120, 480), critical: targets(30, 120) },
  ...extra,
});

async function eventually<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('gives every tenant one standard default policy, readable by staff and changed by admins only', async () => {
  const list = await call('GET', '/sla-policies', undefined, tech.token);
  expect(list.status).toBe(200);
  expect(list.body.items).toEqual([
    expect.objectContaining({
      name: 'Standard',
      isDefault: true,
      warningPercent: 75,
      autoCloseDays: 7,
      targets: { critical: targets(60, 240), high: targets(120, 480), normal: targets(240, 960), low: targets(480, 2400) },
    }),
  ]);
  const standard = list.body.items[0];
  expect((await call('GET', `/sla-policies/${standard.id}`, undefined, tech.token)).body).toEqual(standard);
  expect((await call('POST', '/sla-policies', body('Premium'), tech.token)).status).toBe(403);
  expect((await call('PATCH', `/sla-policies/${standard.id}`, { warningPercent: 80 }, tech.token)).status).toBe(403);
});

it('keeps exactly one default: a new default replaces the old one, and the default cannot just be unset', async () => {
  const before = (await call('GET', '/sla-policies')).body.items;
  const standard = before.find((p: { isDefault: boolean }) => p.isDefault);

  const premium = await call('POST', '/sla-policies', body('Premium 24/7', { isDefault: true, warningPercent: 50, autoCloseDays: 3 }));
  expect(premium.status).toBe(201);
  expect(premium.body).toMatchObject({ name: 'Premium 24/7', isDefault: true, warningPercent: 50, autoCloseDays: 3 });
  const bronze = await call('POST', '/sla-policies', body('Bronze'));
  expect(bronze.body).toMatchObject({ isDefault: false, warningPercent: 75, autoCloseDays: 7 });

  const defaults = (await call('GET', '/sla-policies')).body.items.filter((p: { isDefault: boolean }) => p.isDefault);
  expect(defaults.map((p: { id: string }) => p.id)).toEqual([premium.body.id]);
  expect((await call('GET', `/sla-policies/${standard.id}`)).body.isDefault).toBe(false);

  expect((await call('PATCH', `/sla-policies/${premium.body.id}`, { isDefault: false })).status).toBe(409);
  const back = await call('PATCH', `/sla-policies/${standard.id}`, { isDefault: true, name: 'Standard (heures ouvrées)' });
  expect(back.body).toMatchObject({ isDefault: true, name: 'Standard (heures ouvrées)' });
  expect((await call('GET', `/sla-policies/${premium.body.id}`)).body.isDefault).toBe(false);
});

it('refuses invalid policies and answers 404 for an unknown one', async () => {
  expect((await call('POST', '/sla-policies', body('Trop', { warningPercent: 100 }))).status).toBe(400);
  expect((await call('POST', '/sla-policies', body('Jours', { autoCloseDays: 0 }))).status).toBe(400);
  expect((await call('POST', '/sla-policies', { ...body('Partiel'), targets: { normal: targets(60, 120) } })).status).toBe(400);
  expect((await call('POST', '/sla-policies', body('Inconnu', { color: 'red' }))).status).toBe(400);
  expect((await call('PATCH', '/sla-policies/00000000-0000-4000-8000-000000000000', { name: 'X' })).status).toBe(404);
});

it('serves the default calendar in the tenant time zone, validates a new one and merges French holidays', async () => {
  const initial = await call('GET', '/settings/business-calendar', undefined, tech.token);
  expect(initial.body).toEqual({ ...DEFAULT_CALENDAR, timeZone: 'Europe/Paris' });

  const week = { ...DEFAULT_CALENDAR.week, 6: [{ start: '09:00', end: '12:00' }] };
  const saved = await call('PUT', '/settings/business-calendar', { timeZone: 'Europe/Paris', week, holidays: ['2027-12-24', '2027-12-24'] });
  expect(saved.status).toBe(200);
  expect(saved.body).toEqual({ timeZone: 'Europe/Paris', week, holidays: ['2027-12-24'] });
  expect((await call('PUT', '/settings/business-calendar', saved.body, tech.token)).status).toBe(403);

  const backwards = await call('PUT', '/settings/business-calendar', { ...saved.body, week: { ...week, 1: [{ start: '18:00', end: '09:00' }] } });
  expect(backwards.status).toBe(400);
  expect(backwards.body.detail).toContain('weekday 1');
  expect((await call('PUT', '/settings/business-calendar', { ...saved.body, timeZone: 'Mars/Olympus' })).status).toBe(400);
  const closed = { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [] };
  expect((await call('PUT', '/settings/business-calendar', { ...saved.body, week: closed })).status).toBe(400);
  expect((await call('GET', '/settings/business-calendar')).body).toEqual(saved.body);

  const merged = await call('POST', '/settings/business-calendar/french-holidays?year=2027');
  expect(merged.status).toBe(200);
  // Easter 2027 is 28 March: Easter Monday 29 March, Ascension 6 May, Whit Monday 17 May.
  expect(merged.body.holidays).toEqual([
    '2027-01-01', '2027-03-29', '2027-05-01', '2027-05-06', '2027-05-08', '2027-05-17',
    '2027-07-14', '2027-08-15', '2027-11-01', '2027-11-11', '2027-12-24', '2027-12-25',
  ]);
  expect((await call('POST', '/settings/business-calendar/french-holidays?year=2027')).body.holidays).toHaveLength(12);
  expect((await call('POST', '/settings/business-calendar/french-holidays?year=1200')).status).toBe(400);
  expect((await call('POST', '/settings/business-calendar/french-holidays?year=2027', undefined, tech.token)).status).toBe(403);
});

it('writes due dates on a new ticket, follows its priority through many changes (continuing as new), and recomputes them when the calendar changes', async () => {
  const tenant = await api.signup();
  const clientId = (await call('POST', '/clients', { name: 'Garage Dupuis' }, tenant.token)).body.id;
  const created = await call('POST', '/tickets', { clientId, subject: 'Serveur de fichiers lent', priority: 'normal' }, tenant.token);
  expect(created.status).toBe(201);
  const ticket = created.body;
  const calendar = { ...DEFAULT_CALENDAR, timeZone: 'Europe/Paris' };

  const read = () => call('GET', `/tickets/${ticket.id}`, undefined, tenant.token).then((r) => r.body);
  const first = await eventually(read, (t) => t.sla.firstResponse.dueAt !== null, 'the due dates');
  expect(first.sla).toMatchObject({
    state: 'ok',
    firstResponse: { state: 'running', dueAt: addBusinessMinutes(ticket.createdAt, 240, calendar) },
    resolution: { state: 'running', dueAt: addBusinessMinutes(ticket.createdAt, 960, calendar) },
  });

  // Enough changes, each seen through, for the server (which suggests continueAsNew at 50 events in tests) to roll the history over.
  const firstResponse = { critical: 60, high: 120, normal: 240, low: 480 } as const;
  let critical: any;
  for (const priority of ['high', 'low', 'critical', 'normal', 'high', 'low', 'normal', 'high', 'low', 'normal', 'high', 'critical'] as const) {
    expect((await call('PATCH', `/tickets/${ticket.id}`, { priority }, tenant.token)).status).toBe(200);
    const due = addBusinessMinutes(ticket.createdAt, firstResponse[priority], calendar);
    critical = await eventually(read, (t) => t.sla.firstResponse.dueAt === due, `the ${priority} targets`);
  }
  expect(critical.sla.resolution.dueAt).toBe(addBusinessMinutes(ticket.createdAt, 240, calendar));
  const workflowId = ticketWorkflowId(tenant.user.tenantId, ticket.id);
  const runs = async () => {
    const statuses: string[] = [];
    for await (const run of api.deps.temporal.workflow.list({ query: `WorkflowId = '${workflowId}'` })) statuses.push(run.status.name);
    return statuses;
  };
  const statuses = await eventually(runs, (s) => s.includes('CONTINUED_AS_NEW') && s.includes('RUNNING'), 'a run continued as new');
  expect(statuses.filter((s) => s === 'RUNNING')).toHaveLength(1);

  // Round the clock: the remaining first-response time now runs on every minute.
  const before = Date.now();
  const allDay = [{ start: '00:00', end: '23:59' }];
  const put = await call('PUT', '/settings/business-calendar', { timeZone: 'Europe/Paris', week: { 1: allDay, 2: allDay, 3: allDay, 4: allDay, 5: allDay, 6: allDay, 7: allDay }, holidays: [] }, tenant.token);
  expect(put.status).toBe(200);
  const moved = await eventually(read, (t) => t.sla.firstResponse.dueAt !== critical.sla.firstResponse.dueAt, 'the recomputed due date');
  const due = Date.parse(moved.sla.firstResponse.dueAt);
  // At most 60 business minutes are left, now counted on a calendar open all day (one closed minute a day).
  expect(due).toBeGreaterThan(before);
  expect(due).toBeLessThanOrEqual(Date.now() + 62 * MINUTE);
});
