import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCrmWorker } from '../../worker/test/support/crm-worker';
import { startTestApi, testConfig, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * Quotes in real Chromium against the real API, with a CRM worker in this process (it renders the PDF):
 * a quote typed in the editor with live totals, its PDF preview, then accepted with a draft hour-bank
 * contract — the opportunity is won, the contract opens from the quote and shows on the client timeline.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let crmWorker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  crmWorker = await startCrmWorker();
  browser = await launchBrowser();
}, 90_000);
// Each test starts from a fresh browser profile: no session carried over.
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'fr-FR' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await crmWorker?.stop();
  await api?.close();
});

/** French amounts use narrow no-break spaces: compare with plain spaces. */
const plain = (text: string | null) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').trim();

const login = (session: Session) => loginThroughUi(page, api.url, session.email, session.password);

it('types a quote with live totals, previews its PDF and accepts it: the opportunity is won, a contract is drafted', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Moreau' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Pharmacie Girard', billingAddress: { line1: '2 rue Nationale', postalCode: '37000', city: 'Tours' } })).body;
  expect(client.status).toBe('prospect');
  const opportunity = (await call('POST', '/opportunities', { clientId: client.id, title: 'Parc et formation', amountCents: 100_000 })).body;
  expect(opportunity.stageKind).toBe('open');
  let quoteId = '';
  let contractId = '';

  await step(page, 'login', () => login(admin));

  await step(page, 'open the quote editor from the Opportunités tab', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=quotes`);
    await page.waitForSelector('text=/Aucun devis pour ce client/');
    await page.click(tid('client-tab-opportunities'));
    await page.waitForSelector(`${tid('opportunity-row')}:has-text("Parc et formation")`);
    await page.click(`${tid('opportunity-row')}:has-text("Parc et formation") ${tid('quote-create')}`);
    await page.waitForURL(`**/crm/quotes/new/${opportunity.id}`);
    await page.waitForSelector(tid('quote-line-description-0'));
    expect(await unlabelledInputs(page)).toEqual([]);
  });

  await step(page, 'type two lines and see the totals live', async () => {
    await page.fill(tid('quote-line-description-0'), 'Infogérance — forfait mensuel');
    await page.fill(tid('quote-line-quantity-0'), '10');
    await page.fill(tid('quote-line-price-0'), '85,00');
    expect(plain(await page.textContent(tid('quote-total')))).toBe('1 020,00 €');
    await page.click(tid('quote-add-line'));
    await page.waitForSelector(tid('quote-line-description-1'));
    await page.fill(tid('quote-line-description-1'), 'Formation bureautique');
    await page.fill(tid('quote-line-quantity-1'), '1,5');
    await page.fill(tid('quote-line-price-1'), '123,45');
    await page.click(tid('quote-line-vat-1'));
    await page.click('.q-menu .q-item:has-text("5,5 %")');
    // By hand: 10 × 85,00 = 850,00 and 1,5 × 123,45 = 185,175 → 185,18 HT; VAT per rate 170,00 + 10,18 (5,5 % of 185,18 = 10,1849).
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.replace(/[\u202f\u00a0]/g, ' ').trim() === '1 215,36 €',
      tid('quote-total'),
    );
    expect(plain(await page.textContent(tid('quote-total-excl')))).toBe('1 035,18 €');
    expect(plain(await page.textContent(tid('quote-total-tax')))).toBe('180,18 €');
    expect(plain(await page.textContent(tid('quote-total')))).toBe('1 215,36 €');
  });

  await step(page, 'save the draft: the server agrees to the cent', async () => {
    await page.click(tid('quote-save'));
    await page.waitForURL(/\/crm\/quotes\/[0-9a-f-]{36}$/);
    await page.waitForSelector(`${tid('quote-title')}:has-text("DEV-")`);
    quoteId = page.url().split('/').pop()!;
    const saved = await call('GET', `/quotes/${quoteId}`);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ status: 'draft', opportunityId: opportunity.id, totalExclTaxCents: 103_518, totalTaxCents: 18_018, totalCents: 121_536 });
    expect(saved.body.number).toMatch(/^DEV-\d{4}-\d{4}$/);
    expect(saved.body.lines).toHaveLength(2);
    expect(saved.body.lines[1]).toMatchObject({ quantity: 1.5, unitPriceCents: 12_345, vatRate: 5.5, totalExclTaxCents: 18_518 });
  });

  await step(page, 'preview the PDF', async () => {
    await page.click(tid('quote-pdf'));
    await page.waitForSelector(tid('quote-pdf-dialog'));
    const frame = await page.waitForSelector(tid('quote-pdf-frame'), { timeout: 90_000 });
    expect(await frame.getAttribute('src')).toMatch(/^blob:/);
    const res = await fetch(`${api.url}/api/v1/quotes/${quoteId}/pdf`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    await page.keyboard.press('Escape');
    await page.waitForSelector(tid('quote-pdf-dialog'), { state: 'detached' });
  });

  await step(page, 'accept it with an hour-bank contract draft: the opportunity is won', async () => {
    await page.click(tid('quote-accept'));
    await page.waitForSelector(tid('quote-accept-dialog'));
    expect(await page.$(tid('quote-accept-renewal'))).toBeNull();
    // The contract is opt-in: its fields appear with the checkbox.
    expect(await page.$(tid('quote-accept-name'))).toBeNull();
    await page.click(tid('quote-accept-contract'));
    await page.waitForSelector(tid('quote-accept-name'));
    expect(await unlabelledInputs(page)).toEqual([]);
    expect(await page.inputValue(tid('quote-accept-name'))).toMatch(/^Contrat DEV-\d{4}-\d{4}$/);
    expect(await page.$eval(tid('quote-accept-type-hour_bank'), (el) => el.closest('[role=radio]')?.getAttribute('aria-checked'))).toBe('true');
    expect(plain(await page.textContent(tid('quote-accept-terms')))).toContain('1 035,18 € HT');
    await page.fill(tid('quote-accept-name'), 'Banque d’heures Girard');
    await screenshot(page, 'crm-quote-accept');
    await page.click(tid('quote-accept-submit'));
    await page.waitForSelector(tid('quote-accept-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('quote-status')}:has-text("Accepté")`);
    await page.waitForSelector(`${tid('quote-opportunity-state')}:has-text("Gagnée")`);
    await page.waitForSelector(`${tid('quote-contract-banner')}:has-text("Banque d’heures Girard")`);
    expect(await page.$(tid('quote-accept'))).toBeNull();
    expect(await page.$(tid('quote-renewal-banner'))).toBeNull();
    const won = await call('GET', `/opportunities/${opportunity.id}`);
    expect(won.body.stageKind).toBe('won');
    const accepted = (await call('GET', `/quotes/${quoteId}`)).body;
    expect(accepted).toMatchObject({ status: 'accepted', renewsContractId: null });
    contractId = accepted.contractId;
    const contract = (await call('GET', `/contracts/${contractId}`)).body;
    expect(contract).toMatchObject({ clientId: client.id, type: 'hour_bank', status: 'draft', name: 'Banque d’heures Girard', quoteId, hourBank: { usualPackPriceCents: 103_518 } });
    await page.mouse.move(0, 0);
    await page.waitForSelector('.q-notification', { state: 'detached' });
    await screenshot(page, 'crm-quote');
  });

  await step(page, '"Ouvrir le contrat" opens the draft contract', async () => {
    await page.click(tid('quote-contract-open'));
    await page.waitForURL(`**/contracts/${contractId}`);
    await page.waitForSelector(`${tid('contract-title')}:has-text("Banque d’heures Girard")`);
    await page.waitForSelector(`${tid('contract-page')} ${tid('contract-status')}:has-text("Brouillon")`);
    await page.waitForSelector(`${tid('contract-type')}:has-text("Banque d’heures")`);
    expect(plain(await page.textContent(tid('contract-terms-summary')))).toContain('1 035,18 €');
  });

  await step(page, 'the client timeline shows the contract, its status and type, linked to it', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=timeline`);
    const row = page.locator(`${tid('timeline-row')}:has-text("Banque d’heures Girard")`);
    await row.waitFor();
    expect(plain(await row.textContent())).toContain('Contrat · Brouillon');
    expect(plain(await row.textContent())).toContain('Banque d’heures');
    expect(plain(await page.locator(`${tid('timeline-row')}:has-text("DEV-")`).textContent())).toContain('Devis · Accepté');
    await row.locator(tid('timeline-link')).click();
    await page.waitForURL(`**/contracts/${contractId}`);
  });

  await step(page, 'the quote is listed on the client record', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=quotes`);
    const row = page.locator(`${tid('quote-row')}:has-text("DEV-")`);
    await row.waitFor();
    expect(plain(await row.textContent())).toContain('1 215,36 €');
    expect(plain(await row.textContent())).toContain('Accepté');
  });
}, 240_000);
