import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startCrmWorker } from '../../worker/test/support/crm-worker';
import { startTestApi, testConfig, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * Quotes in real Chromium against the real API, with a CRM worker in this process (it renders the PDF):
 * a quote typed in the editor with live totals, its PDF preview, then accepted — the opportunity is won.
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

it('types a quote with live totals, previews its PDF and accepts it: the opportunity is won', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Moreau' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Pharmacie Girard', billingAddress: { line1: '2 rue Nationale', postalCode: '37000', city: 'Tours' } })).body;
  expect(client.status).toBe('prospect');
  const opportunity = (await call('POST', '/opportunities', { clientId: client.id, title: 'Parc et formation', amountCents: 100_000 })).body;
  expect(opportunity.stageKind).toBe('open');
  let quoteId = '';

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

  await step(page, 'accept it: the opportunity is won', async () => {
    await page.click(tid('quote-accept'));
    await page.click('.q-dialog button:has-text("Accepter")');
    await page.waitForSelector(`${tid('quote-status')}:has-text("Accepté")`);
    await page.waitForSelector(`${tid('quote-opportunity-state')}:has-text("Gagnée")`);
    expect(await page.$(tid('quote-accept'))).toBeNull();
    const won = await call('GET', `/opportunities/${opportunity.id}`);
    expect(won.body.stageKind).toBe('won');
    expect((await call('GET', `/quotes/${quoteId}`)).body.status).toBe('accepted');
    await page.mouse.move(0, 0);
    await page.waitForSelector('.q-notification', { state: 'detached' });
    await screenshot(page, 'crm-quote');
  });

  await step(page, 'the quote is listed on the client record', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=quotes`);
    const row = page.locator(`${tid('quote-row')}:has-text("DEV-")`);
    await row.waitFor();
    expect(plain(await row.textContent())).toContain('1 215,36 €');
    expect(plain(await row.textContent())).toContain('Accepté');
  });
}, 240_000);
