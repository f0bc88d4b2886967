import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestWorker } from '../../worker/test/support/worker';
import { startTestApi, testConfig, uniqueEmail, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid } from './support/browser';

/**
 * The planning in real Chromium against the real API (tickets, contracts, CRM and planning workers in this
 * process): a technician's two interventions are shown in their week; dragging one to another day saves it
 * there at the same time (read back from the API); dragging it onto the other one's slot shows the overlap
 * before saving, and cancelling leaves it where it was.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  worker = await startTestWorker(['tickets', 'contracts', 'crm', 'planning']);
  browser = await launchBrowser();
}, 90_000);
beforeEach(async () => {
  // The browser in another zone than the tenant's: the planning shows the tenant's (Europe/Paris) hours.
  context = await browser.newContext({ viewport: { width: 1600, height: 1100 }, locale: 'fr-FR', timezoneId: 'America/New_York' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
});

/** The instant of a wall-clock date and time in a zone (what the planning page computes too). */
function instantOf(date: string, time: string, timeZone: string): string {
  const f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const offsetAt = (ms: number) => {
    const p = Object.fromEntries(f.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
    return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second)) - ms;
  };
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const guess = Date.UTC(y, m - 1, d, hh, mm);
  let ms = guess - offsetAt(guess);
  ms = guess - offsetAt(ms);
  return new Date(ms).toISOString();
}
const addDays = (date: string, n: number) => new Date(Date.parse(`${date}T12:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

it('a technician drags an intervention to another day (saved, same time), then onto another one: the overlap is shown and cancelling leaves it', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Planning' });
  const call = (method: string, url: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${url}`, { token, ...(body !== undefined ? { body } : {}) });
  const email = uniqueEmail('tech');
  const password = 'a long enough password';
  const techRes = await call('POST', '/users', { email, name: 'Théo Martin', role: 'technician', password });
  expect(techRes.status).toBe(201);
  const techId: string = techRes.body.id;
  const client = (await call('POST', '/clients', { name: 'Garage Rousseau' })).body;
  const ticketA = (await call('POST', '/tickets', { clientId: client.id, subject: 'Serveur de fichiers lent', assigneeId: techId })).body;
  const ticketB = (await call('POST', '/tickets', { clientId: client.id, subject: 'Installation du nouveau poste', assigneeId: techId })).body;
  expect(ticketA.number).toBeTruthy();

  const zone: string = (await call('GET', '/settings/business-calendar')).body.timeZone;
  // Next week (or the one after), Monday to Friday, so that every slot is in the future and in working hours.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());
  const weekday = ((new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const monday = addDays(today, 8 - weekday);
  const [tuesday, wednesday, thursday] = [addDays(monday, 1), addDays(monday, 2), addDays(monday, 3)];

  const plan = async (ticketId: string, date: string, time: string, minutes: number) => {
    const res = await call('POST', '/interventions', { ticketId, mode: 'remote', startAt: instantOf(date, time, zone), durationMinutes: minutes, technicianIds: [techId] });
    expect(res.status).toBe(201);
    return res.body as { id: string; startAt: string };
  };
  const a = await plan(ticketA.id, tuesday, '10:00', 60);
  const b = await plan(ticketB.id, thursday, '14:00', 120);
  const startOf = async (id: string) => new Date((await call('GET', `/interventions/${id}`)).body.startAt).toISOString();
  const block = (id: string) => `${tid('planning-intervention')}[data-id="${id}"]`;
  const slot = (date: string, time: string) => `${tid('planning-slot')}[data-date="${date}"][data-time="${time}"]`;

  await step(page, 'the technician opens the planning: their week, both interventions as blocks', async () => {
    await loginThroughUi(page, api.url, email, password);
    await page.click(tid('nav-planning'));
    await page.waitForSelector(tid('planning-page'));
    expect(await page.$(tid('placeholder-planning'))).toBeNull();
    await page.goto(`${api.url}/planning?view=week&date=${tuesday}`);
    await page.waitForSelector(block(a.id));
    await page.waitForSelector(block(b.id));
    const text = (await page.textContent(block(a.id))) ?? '';
    expect(text).toContain(ticketA.number);
    expect(text).toContain('Garage Rousseau');
    expect(text).toContain('10:00–11:00');
    await screenshot(page, 'planning-week');
  });

  await step(page, 'drag the Tuesday intervention to Wednesday: saved on Wednesday at the same time', async () => {
    await page.dragAndDrop(block(a.id), slot(wednesday, '10:00'), { sourcePosition: { x: 12, y: 4 } });
    await page.waitForSelector('.q-notification:has-text("déplacée")');
    expect(await startOf(a.id)).toBe(instantOf(wednesday, '10:00', zone));
    await page.waitForFunction(
      ({ selector, date }) => document.querySelector(selector)?.closest('.q-calendar-day__day')?.querySelector(`[data-date="${date}"]`) != null,
      { selector: block(a.id), date: wednesday },
    );
  });

  await step(page, 'drag it onto Thursday 14:30: the overlap with the other intervention is shown before saving; cancel leaves it', async () => {
    // The slot lies under the other block (which lets drops through while dragging): no hit-target check on it.
    await page.dragAndDrop(block(a.id), slot(thursday, '14:30'), { sourcePosition: { x: 12, y: 4 }, force: true });
    await page.waitForSelector(tid('planning-conflicts'));
    const conflict = page.locator(`${tid('planning-conflict')}[data-kind="overlap"]`);
    await conflict.waitFor();
    const said = ((await conflict.textContent()) ?? '').replace(/[\u202f\u00a0]/g, ' ');
    expect(said).toContain('Théo Martin');
    expect(said).toContain(ticketB.number);
    await screenshot(page, 'planning-conflict');
    await page.click(tid('planning-conflict-cancel'));
    await page.waitForSelector(tid('planning-conflicts'), { state: 'detached' });
    await page.waitForSelector('.q-notification:has-text("laissée à sa place")');
    expect(await startOf(a.id)).toBe(instantOf(wednesday, '10:00', zone));
    expect(await startOf(b.id)).toBe(instantOf(thursday, '14:00', zone));
    await page.waitForFunction(
      ({ selector, date }) => document.querySelector(selector)?.closest('.q-calendar-day__day')?.querySelector(`[data-date="${date}"]`) != null,
      { selector: block(a.id), date: wednesday },
    );
  });

  await step(page, 'the team view shows it in the technician’s row, on Wednesday', async () => {
    await page.click(tid('planning-view-team'));
    await page.waitForSelector(`${tid('planning-team-cell')}[data-technician="${techId}"][data-date="${wednesday}"] ${block(a.id)}`);
    await page.waitForSelector(`${tid('planning-team-cell')}[data-technician="${techId}"][data-date="${thursday}"] ${block(b.id)}`);
    await screenshot(page, 'planning-team');
  });
});

it('plans an intervention from the ticket page, then completes it: one time entry in one click', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Interventions' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Cabinet Durand' })).body;
  const me = (await call('GET', '/me')).body;
  const ticket = (await call('POST', '/tickets', { clientId: client.id, subject: 'Migration de la messagerie', assigneeId: me.id })).body;
  const zone: string = (await call('GET', '/settings/business-calendar')).body.timeZone;
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: zone }).format(new Date());
  const weekday = ((new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const monday = addDays(today, 8 - weekday);

  await step(page, 'plan it from the ticket: mode, date, time, duration, technician; no conflict', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.goto(`${api.url}/tickets/${ticket.id}`);
    await page.waitForSelector(tid('ticket-interventions-empty'));
    await page.click(tid('ticket-plan'));
    await page.waitForSelector(tid('intervention-dialog'));
    await page.fill(tid('intervention-date'), monday);
    await page.fill(tid('intervention-time'), '10:00');
    await page.fill(tid('intervention-duration'), '1 h 30');
    await page.click(tid('intervention-submit'));
    await page.waitForSelector(tid('ticket-intervention'));
    const list = (await call('GET', `/interventions?ticketId=${ticket.id}&from=${encodeURIComponent(instantOf(monday, '00:00', zone))}&to=${encodeURIComponent(instantOf(addDays(monday, 1), '00:00', zone))}`)).body.items;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ mode: 'remote', durationMinutes: 90, status: 'planned' });
    expect(new Date(list[0].startAt).toISOString()).toBe(instantOf(monday, '10:00', zone));
  });

  await step(page, '“Terminer” completes it and makes its time entry', async () => {
    await page.click(tid('ticket-intervention-complete'));
    await page.waitForSelector(`${tid('ticket-intervention')}[data-status="done"]`);
    const entries = (await call('GET', `/tickets/${ticket.id}/time-entries`)).body.items;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ minutes: 90, status: 'pending' });
    await page.waitForSelector(tid('time-entry'));
  });
});
