import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApi, testConfig, uniqueEmail, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * The web shell in real Chromium against the real API (Postgres, NATS, Temporal of the test stack):
 * sign up → log in → brand → create a technician → log out → log in as them → admin parts are refused.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  browser = await launchBrowser();
}, 60_000);
// Each test starts from a fresh browser profile: no session carried over.
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1366, height: 850 }, locale: 'fr-FR' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const cssPrimary = () => page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--q-primary').trim().toLowerCase());

const login = (email: string, password: string) => loginThroughUi(page, api.url, email, password);

async function logout() {
  await page.click(tid('user-menu'));
  await page.click(tid('logout'));
  await page.waitForSelector(tid('login-email'));
}

it('runs the admin → technician flow with branding and role-based access', async () => {
  const admin = { email: uniqueEmail('web-admin'), password: 'a long admin password', tenant: 'Infogérance Martin' };
  const tech = { email: uniqueEmail('web-tech'), password: 'a long technician password', name: 'Théo Technicien' };

  await step(page, 'signup', async () => {
    await page.goto(`${api.url}/signup`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('signup-tenant'), admin.tenant);
    await page.fill(tid('signup-name'), 'Alice Martin');
    await page.fill(tid('signup-email'), admin.email);
    await page.fill(tid('signup-password'), admin.password);
    await page.click(tid('signup-submit'));
    await page.waitForSelector(tid('dashboard'));
    await logout();
  });

  await step(page, 'login with the keyboard', async () => {
    await page.goto(`${api.url}/login`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.focus(tid('login-email'));
    await page.keyboard.type(admin.email);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-test'))).toBe('login-password');
    await page.keyboard.type(admin.password);
    await page.keyboard.press('Enter');
    await page.waitForSelector(tid('dashboard'));
    await page.waitForSelector(`text=${admin.tenant}`);
    await screenshot(page, 'dashboard');
  });

  await step(page, 'branding colour is applied', async () => {
    await page.click(tid('nav-settings'));
    await page.click(tid('settings-tab-branding'));
    await page.fill(tid('primary-color'), '#0f766e');
    await page.click(tid('settings-save'));
    await page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--q-primary').trim().toLowerCase() === '#0f766e');
    const saved = await api.call('GET', '/api/v1/settings', { token: (await api.login(admin.email, admin.password)).accessToken });
    expect(saved.body.branding.primaryColor).toBe('#0f766e');
    // A reload keeps it: it comes from the tenant's settings, not from the page state.
    await page.reload();
    await page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--q-primary').trim().toLowerCase() === '#0f766e');
    expect(await cssPrimary()).toBe('#0f766e');
  });

  await step(page, 'create a technician', async () => {
    await page.click(tid('nav-users'));
    await page.waitForSelector(tid('users-page'));
    await page.click(tid('users-create'));
    await page.fill(tid('user-name'), tech.name);
    await page.fill(tid('user-email'), tech.email);
    await page.fill(tid('user-password'), tech.password);
    await page.click(tid('user-role'));
    await page.click('.q-menu .q-item:has-text("Technicien")');
    await page.click(tid('user-submit'));
    await page.waitForSelector(`${tid('users-page')} >> text=${tech.email}`);
    await page.waitForSelector('.q-dialog', { state: 'detached' });
    await screenshot(page, 'users');
    await logout();
  });

  await step(page, 'the technician sees no admin menus and is refused /settings', async () => {
    await login(tech.email, tech.password);
    for (const admin_only of ['nav-settings', 'nav-users', 'nav-audit']) expect(await page.$(tid(admin_only))).toBeNull();
    for (const staff of ['nav-dashboard', 'nav-tickets', 'nav-planning', 'nav-assets']) expect(await page.$(tid(staff))).not.toBeNull();
    await page.goto(`${api.url}/settings`);
    await page.waitForSelector(tid('forbidden'));
    expect(await page.$(tid('settings-save'))).toBeNull();
  });
});

it('shows the API’s field errors next to the fields and keeps the user on the form', async () => {
  await step(page, 'signup with a taken e-mail', async () => {
    const taken = await api.signup();
    await page.goto(`${api.url}/signup`);
    await page.fill(tid('signup-tenant'), 'Doublon SARL');
    await page.fill(tid('signup-name'), 'Bob');
    await page.fill(tid('signup-email'), taken.email);
    await page.fill(tid('signup-password'), 'a long enough password');
    await page.click(tid('signup-submit'));
    await page.waitForSelector('text=/existe déjà|already exists/');
    expect(page.url()).toContain('/signup');
  });
});

it('gives a client user the portal, branded with their provider’s name and colour', async () => {
  await step(page, 'client user logs in to the portal', async () => {
    const admin = await api.signup({ tenantName: 'Infogérance Portail' });
    await api.call('PATCH', '/api/v1/settings', { token: admin.token, body: { branding: { primaryColor: '#7c3aed' } } });
    const client = (await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Cabinet Client' } })).body;
    const email = uniqueEmail('portal');
    await api.call('POST', '/api/v1/users', { token: admin.token, body: { email, name: 'Claire Client', role: 'client', clientId: client.id, password: 'a long portal password' } });
    await page.goto(`${api.url}/login`);
    await page.fill(tid('login-email'), email);
    await page.fill(tid('login-password'), 'a long portal password');
    await page.click(tid('login-submit'));
    await page.waitForSelector(tid('portal-nav-tickets'));
    await page.waitForSelector('text=Infogérance Portail');
    await page.waitForFunction(() => getComputedStyle(document.documentElement).getPropertyValue('--q-primary').trim().toLowerCase() === '#7c3aed');
    expect(await page.$(tid('nav-settings'))).toBeNull();
    await page.goto(`${api.url}/settings`);
    await page.waitForSelector(tid('portal-nav-tickets'));
    expect(await page.$(tid('settings-save'))).toBeNull();
    await screenshot(page, 'portal');
  });
});
