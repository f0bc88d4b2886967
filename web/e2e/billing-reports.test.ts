import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Service } from '../../scripts/src/stack/process';
import { startStripeMock } from '../../scripts/src/stack/stripe-mock';
import { startTestWorker } from '../../worker/test/support/worker';
import { startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs, waitForDialogClosed } from './support/browser';

/**
 * The billing back office around the invoices, in real Chromium against the real API and workers: a draft
 * drafted from pre-billing is edited line by line (a line keeps its ticket time; a removed one sends its time
 * back to the queue), then issued; its online payment link comes from a real stripe-mock (and an API without
 * Stripe says so); the accounting exports page downloads the month's FEC; the profitability page shows the
 * client's revenue against the cost of its time; and an admin's invoice template is refused with the reason,
 * accepted when it renders, previewed as a PDF in a new tab and removed.
 */
let api: TestApi;
/** The same database behind an API without Stripe: the payment link is refused there. */
let noStripe: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let worker: { stop(): Promise<void> };
let stripe: Service;
let dir: string;
/** A real .odt template, converted by LibreOffice from the activities' test fixture. */
let odt: Buffer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-billing-reports-'));
  const fixture = path.resolve(__dirname, '../../activities/test/billing/fixtures/invoice/custom.fodt');
  const converting = promisify(execFile)('soffice', [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'odt', '--outdir', dir, fixture]);
  const stripeMock = await startStripeMock(path.join(dir, 'stripe-mock.log'));
  stripe = stripeMock.service;
  const web = path.resolve(__dirname, '..', 'dist');
  api = await startTestApi(testConfig({ WEB_DIST: web, STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_test', STRIPE_API_BASE: stripeMock.url }));
  noStripe = await startTestApi(testConfig({ WEB_DIST: web, STRIPE_SECRET_KEY: '', STRIPE_WEBHOOK_SECRET: '' }));
  worker = await startTestWorker(['billing', 'crm', 'tickets', 'contracts']);
  browser = await launchBrowser();
  await converting;
  odt = fs.readFileSync(path.join(dir, 'custom.odt'));
}, 90_000);
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'fr-FR', acceptDownloads: true });
  // Stripe's hosted checkout page is outside the test: a stand-in answers for it.
  await context.route('https://checkout.stripe.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>Stripe Checkout</title>' }));
  page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
  await noStripe?.close();
  await stripe?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** French numbers use no-break spaces: compare with plain text. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim();

async function waitForText(selector: string, expected: RegExp, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    ({ selector, source, flags }) => new RegExp(source, flags).test((document.querySelector(selector)?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').trim()),
    { selector, source: expected.source, flags: expected.flags },
    { timeout },
  );
}

async function waitForRows(test: string, count: number): Promise<void> {
  await page.waitForFunction(({ selector, count }) => document.querySelectorAll(selector).length === count, { selector: tid(test), count });
}

const fileInput = (test: string) => page.locator(`${tid(test)} input[type=file], input[type=file]${tid(test)}`).first();

it('edits a pre-billing draft keeping its time, makes a payment link, exports the FEC, shows profitability and manages the invoice template', async () => {
  const started = Date.now();
  const admin = await api.signup({ tenantName: 'Infogérance Morel' });
  const call = (method: string, url: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${url}`, { token, ...(body !== undefined ? { body } : {}) });
  const newUser = async (role: 'technician' | 'manager', name: string): Promise<Session & { id: string }> => {
    const email = uniqueEmail(role);
    const password = 'a long enough password';
    const res = await call('POST', '/users', { email, name, role, password });
    expect(res.status).toBe(201);
    const tokens = await api.login(email, password);
    return { ...tokens, email, password, token: tokens.accessToken, id: res.body.id };
  };
  const tech = await newUser('technician', 'Théo Martin');
  const manager = await newUser('manager', 'Manon Leroy');
  // 45 €/h internal cost, frozen on the time when it is approved.
  expect((await call('PATCH', `/users/${tech.id}`, { costRateCents: 4_500 })).status).toBe(200);

  const legal = { legalName: 'Infogérance Morel SAS', legalForm: 'SAS', siren: '443061841', address: { line1: '12 rue de la République', postalCode: '69002', city: 'Lyon', country: 'FR' } };
  expect((await call('PATCH', '/settings', { legal, timezone: 'Europe/Paris' })).status).toBe(200);
  const client = (await call('POST', '/clients', { name: 'Garage Rousseau', siren: '552100554', hourlyRateCents: 8_000, billingAddress: { line1: '4 avenue Jean Jaurès', postalCode: '69007', city: 'Lyon', country: 'FR' } })).body;
  expect((await call('POST', `/clients/${client.id}/contacts`, { name: 'Julie Rousseau', email: uniqueEmail('compta'), isPrimary: true })).status).toBe(201);
  const ticket = (await call('POST', '/tickets', { clientId: client.id, subject: 'Serveur de fichiers saturé', contractId: null })).body;
  const today = new Date().toISOString().slice(0, 10);
  for (const [minutes, description] of [
    [90, 'Diagnostic du serveur'],
    [30, 'Purge des sauvegardes'],
  ] as const) {
    const entry = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today, minutes, description }, tech.token);
    expect(entry.status).toBe(201);
    expect((await call('POST', `/time-entries/${entry.body.id}/approve`, {}, manager.token)).status).toBe(200);
  }
  expect((await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'Serveur nettoyé.' })).status).toBe(200);
  for (let i = 0; (await call('GET', `/billing/pre-billing?clientId=${client.id}`)).body.items.length < 2; i += 1) {
    if (i > 100) throw new Error('the closed ticket’s time never reached pre-billing');
    await new Promise((r) => setTimeout(r, 300));
  }
  const drafted = await call('POST', '/invoices/from-pre-billing', { clientIds: [client.id] });
  expect(drafted.status).toBe(201);
  const invoiceId: string = drafted.body.invoices[0].id;
  type Line = { id: string; description: string; quantity: number; preBillingItemCount: number };
  const linesOf = async (): Promise<Line[]> => (await call('GET', `/invoices/${invoiceId}`)).body.lines;
  const before = await linesOf();
  expect(before.map((l) => l.preBillingItemCount)).toEqual([1, 1]);
  /** Saves the draft once the button can act (no spinner), waiting for the server's answer, then for the page to show it saved. */
  const saveDraft = async (): Promise<void> => {
    await page.waitForSelector(`${tid('invoice-save')}:not([disabled]):not(:has(.q-spinner))`);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'PATCH' && r.url().endsWith(`/invoices/${invoiceId}`)),
      page.click(tid('invoice-save')),
    ]);
    expect(response.status()).toBe(200);
    await page.waitForSelector(`${tid('invoice-save')}[disabled]`);
  };
  const long = before.findIndex((l) => l.quantity === 1.5);
  const short = 1 - long;

  await step(page, 'the manager edits a line of the pre-billing draft: it keeps its ticket time', async () => {
    await loginThroughUi(page, api.url, manager.email, manager.password);
    await page.goto(`${api.url}/billing/invoices/${invoiceId}`);
    await page.waitForSelector(tid('invoice-time-lines'));
    // The lines of ticket time are inputs like any other.
    await page.waitForSelector(`textarea${tid(`invoice-line-description-${long}`)}, input${tid(`invoice-line-description-${long}`)}`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid(`invoice-line-description-${long}`), `Intervention ${ticket.number} : diagnostic du serveur de fichiers`);
    await saveDraft();
    const lines = await linesOf();
    expect(lines.map((l) => [l.id, l.preBillingItemCount])).toEqual(before.map((l) => [l.id, 1]));
    expect(lines[long]!.description).toBe(`Intervention ${ticket.number} : diagnostic du serveur de fichiers`);
    // The rounding alone changes too, and the time stays.
    await page.click(`${tid('invoice-rounding')} button:has-text("Par ligne")`);
    await saveDraft();
    expect((await call('GET', `/invoices/${invoiceId}`)).body.vatRounding).toBe('per_line');
    expect((await linesOf()).map((l) => l.preBillingItemCount)).toEqual([1, 1]);
  });

  await step(page, 'removing a line of ticket time warns that its time goes back to pre-billing; saved, it does', async () => {
    await page.click(tid(`invoice-line-remove-${short}`));
    await page.waitForSelector('.q-dialog:has-text("retournera dans la pré-facturation")');
    await screenshot(page, 'invoice-remove-time-line');
    await page.click('.q-dialog button:has-text("Supprimer la ligne")');
    await waitForDialogClosed(page, '.q-dialog');
    await waitForRows('invoice-line', 1);
    await waitForText(tid('invoice-time-released'), /1 saisie\(s\) de temps retourneront dans la pré-facturation/);
    await page.click(tid('invoice-save'));
    await page.waitForSelector(tid('invoice-time-released'), { state: 'detached' });
    const lines = await linesOf();
    expect(lines.map((l) => [l.id, l.preBillingItemCount])).toEqual([[before[long]!.id, 1]]);
    // Back in the queue: billing the pending time again makes a draft of just that half hour.
    const again = await call('POST', '/invoices/from-pre-billing', { clientIds: [client.id] });
    expect(again.status).toBe(201);
    expect(again.body.invoices).toHaveLength(1);
    const second = (await call('GET', `/invoices/${again.body.invoices[0].id}`)).body;
    expect(second.lines.map((l: Line) => [l.quantity, l.preBillingItemCount])).toEqual([[0.5, 1]]);
    expect((await call('DELETE', `/invoices/${again.body.invoices[0].id}`)).status).toBe(204);
    await screenshot(page, 'invoice-draft-time-lines');
  });

  let invoiceNumber = '';
  await step(page, 'issued, the invoice offers its online payment link: made by Stripe, copied, opened and shown', async () => {
    const validated = await call('POST', `/invoices/${invoiceId}/validate`, undefined, manager.token);
    expect(validated.status).toBe(200);
    invoiceNumber = validated.body.number;
    expect(validated.body.totalExclTaxCents).toBe(12_000);
    await page.reload();
    await page.waitForSelector(tid('invoice-payment-link'));
    const tab = context.waitForEvent('page');
    await page.click(tid('invoice-payment-link'));
    await page.waitForSelector('.q-notification:has-text("Lien de paiement copié")');
    const opened = await tab;
    const url: string = (await call('GET', `/invoices/${invoiceId}`)).body.paymentUrl;
    expect(url).toMatch(/^https:\/\//);
    await opened.waitForLoadState();
    expect(opened.url()).toBe(url);
    await opened.close();
    await waitForText(tid('invoice-payment-url'), new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    await screenshot(page, 'invoice-payment-link');
  });

  await step(page, 'without Stripe, the API refuses the link and the page says why', async () => {
    await loginThroughUi(page, noStripe.url, manager.email, manager.password);
    await page.goto(`${noStripe.url}/billing/invoices/${invoiceId}`);
    await page.click(tid('invoice-payment-link'));
    await waitForText(tid('invoice-payment-link-error'), /Le paiement en ligne n’est pas configuré sur ce serveur/);
  });

  await step(page, 'the exports page downloads the FEC of this month: 18 columns, the invoice in it', async () => {
    await page.goto(`${api.url}/`);
    await page.waitForSelector(tid('dashboard'));
    await page.click(tid('nav-billing'));
    await page.click(tid('nav-billing-exports'));
    await page.waitForSelector(tid('exports-page'));
    expect(await unlabelledInputs(page)).toEqual([]);
    // A range ending before it starts is pointed out on its date; nothing is downloaded.
    await page.fill(tid('exports-period-from'), '2026-03-31');
    await page.fill(tid('exports-period-to'), '2026-03-01');
    await page.waitForSelector(`.q-field--error:has(${tid('exports-period-to')})`);
    expect(plain(await page.textContent(`.q-field:has(${tid('exports-period-to')}) .q-field__messages`))).toBe('Doit être le même jour que « Du » ou après');
    await page.waitForSelector(`${tid('export-download-fec')}[disabled]`);
    await page.click(tid('exports-period-preset-thisMonth'));
    await page.waitForSelector(`${tid('exports-period-preset-thisMonth')}[aria-pressed="true"]`);
    const download = page.waitForEvent('download');
    await page.click(tid('export-download-fec'));
    const file = await download;
    const monthEnd = new Date(Date.UTC(Number(today.slice(0, 4)), Number(today.slice(5, 7)), 0)).toISOString().slice(0, 10).replace(/-/g, '');
    expect(file.suggestedFilename()).toBe(`443061841FEC${monthEnd}.txt`);
    const text = fs.readFileSync((await file.path())!, 'utf8');
    const [header, ...records] = text.split(/\r?\n/).filter((l) => l !== '');
    expect(header!.split('\t')).toHaveLength(18);
    expect(header!.split('\t')[0]).toBe('JournalCode');
    expect(records.some((r) => r.split('\t')[8] === invoiceNumber)).toBe(true);
    await page.waitForSelector(tid('export-done-fec'));
    await screenshot(page, 'accounting-exports');
  });

  await step(page, 'the profitability page shows the client: revenue against the cost of its time', async () => {
    await page.click(tid('nav-billing-profitability'));
    await page.waitForSelector(tid('profitability-page'));
    await page.waitForSelector(`${tid('profitability-row')}[data-id="${client.id}"]`);
    const row = `${tid('profitability-row')}[data-id="${client.id}"]`;
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-name')}`))).toBe('Garage Rousseau');
    // 1 h 30 billed at 80 €/h; 2 h worked at 45 €/h.
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-revenue')}`))).toBe('120,00 €');
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-cost')}`))).toBe('90,00 €');
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-margin')}`))).toBe('30,00 €');
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-rate')}`))).toBe('25 %');
    expect(plain(await page.textContent(`${row} ${tid('profitability-row-hours')}`))).toBe('2 h');
    await page.waitForSelector(`${tid('profitability-bar')}[data-id="${client.id}"]`);
    expect(plain(await page.textContent(tid('profitability-total-revenue')))).toBe('120,00 €');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'profitability');
    // By contract: the time and the invoice were outside any contract.
    await page.click(`${tid('profitability-group')} button:has-text("Par contrat")`);
    await page.waitForSelector(`${tid('profitability-row')}[data-id=""]`);
    expect(plain(await page.textContent(`${tid('profitability-row')}[data-id=""]`))).toContain('Hors contrat');
    expect(page.url()).toContain('groupBy=contract');
    // A month without anything: the empty state, in English too.
    await page.fill(tid('profitability-period-from'), '2020-01-01');
    await page.fill(tid('profitability-period-to'), '2020-01-31');
    await page.waitForSelector(tid('profitability-empty'));
    await page.waitForSelector(`${tid('profitability-period-custom')}`);
    await page.click('button[lang="en"]');
    await waitForText('h1', /^Profitability$/);
    await waitForText(`${tid('profitability-empty')} .text-h6`, /^Nothing in this period$/);
    await page.click('button[lang="fr"]');
    await waitForText('h1', /^Rentabilité$/);
  });

  await step(page, 'the admin’s invoice template: a file that is not one is refused with the reason', async () => {
    await page.click('[data-test="user-menu"]');
    await page.click(tid('logout'));
    await page.waitForSelector(tid('login-email'));
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.click(tid('nav-billingSettings'));
    await page.waitForSelector(tid('billing-template-card'));
    await waitForText(tid('billing-template-name'), /^Modèle intégré de Vigie$/);
    expect(await unlabelledInputs(page)).toEqual([]);
    // The picker keeps to .odt files…
    await fileInput('billing-template-file').setInputFiles({ name: 'modele.txt', mimeType: 'text/plain', buffer: Buffer.from('pas un modèle') });
    await waitForText(tid('billing-template-error'), /Choisissez un fichier \.odt/);
    // …and the API, which tries what it gets, says why this one is no template.
    await fileInput('billing-template-file').setInputFiles({ name: 'modele.odt', mimeType: 'application/vnd.oasis.opendocument.text', buffer: Buffer.from('pas un modèle') });
    await waitForText(tid('billing-template-error'), /Ce fichier n’est pas un document OpenDocument \(\.odt\)/);
    expect((await call('GET', '/billing/settings')).body.template).toBeNull();
  });

  await step(page, 'a real .odt is checked and kept; the preview opens a PDF in a new tab; back to the built-in one', async () => {
    await fileInput('billing-template-file').setInputFiles({ name: 'maison.odt', mimeType: 'application/vnd.oasis.opendocument.text', buffer: odt });
    await page.waitForSelector(`${tid('billing-template')}[data-own="true"]`, { timeout: 60_000 });
    await waitForText(tid('billing-template-name'), /^maison\.odt$/);
    expect(await page.$(tid('billing-template-error'))).toBeNull();
    expect((await call('GET', '/billing/settings')).body.template).toMatchObject({ name: 'maison.odt' });

    const response = page.waitForResponse((r) => r.url().endsWith('/api/v1/billing/settings/template/preview'), { timeout: 60_000 });
    const tab = context.waitForEvent('page');
    await page.click(tid('billing-template-preview'));
    await page.waitForSelector(tid('billing-template-preview-progress'));
    const pdf = await response;
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect(Number(pdf.headers()['content-length'])).toBeGreaterThan(5_000);
    const preview = await tab;
    await preview.waitForURL(/^blob:/, { timeout: 30_000 });
    // The tab shows that PDF (its blob: URL cannot be fetched back here: the CSP's connect-src is 'self').
    expect(await preview.evaluate(() => document.contentType)).toBe('application/pdf');
    await page.waitForSelector(tid('billing-template-preview-progress'), { state: 'detached' });
    await preview.close();
    await screenshot(page, 'billing-template');

    await page.click(tid('billing-template-remove'));
    await page.click('.q-dialog button:has-text("Revenir au modèle intégré")');
    await page.waitForSelector(`${tid('billing-template')}[data-own="false"]`);
    expect((await call('GET', '/billing/settings')).body.template).toBeNull();
  });

  console.log(`[billing reports e2e] flow took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 300_000);
