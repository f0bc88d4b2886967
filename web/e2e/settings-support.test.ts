import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { frenchPublicHolidays, type SlaPolicy } from '@vigie/core';
import { sessionAs, startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * Support settings in real Chromium against the real API: an admin sets the default SLA policy's normal
 * priority to 1 h 30 / 6 h (an unreadable duration is refused in the dialog), opens Saturday mornings (the
 * API's refusal of an interval ending before it starts is shown on that interval), adds the 2027 French
 * public holidays, sets the support address (one already taken by another organisation is refused on the
 * field) and rewrites the "created" e-mail's subject with a placeholder chip (an unknown placeholder is
 * refused); each change is read back from the API. A technician then sees all of it, read only.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  browser = await launchBrowser();
}, 60_000);
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'fr-FR' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

/** French texts use no-break spaces: compare with plain spaces. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').trim();

/** The text of the field around an input (its label, value and error message). */
async function waitForFieldText(test: string, text: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => (document.querySelector(selector)?.closest('.q-field')?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').includes(text),
    { selector: tid(test), text },
  );
}

async function waitForText(selector: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, expected }) => (document.querySelector(selector)?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').trim() === expected,
    { selector, expected },
  );
}

async function logout(): Promise<void> {
  await page.click(tid('user-menu'));
  await page.click(tid('logout'));
  await page.waitForSelector(tid('login-email'));
}

const isReadOnly = (test: string) => page.$eval(tid(test), (el) => el.hasAttribute('readonly'));

it('an admin sets SLA targets, business hours, holidays, the support address and an e-mail template; a technician reads them', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Garnier' });
  const call = (method: string, url: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${url}`, { token, ...(body !== undefined ? { body } : {}) });
  const defaultPolicy = async (): Promise<SlaPolicy> => ((await call('GET', '/sla-policies')).body.items as SlaPolicy[]).find((p) => p.isDefault)!;
  const before = await defaultPolicy();
  const supportAddress = uniqueEmail('support');

  await step(page, 'open the support settings', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.click(tid('nav-support'));
    await page.waitForSelector(tid('support-settings-page'));
    await page.waitForSelector(tid('sla-policy-row'));
    expect(await page.$(tid('support-read-only'))).toBeNull();
    expect(await page.$$(tid('sla-policy-default'))).toHaveLength(1);
  });

  await step(page, 'edit the default policy’s normal priority', async () => {
    await page.click(`${tid('sla-policy-row')}:has(${tid('sla-policy-default')}) ${tid('sla-policy-edit')}`);
    await page.waitForSelector(tid('sla-policy-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    // The default stays the default: only making another policy the default replaces it.
    expect(await page.getAttribute(tid('sla-default'), 'aria-disabled')).toBe('true');
    await page.fill(tid('sla-first-normal'), 'une heure');
    await waitForFieldText('sla-first-normal', 'Durée illisible');
    await page.click(tid('sla-submit'));
    expect(await page.$(tid('sla-policy-dialog'))).not.toBeNull();
    await page.fill(tid('sla-first-normal'), '1 h 30');
    await page.fill(tid('sla-resolution-normal'), '6h');
    await page.fill(tid('sla-warning'), '80');
    await screenshot(page, 'support-sla-dialog');
    await page.click(tid('sla-submit'));
    await page.waitForSelector(tid('sla-policy-dialog'), { state: 'detached' });
    await waitForText(`${tid('sla-policy-row')}:has(${tid('sla-policy-default')}) ${tid('sla-policy-normal')}`, '1 h 30 · 6 h');

    const after = await defaultPolicy();
    expect(after.id).toBe(before.id);
    expect(after.targets.normal).toEqual({ firstResponseMinutes: 90, resolutionMinutes: 360 });
    expect(after.warningPercent).toBe(80);
    // The other priorities are sent back as they were.
    for (const p of ['low', 'high', 'critical'] as const) expect(after.targets[p]).toEqual(before.targets[p]);
  });

  await step(page, 'open Saturday mornings; the API refuses an interval that ends before it starts', async () => {
    await page.click(tid('support-tab-hours'));
    await page.waitForSelector(tid('calendar-closed-6'));
    expect(await page.isDisabled(tid('calendar-save'))).toBe(true);
    await page.click(tid('calendar-add-6'));
    // Times are read as people type them and written HH:mm.
    await page.fill(tid('calendar-start-6-0'), '9h');
    await page.fill(tid('calendar-end-6-0'), '8');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('calendar-save'));
    expect(await page.inputValue(tid('calendar-start-6-0'))).toBe('09:00');
    await waitForFieldText('calendar-end-6-0', 'La fin doit venir après le début');
    await page.waitForSelector('[role=alert]:has-text("corrigez les erreurs")');
    // A time the schema refuses comes back with its path: shown on that field too.
    await page.fill(tid('calendar-end-6-0'), '25:00');
    await page.click(tid('calendar-save'));
    await waitForFieldText('calendar-end-6-0', 'Heure invalide');
    expect((await call('GET', '/settings/business-calendar')).body.week['6']).toEqual([]);

    await page.fill(tid('calendar-end-6-0'), '12:00');
    await page.waitForFunction((selector) => !document.querySelector(selector)?.closest('.q-field')?.classList.contains('q-field--error'), tid('calendar-end-6-0'));
    await page.click(tid('calendar-save'));
    await page.waitForSelector(`${tid('calendar-save')}[disabled], ${tid('calendar-save')}.disabled`);
    const calendar = (await call('GET', '/settings/business-calendar')).body;
    expect(calendar.week['6']).toEqual([{ start: '09:00', end: '12:00' }]);
    expect(calendar.week['7']).toEqual([]);
  });

  await step(page, 'add the 2027 French public holidays', async () => {
    await page.fill(tid('holidays-year'), '2027');
    await page.click(tid('holidays-french'));
    await page.waitForSelector(`${tid('holidays-2027')} ${tid('holiday-chip')}[data-date="2027-07-14"]`);
    expect(await page.$$(`${tid('holidays-2027')} ${tid('holiday-chip')}`)).toHaveLength(frenchPublicHolidays(2027).length);
    const calendar = (await call('GET', '/settings/business-calendar')).body;
    expect(calendar.holidays).toEqual(frenchPublicHolidays(2027));
    // Saturday morning is still there: the holidays were added to the saved calendar, not in place of it.
    expect(calendar.week['6']).toEqual([{ start: '09:00', end: '12:00' }]);
    await screenshot(page, 'support-hours');
  });

  await step(page, 'set the support address (one taken by another organisation is refused)', async () => {
    const other = await api.signup({ tenantName: 'Autre MSP' });
    const taken = uniqueEmail('taken');
    expect((await call('PATCH', '/settings', { supportEmail: taken }, other.token)).status).toBe(200);

    await page.click(tid('support-tab-email'));
    await page.waitForSelector(tid('support-email'));
    await page.fill(tid('support-email'), taken);
    await page.click(tid('support-email-save'));
    await waitForFieldText('support-email', 'déjà utilisée par une autre organisation');
    await page.fill(tid('support-email'), supportAddress.toUpperCase());
    await page.click(tid('support-email-save'));
    await page.waitForSelector('.q-notification:has-text("Adresse du support enregistrée")');
    expect((await call('GET', '/settings')).body.supportEmail).toBe(supportAddress);
  });

  await step(page, 'override the "created" e-mail subject with a placeholder chip', async () => {
    await page.waitForSelector(`${tid('template-state-created')}[data-default="true"]`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('template-subject-created'), 'Demande {{numero}} reçue');
    await page.click(tid('template-save-created'));
    await waitForFieldText('template-subject-created', 'Variable inconnue : {{numero}}');

    await page.fill(tid('template-subject-created'), 'Demande {{number}} reçue : ');
    // The chip inserts at the cursor (the end of what was just typed) and leaves the focus in the field.
    await page.click(tid('template-placeholder-created-subject'));
    expect(await page.inputValue(tid('template-subject-created'))).toBe('Demande {{number}} reçue : {{subject}}');
    const year = new Date().getFullYear();
    await waitForText(tid('template-preview-subject-created'), `Demande T-${year}-0042 reçue : Imprimante du 2ᵉ étage hors service [#T-${year}-0042]`);
    await screenshot(page, 'support-mail');
    await page.click(tid('template-save-created'));
    await page.waitForSelector(`${tid('template-state-created')}[data-default="false"]`);

    const templates = (await call('GET', '/settings/ticket-mail-templates')).body.items as { kind: string; subject: string; isDefault: boolean }[];
    expect(templates.find((tpl) => tpl.kind === 'created')).toMatchObject({ subject: 'Demande {{number}} reçue : {{subject}}', isDefault: false });
    expect(templates.find((tpl) => tpl.kind === 'replied')?.isDefault).toBe(true);
    await logout();
  });

  await step(page, 'a technician reads the support settings and cannot change them', async () => {
    const tech: Session = await sessionAs(api, admin, 'technician');
    await loginThroughUi(page, api.url, tech.email, tech.password);
    expect(await page.$(tid('nav-settings'))).toBeNull();
    await page.click(tid('nav-support'));
    await page.waitForSelector(tid('support-read-only'));
    await page.waitForSelector(tid('sla-policy-row'));
    await waitForText(`${tid('sla-policy-row')}:has(${tid('sla-policy-default')}) ${tid('sla-policy-normal')}`, '1 h 30 · 6 h');
    expect(await page.$(tid('sla-policy-create'))).toBeNull();
    expect(await page.$(tid('sla-policy-edit'))).toBeNull();
    await page.click(tid('sla-policy-row'));
    expect(await page.$(tid('sla-policy-dialog'))).toBeNull();

    await page.click(tid('support-tab-hours'));
    await page.waitForSelector(tid('calendar-start-6-0'));
    expect(await page.inputValue(tid('calendar-start-6-0'))).toBe('09:00');
    expect(await isReadOnly('calendar-start-6-0')).toBe(true);
    for (const hook of ['calendar-save', 'calendar-add-6', 'calendar-remove-6-0', 'holidays-french', 'holiday-add']) expect(await page.$(tid(hook))).toBeNull();
    expect(await page.$$(`${tid('holidays-2027')} ${tid('holiday-chip')}`)).toHaveLength(frenchPublicHolidays(2027).length);

    await page.click(tid('support-tab-email'));
    await page.waitForSelector(tid('template-subject-created'));
    expect(await page.inputValue(tid('support-email'))).toBe(supportAddress);
    expect(await isReadOnly('support-email')).toBe(true);
    expect(await page.inputValue(tid('template-subject-created'))).toBe('Demande {{number}} reçue : {{subject}}');
    expect(await isReadOnly('template-subject-created')).toBe(true);
    for (const hook of ['support-email-save', 'template-save-created', 'template-reset-created']) expect(await page.$(tid(hook))).toBeNull();
    expect(plain(await page.textContent(tid('template-preview-subject-created')))).toContain('Imprimante du 2ᵉ étage hors service');
    await screenshot(page, 'support-read-only');

    // The API agrees: the technician may read, not write.
    expect((await call('PUT', '/settings/business-calendar', (await call('GET', '/settings/business-calendar', undefined, tech.token)).body, tech.token)).status).toBe(403);
    // The company settings stay admin-only.
    await page.goto(`${api.url}/settings`);
    await page.waitForSelector(tid('forbidden'));
  });
});

it('an admin sets a technician’s hourly cost and a client’s hourly rate', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Perrin' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const tech = await sessionAs(api, admin, 'technician');
  const techId = ((await call('GET', `/users?q=${encodeURIComponent(tech.email)}`)).body.items as { id: string }[])[0]!.id;
  const client = (await call('POST', '/clients', { name: 'Boulangerie Marchand', status: 'active' })).body as { id: string };

  await step(page, 'hourly cost on the user dialog', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.goto(`${api.url}/users`);
    await page.waitForSelector(tid('users-page'));
    await page.click(`${tid('users-page')} >> text=${tech.email}`);
    await page.waitForSelector(tid('edit-user-cost-rate'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('edit-user-cost-rate'), 'trente');
    await waitForFieldText('edit-user-cost-rate', 'Un montant comme 45,00');
    await page.fill(tid('edit-user-cost-rate'), '42,50');
    await waitForFieldText('edit-user-cost-rate', '= 42,50 €');
    await page.click(tid('edit-user-submit'));
    await page.waitForSelector(tid('edit-user-cost-rate'), { state: 'detached' });
    expect((await call('GET', `/users/${techId}`)).body.costRateCents).toBe(4250);
  });

  await step(page, 'hourly rate on the client record', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}`);
    await page.waitForSelector(tid('client-edit-hourly-rate'));
    await page.fill(tid('client-edit-hourly-rate'), '85');
    await waitForFieldText('client-edit-hourly-rate', '= 85,00 €');
    await page.click(tid('client-save'));
    await page.waitForSelector('.q-notification:has-text("Modifications enregistrées")');
    expect((await call('GET', `/clients/${client.id}`)).body.hourlyRateCents).toBe(8500);
    // Emptied, it falls back to the tenant's default.
    await page.fill(tid('client-edit-hourly-rate'), '');
    await page.click(tid('client-save'));
    // Saving is on its way once the button was clicked: wait for the API to say so.
    for (let i = 0; i < 50 && (await call('GET', `/clients/${client.id}`)).body.hourlyRateCents !== null; i++) await page.waitForTimeout(100);
    expect((await call('GET', `/clients/${client.id}`)).body.hourlyRateCents).toBeNull();
  });
});
