import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { withTenant } from '@vigie/db';
import { consumeTime } from '@vigie/workflows/client';
import { startTestWorker } from '../../worker/test/support/worker';
import { startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs, waitForDialogClosed } from './support/browser';

/**
 * Contracts and hour banks in real Chromium against the real API, with the contracts and CRM workers in
 * this process (the contract workflow applies every movement; the CRM queue delivers e-mails): an hour bank
 * created in the UI with a 20 % threshold, activated, a 10 h pack sold, an adjustment refused past the
 * overdraft limit then −2 h accepted, the ledger and the burn-down; then the client's contact, invited to
 * the portal, sees 8 h left on "Mes heures". Then a time entry crosses a threshold: the bell tells, and
 * the renewal proposal it made, accepted on the quote page, adds its pack to the same contract.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  worker = await startTestWorker(['contracts', 'crm']);
  browser = await launchBrowser();
}, 90_000);
// Each test starts from a fresh browser profile: no session carried over.
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'fr-FR' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
});

/** French numbers and dates use no-break spaces; the minus sign is U+2212: compare with plain text. */
const plain = (text: string | null) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim();

const login = (session: Session) => loginThroughUi(page, api.url, session.email, session.password);

/** Waits until the element's text, made plain, is the expected one (it changes after an API call). */
async function waitForText(selector: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, expected }) => {
      const text = document.querySelector(selector)?.textContent ?? '';
      return text.replace(/[\u202f\u00a0]/g, ' ').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim() === expected;
    },
    { selector, expected },
  );
}

it('creates an hour bank, sells a pack, adjusts it, and the client sees the hours left in the portal', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Lefebvre' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Garage Rousseau' })).body;
  const contactEmail = uniqueEmail('julie.rousseau');
  const contact = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Julie Rousseau', email: contactEmail })).body;
  const contractName = 'Banque d’heures 2026';
  let contractId = '';

  await step(page, 'login', () => login(admin));

  await step(page, 'the contracts page starts empty and offers to create one', async () => {
    await page.click(tid('nav-contracts'));
    await page.waitForSelector(tid('contracts-page'));
    await page.waitForSelector('text=/Aucun contrat pour l’instant/');
    expect(await page.$(tid('placeholder-contracts'))).toBeNull();
  });

  await step(page, 'create an hour bank with a 20 % threshold and a usual 10 h pack', async () => {
    await page.click(tid('contract-create'));
    await page.waitForSelector(tid('contract-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('contract-client'), 'Rousseau');
    await page.click('.q-menu .q-item:has-text("Garage Rousseau")');
    await page.fill(tid('contract-name'), contractName);
    // Hour bank is the default type; its terms are shown.
    await page.waitForSelector(tid('contract-rounding'));
    await page.click(tid('threshold-add'));
    await page.fill(tid('threshold-value-0'), '20');
    await page.fill(tid('contract-pack-hours'), '10');
    await page.fill(tid('contract-pack-price'), '850,00');
    await page.fill(tid('contract-hourly-rate'), '95');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'contract-create');
    await page.click(tid('contract-submit'));
    await page.waitForURL(/\/contracts\/[0-9a-f-]{36}$/);
    await page.waitForSelector(`${tid('contract-title')}:has-text("${contractName}")`);
    await page.waitForSelector(`${tid('contract-status')}:has-text("Brouillon")`);
    contractId = page.url().split('/').pop()!;
    const saved = (await call('GET', `/contracts/${contractId}`)).body;
    expect(saved).toMatchObject({
      clientId: client.id,
      type: 'hour_bank',
      status: 'draft',
      hourlyRateCents: 9_500,
      hourBank: { thresholds: [{ kind: 'percent', value: 20 }], usualPackMinutes: 600, usualPackPriceCents: 85_000, overdraftLimitMinutes: null },
    });
  });

  await step(page, 'activate it: only the moves CONTRACT_TRANSITIONS allows are offered', async () => {
    expect(await page.$(tid('contract-suspend'))).toBeNull();
    await page.click(tid('contract-activate'));
    await page.click('.q-dialog button:has-text("Activer")');
    await page.waitForSelector(`${tid('contract-status')}:has-text("Actif")`);
    await page.waitForSelector(tid('contract-suspend'));
    expect(await page.$(tid('contract-activate'))).toBeNull();
    expect((await call('GET', `/contracts/${contractId}`)).body.status).toBe('active');
  });

  await step(page, 'sell the usual pack: 10 h left', async () => {
    await page.click(tid('contract-sell'));
    await page.waitForSelector(tid('sell-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    expect(await page.inputValue(tid('sell-hours'))).toBe('10');
    expect(await page.inputValue(tid('sell-price'))).toBe('850,00');
    await page.click(tid('sell-submit'));
    await waitForDialogClosed(page, tid('sell-dialog'));
    await waitForText(tid('contract-remaining'), '10 h sur 10 h');
    await page.waitForSelector(`${tid('block-row')}:has-text("850,00")`);
    const blocks = (await call('GET', `/contracts/${contractId}/blocks`)).body.items;
    expect(blocks).toEqual([expect.objectContaining({ minutes: 600, remainingMinutes: 600, priceCents: 85_000, source: 'sale' })]);
  });

  await step(page, 'an adjustment past the overdraft limit is refused with its reason', async () => {
    await page.click(tid('contract-adjust'));
    await page.waitForSelector(tid('adjust-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('adjust-hours'), '-12');
    await page.fill(tid('adjust-reason'), 'Essai au-delà du solde');
    await page.click(tid('adjust-submit'));
    await page.waitForSelector(`${tid('adjust-dialog')} >> text=/passerait sous la limite de dépassement/`);
    expect((await call('GET', `/contracts/${contractId}`)).body.remainingMinutes).toBe(600);
  });

  await step(page, 'adjust −2 h with a reason: 8 h left', async () => {
    await page.fill(tid('adjust-hours'), '-2');
    await page.fill(tid('adjust-reason'), 'Intervention du 3 mars saisie hors outil');
    await waitForText(tid('adjust-preview'), '-2 h : le solde passera à 8 h');
    await page.click(tid('adjust-submit'));
    await waitForDialogClosed(page, tid('adjust-dialog'));
    await waitForText(tid('contract-remaining'), '8 h sur 10 h');
    const contract = (await call('GET', `/contracts/${contractId}`)).body;
    expect(contract).toMatchObject({ remainingMinutes: 480, capacityMinutes: 600, thresholdsCrossed: [] });
  });

  await step(page, 'the ledger lists the purchase and the adjustment, newest first', async () => {
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, tid('ledger-row'));
    const rows = await page.$$eval(tid('ledger-row'), (els) => els.map((el) => el.textContent ?? ''));
    expect(plain(rows[0]!)).toContain('Ajustement');
    expect(plain(rows[0]!)).toContain('-2 h');
    expect(plain(rows[0]!)).toContain('Intervention du 3 mars saisie hors outil');
    expect(plain(rows[0]!)).toContain('Alice Admin');
    expect(plain(rows[1]!)).toContain('Achat');
    expect(plain(rows[1]!)).toContain('+10 h');
    expect(await page.$eval(`${tid('ledger-row')} ${tid('ledger-minutes')}`, (el) => el.className)).toContain('text-negative');
    const ledger = (await call('GET', `/contracts/${contractId}/ledger`)).body.items;
    expect(ledger.map((e: { kind: string; minutes: number; balanceAfter: number }) => [e.kind, e.minutes, e.balanceAfter])).toEqual([
      ['adjustment', -120, 480],
      ['purchase', 600, 600],
    ]);
  });

  await step(page, 'the burn-down shows the balance line and the 20 % threshold', async () => {
    await page.waitForSelector(`${tid('burndown-chart')} ${tid('burndown-line')}`);
    expect(await page.$$(tid('burndown-threshold'))).toHaveLength(1);
    expect(await page.textContent(tid('burndown-threshold'))).toContain('20 %');
    const label = plain(await page.getAttribute(`${tid('burndown-chart')} svg`, 'aria-label'));
    expect(label).toContain('8 h à la fin');
    await page.mouse.move(0, 0);
    await page.waitForSelector('.q-notification', { state: 'detached' });
    await screenshot(page, 'contract-hour-bank');
  });

  await step(page, 'edit the terms: a second threshold at 2 h left', async () => {
    await page.click(tid('contract-edit'));
    await page.waitForSelector(tid('contract-edit-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    expect(await page.inputValue(tid('threshold-value-0'))).toBe('20');
    await page.click(tid('threshold-add'));
    await page.click(tid('threshold-kind-1'));
    await page.click('.q-menu .q-item:has-text("Heures restantes")');
    await page.fill(tid('threshold-value-1'), '2');
    await page.click(tid('contract-edit-submit'));
    await page.waitForSelector(tid('contract-edit-dialog'), { state: 'detached' });
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, tid('burndown-threshold'));
    const contract = (await call('GET', `/contracts/${contractId}`)).body;
    expect(contract.hourBank.thresholds).toEqual([
      { kind: 'percent', value: 20 },
      { kind: 'minutes', value: 120 },
    ]);
    expect(contract.remainingMinutes).toBe(480);
  });

  await step(page, 'the client record lists the contract with its hours left', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=contracts`);
    const row = page.locator(`${tid('contract-row')}:has-text("${contractName}")`);
    await row.waitFor();
    expect(plain(await row.textContent())).toContain('8 h sur 10 h');
    expect(plain(await row.textContent())).toContain('Actif');
    await row.click();
    await page.waitForURL(`**/contracts/${contractId}`);
  });

  const portalPassword = 'portal long password';
  await step(page, 'the contact is invited to the portal and sets a password', async () => {
    expect((await call('POST', `/contacts/${contact.id}/invite`)).status).toBe(200);
    const mails = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('email_outbox').where({ to_address: contactEmail }).orderBy('created_at', 'desc'));
    const token = /invitation\?token=([A-Za-z0-9_-]+)/.exec(mails[0]?.text ?? '')?.[1];
    expect(token).toBeDefined();
    await page.click(tid('user-menu'));
    await page.click(tid('logout'));
    await page.waitForSelector(tid('login-email'));
    await page.goto(`${api.url}/invitation?token=${token}`);
    await page.fill(tid('invitation-password'), portalPassword);
    await page.fill(tid('invitation-confirm'), portalPassword);
    await page.click(tid('invitation-submit'));
    await page.waitForSelector(tid('portal-nav-hours'));
  });

  await step(page, 'the client user sees 8 h left on "Mes heures", read only', async () => {
    await page.click(tid('portal-nav-hours'));
    await page.waitForSelector(tid('portal-hours-page'));
    await page.waitForSelector('h1:has-text("Mes heures")');
    const card = page.locator(`${tid('portal-contract')}:has-text("${contractName}")`);
    await card.waitFor();
    await waitForText(`${tid('portal-contract')} ${tid('contract-remaining')}`, '8 h sur 10 h');
    await page.waitForSelector(`${tid('portal-contract')} ${tid('contract-progress')}`);
    await page.waitForSelector(`${tid('portal-contract')} ${tid('burndown-line')}`);
    await page.waitForFunction((sel) => document.querySelectorAll(sel).length === 2, `${tid('portal-contract')} ${tid('ledger-row')}`);
    for (const staffOnly of ['contract-sell', 'contract-adjust', 'contract-activate', 'contract-suspend', 'contract-end', 'contract-edit']) {
      expect(await page.$(tid(staffOnly))).toBeNull();
    }
    // The API gives a client user their own client's contracts only, and refuses them the writes.
    const session = await api.login(contactEmail, portalPassword);
    const mine = await api.call('GET', '/api/v1/contracts', { token: session.accessToken });
    expect(mine.body.items.map((c: { id: string }) => c.id)).toEqual([contractId]);
    expect((await api.call('POST', `/api/v1/contracts/${contractId}/adjustments`, { token: session.accessToken, body: { minutes: 60, reason: 'pas le droit' } })).status).toBe(403);
    await screenshot(page, 'portal-hours');
  });
}, 240_000);

it('creates a time-and-material contract from the client record, the client already chosen', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Mercier' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Cabinet Mercier' })).body;

  await step(page, 'login', () => login(admin));

  await step(page, 'the Contrats tab is empty and creates a contract for this client', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=contracts`);
    await page.waitForSelector(tid('client-contracts'));
    await page.waitForSelector('text=/Aucun contrat pour ce client/');
    await page.click(`${tid('client-contracts')} ${tid('contract-create')}`);
    await page.waitForSelector(`${tid('contract-dialog')} >> text=Cabinet Mercier`);
    expect(await page.$(tid('contract-client'))).toBeNull();
    await page.fill(tid('contract-name'), 'Régie 2026');
    await page.click(tid('contract-type-time_material'));
    await page.waitForSelector(tid('contract-rounding'), { state: 'detached' });
    expect(await unlabelledInputs(page)).toEqual([]);
    // The rate of a time-and-material contract is required.
    await page.click(tid('contract-submit'));
    await page.waitForSelector(`${tid('contract-dialog')} >> text=Champ obligatoire`);
    await page.fill(tid('contract-hourly-rate'), '85,50');
    await page.click(tid('contract-submit'));
    await page.waitForURL(/\/contracts\/[0-9a-f-]{36}$/);
    await page.waitForSelector(`${tid('contract-title')}:has-text("Régie 2026")`);
    expect(plain(await page.textContent(tid('contract-terms-summary')))).toContain('85,50 € / h');
    expect(await page.$(tid('hour-bank-panel'))).toBeNull();
    const list = (await call('GET', `/contracts?clientId=${client.id}`)).body.items;
    expect(list).toEqual([expect.objectContaining({ type: 'time_material', status: 'draft', hourlyRateCents: 8_550, remainingMinutes: null })]);
  });

  await step(page, 'the contracts list filters by type', async () => {
    await page.click(tid('nav-contracts'));
    await page.waitForSelector(`${tid('contract-row')}:has-text("Régie 2026")`);
    await page.click(tid('contracts-filter-type'));
    await page.click('.q-menu .q-item:has-text("Banque d’heures")');
    await page.waitForSelector('text=/Aucun résultat pour ces critères/');
    expect(await page.$(tid('contract-row'))).toBeNull();
  });
}, 120_000);

it('a crossed threshold rings the bell and proposes a renewal; accepting it adds the pack to the contract', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Garnier' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Imprimerie Garnier' })).body;
  // The renewal is an opportunity: the pipeline's stages come from onboarding (no tenants worker here), or on first use.
  expect((await call('GET', '/pipeline/stages')).status).toBe(200);
  const created = await call('POST', '/contracts', {
    type: 'hour_bank',
    clientId: client.id,
    name: 'Support Garnier',
    hourBank: { thresholds: [{ kind: 'minutes', value: 60 }], usualPackMinutes: 600, usualPackPriceCents: 85_000 },
  });
  expect(created.status).toBe(201);
  const contractId: string = created.body.id;
  expect((await call('PATCH', `/contracts/${contractId}`, { status: 'active' })).status).toBe(200);
  expect((await call('POST', `/contracts/${contractId}/blocks`, { minutes: 120, priceCents: 17_000 })).status).toBe(201);
  // 1 h 30 of work leaves 30 min: below the 1 h threshold, so a notice and a renewal proposal.
  await consumeTime(api.deps.temporal, { tenantId: admin.user.tenantId, contractId }, { timeEntryId: randomUUID(), minutes: 90 });
  const [renewal] = (await call('GET', `/quotes?clientId=${client.id}`)).body.items;
  expect(renewal).toMatchObject({ status: 'draft', renewsContractId: contractId, totalExclTaxCents: 85_000, contractId: null });

  await step(page, 'login', () => login(admin));

  await step(page, 'the bell shows the threshold notice, which opens the contract', async () => {
    await page.waitForSelector(tid('notifications-count'));
    await page.click(tid('notifications-bell'));
    const item = page.locator(tid('notification-item')).first();
    await item.waitFor();
    expect(await item.locator('.q-icon').first().textContent()).toBe('hourglass_bottom');
    await item.click();
    await page.waitForURL(`**/contracts/${contractId}`);
    await waitForText(tid('contract-remaining'), '0 h 30 sur 2 h');
  });

  await step(page, 'the renewal quote says what it renews', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=quotes`);
    await page.click(`${tid('quote-row')}:has-text("${renewal.number}")`);
    await page.waitForURL(`**/crm/quotes/${renewal.id}`);
    await page.waitForSelector(`${tid('quote-renewal-banner')}:has-text("Proposition de renouvellement du contrat Support Garnier")`);
    expect(await page.$(tid('quote-contract-banner'))).toBeNull();
  });

  await step(page, 'accepting it adds the pack to that contract, drafting none', async () => {
    await page.click(tid('quote-accept'));
    await page.waitForSelector(tid('quote-accept-dialog'));
    const text = plain(await page.textContent(tid('quote-accept-renewal')));
    expect(text).toContain('Ce devis renouvelle le contrat Support Garnier');
    expect(await page.getAttribute(tid('quote-accept-renewed-link'), 'href')).toBe(`/contracts/${contractId}`);
    expect(await page.$(tid('quote-accept-contract'))).toBeNull();
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'quote-accept-renewal');
    await page.click(tid('quote-accept-submit'));
    await page.waitForSelector(tid('quote-accept-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('quote-status')}:has-text("Accepté")`);
    await page.waitForSelector(`${tid('quote-renewal-banner')}:has-text("Solde actuel : 10 h 30")`);
    const accepted = (await call('GET', `/quotes/${renewal.id}`)).body;
    expect(accepted).toMatchObject({ status: 'accepted', renewsContractId: contractId, contractId: null });
    expect((await call('GET', `/contracts?clientId=${client.id}`)).body.items).toHaveLength(1);
  });

  await step(page, 'the contract shows the new balance and the purchase', async () => {
    await page.click(tid('quote-contract-open'));
    await page.waitForURL(`**/contracts/${contractId}`);
    await waitForText(tid('contract-remaining'), '10 h 30 sur 12 h');
    await page.waitForSelector(`${tid('block-row')}:has-text("850,00")`);
    const first = page.locator(tid('ledger-row')).first();
    await first.waitFor();
    expect(plain(await first.textContent())).toContain('Achat');
    expect(plain(await first.textContent())).toContain('+10 h');
    const contract = (await call('GET', `/contracts/${contractId}`)).body;
    expect(contract).toMatchObject({ remainingMinutes: 630, thresholdsCrossed: [] });
  });
}, 180_000);
