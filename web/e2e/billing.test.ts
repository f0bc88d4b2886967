import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestWorker } from '../../worker/test/support/worker';
import { startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs, waitForDialogClosed } from './support/browser';

/**
 * Invoicing in real Chromium against the real API, with the billing, tickets, contracts and CRM workers in
 * this process (closing a ticket writes its time to pre-billing; a validated invoice's workflow renders the
 * Factur-X PDF and e-mails it). The tenant's legal identity, a client with a billing address and an e-mail
 * contact, and approved time on a closed ticket are set up through the API. Then a manager, in the UI,
 * bills the pending time (one draft), merges its two lines, validates it (FA-<year>-NNNN, final), waits
 * until the workflow has sent it, records the full balance in the payment dialog (paid); types a second
 * invoice by hand (a 0 % line asks for its exemption), validates it and credits one line of it; finds the
 * payment on the payments page. An admin then changes the payment terms and the dunning ladder in the
 * billing settings, and runs billing for the current month, followed until it is done.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  worker = await startTestWorker(['billing', 'crm', 'tickets', 'contracts']);
  browser = await launchBrowser();
}, 90_000);
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'fr-FR' });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
  await api?.close();
});

/** French numbers use no-break spaces and amounts may carry a U+2212 minus: compare with plain text. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim();

async function waitForText(selector: string, expected: string | RegExp, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    ({ selector, source, flags }) => {
      const text = (document.querySelector(selector)?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\u2212/g, '-').replace(/\s+/g, ' ').trim();
      return new RegExp(source, flags).test(text);
    },
    { selector, source: typeof expected === 'string' ? `^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$` : expected.source, flags: typeof expected === 'string' ? '' : expected.flags },
    { timeout },
  );
}

/** A q-select puts its hook on its focus target: its shown value (and error) is in the field around it. */
async function waitForFieldText(test: string, text: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => (document.querySelector(selector)?.closest('.q-field')?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').includes(text),
    { selector: tid(test), text },
  );
}

async function pick(selectTest: string, option: string, exact = false): Promise<void> {
  await page.click(tid(selectTest));
  const items = page.locator('.q-menu .q-item');
  await (exact ? items.filter({ hasText: new RegExp(`^\\s*${option}\\s*$`) }) : items.filter({ hasText: option })).first().click();
  await page.waitForSelector('.q-menu', { state: 'detached' });
}

/** The clear button of a clearable select. */
async function clear(selectTest: string): Promise<void> {
  await page.click(`.q-field:has(${tid(selectTest)}) .q-field__focusable-action`);
}

async function waitForRows(test: string, count: number): Promise<void> {
  await page.waitForFunction(({ selector, count }) => document.querySelectorAll(selector).length === count, { selector: tid(test), count });
}

const statusIs = (status: string) => `${tid('invoice-status')}[data-status="${status}"]`;

it('bills pending time, merges, validates, follows the sending, records the payment and credits another invoice', async () => {
  const started = Date.now();
  const year = new Date().getFullYear();
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

  // The seller's legal identity (validation needs it), a client to bill and the time to bill it.
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
  // The ticket workflow writes the pre-billing on close.
  for (let i = 0; (await call('GET', `/billing/pre-billing?clientId=${client.id}`)).body.items.length < 2; i += 1) {
    if (i > 100) throw new Error('the closed ticket’s time never reached pre-billing');
    await new Promise((r) => setTimeout(r, 300));
  }

  let invoiceId = '';
  let invoiceNumber = '';

  await step(page, 'the manager opens Facturation → Factures: empty, it points to pre-billing and to a new invoice', async () => {
    await loginThroughUi(page, api.url, manager.email, manager.password);
    await page.click(tid('nav-billing'));
    // Facturation opens on the pre-billing queue, which offers to bill it.
    await page.waitForSelector(tid('pre-billing-page'));
    await page.waitForSelector(tid('pre-billing-bill'));
    await page.click(tid('nav-billing-invoices'));
    await page.waitForSelector(tid('invoices-page'));
    await page.waitForSelector(tid('invoices-empty'));
    await page.waitForSelector(tid('invoices-empty-pre-billing'));
    await page.waitForSelector(tid('invoices-empty-create'));
    expect(await unlabelledInputs(page)).toEqual([]);
  });

  await step(page, 'bill the pending time: one draft for the client, shown and listed', async () => {
    await page.click(tid('bill-pending'));
    await page.waitForSelector(tid('bill-pending-result'));
    await waitForRows('bill-pending-draft', 1);
    expect(plain(await page.textContent(tid('bill-pending-draft')))).toContain('Garage Rousseau');
    expect(plain(await page.textContent(tid('bill-pending-draft')))).toContain('192,00 €');
    await waitForRows('invoice-row', 1);
    expect(plain(await page.textContent(tid('invoice-row')))).toContain('Brouillon');
    await screenshot(page, 'invoices-drafted');
    await page.click(tid('bill-pending-draft'));
    await page.waitForURL(/\/billing\/invoices\/[0-9a-f-]{36}$/);
    invoiceId = page.url().split('/').pop()!;
    await waitForText(tid('invoice-title'), 'Brouillon de facture');
    await waitForRows('invoice-line', 2);
    await page.waitForSelector(tid('invoice-time-lines'));
    await waitForText(tid('invoice-total'), '192,00 €');
    expect(await unlabelledInputs(page)).toEqual([]);
  });

  await step(page, 'merge the two lines of ticket time into one', async () => {
    await page.click(tid('invoice-line-select-0'));
    await page.click(tid('invoice-line-select-1'));
    await page.click(tid('invoice-merge'));
    await page.waitForSelector(tid('merge-dialog'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('merge-description'), `Intervention ${ticket.number} — serveur de fichiers`);
    await page.click(tid('merge-submit'));
    await waitForDialogClosed(page, tid('merge-dialog'));
    await waitForRows('invoice-line', 1);
    // Lines of ticket time are typed in like any other: the merged one's description is its input's value.
    await page.waitForFunction(
      ({ selector, text }) => (document.querySelector(selector) as HTMLInputElement | null)?.value === text,
      { selector: tid('invoice-line-description-0'), text: `Intervention ${ticket.number} — serveur de fichiers` },
    );
    await waitForText(tid('invoice-total'), '192,00 €');
    const inv = (await call('GET', `/invoices/${invoiceId}`)).body;
    expect(inv.lines.map((l: { quantity: number; unitPriceCents: number; preBillingItemCount: number }) => [l.quantity, l.unitPriceCents, l.preBillingItemCount])).toEqual([[2, 8_000, 2]]);
  });

  await step(page, 'validate after confirming: the number FA-<year>-NNNN appears, the content is frozen', async () => {
    await page.click(tid('invoice-validate'));
    await page.waitForSelector('.q-dialog:has-text("la numérotation est définitive")');
    await page.click('.q-dialog button:has-text("Valider et numéroter")');
    await waitForText(tid('invoice-title'), new RegExp(`^Facture FA-${year}-\\d{4}$`));
    invoiceNumber = plain(await page.textContent(tid('invoice-title'))).replace('Facture ', '');
    await page.waitForSelector(`${statusIs('validated')}, ${statusIs('sent')}`);
    expect(await page.$(tid('invoice-validate'))).toBeNull();
    const inv = (await call('GET', `/invoices/${invoiceId}`)).body;
    expect(inv).toMatchObject({ number: invoiceNumber, totalCents: 19_200, balanceCents: 19_200 });
    expect(inv.mentions).toEqual(expect.arrayContaining([expect.stringContaining('40 €')]));
    expect(plain(await page.textContent(tid('invoice-mentions')))).toContain('40 €');
  });

  await step(page, 'the workflow renders and e-mails it: “Envoyée”, the PDF is ready, the history says so', async () => {
    await page.waitForSelector(statusIs('sent'), { timeout: 120_000 });
    await page.waitForSelector(`${tid('invoice-pdf')}:not([disabled]):has-text("Télécharger le PDF")`, { timeout: 60_000 });
    await waitForText(tid('invoice-workflow-phase'), 'En attente du paiement', 60_000);
    await page.waitForSelector(`${tid('invoice-event')}[data-kind="sent"] ${tid('invoice-event-email')}`);
    expect(plain(await page.textContent(`${tid('invoice-event')}[data-kind="sent"]`))).toMatch(/La facture envoyée par e-mail à compta-/);
    expect(plain(await page.textContent(`${tid('invoice-event')}[data-kind="validated"]`))).toContain(`Facture validée sous le numéro ${invoiceNumber}`);
    const download = page.waitForEvent('download');
    await page.click(tid('invoice-pdf'));
    expect((await download).suggestedFilename()).toBe(`${invoiceNumber}.pdf`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'invoice');
  });

  await step(page, 'record the payment for the full balance in the dialog: allocated to this invoice, which is “Payée”', async () => {
    await page.click(tid('invoice-record-payment'));
    await page.waitForSelector(tid('payment-dialog'));
    expect(await page.inputValue(tid('payment-amount'))).toBe('192,00');
    await waitForFieldText('payment-invoices', invoiceNumber);
    await page.fill(tid('payment-reference'), 'VIR MOREL 2291');
    await waitForText(tid('payment-preview'), new RegExp(`^Répartition prévue ?${invoiceNumber} : 192,00 €$`));
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'payment-dialog');
    await page.click(tid('payment-submit'));
    await page.waitForSelector(tid('payment-result'));
    expect(plain(await page.innerText(tid('payment-result-allocation')))).toBe(`${invoiceNumber} 192,00 €`);
    await page.waitForSelector(statusIs('paid'));
    await page.click(tid('payment-close'));
    await waitForDialogClosed(page, tid('payment-dialog'));
    await waitForText(tid('invoice-balance'), '0,00 €');
    await page.waitForSelector(`${tid('invoice-payment')}:has-text("VIR MOREL 2291")`);
    await page.waitForSelector(`${tid('invoice-event')}[data-kind="paid"]`);
    expect(await page.$(tid('invoice-record-payment'))).toBeNull();
    expect((await call('GET', `/invoices/${invoiceId}`)).body).toMatchObject({ status: 'paid', paidCents: 19_200, balanceCents: 0 });
    await waitForText(tid('invoice-workflow-phase'), 'Payée : suivi terminé', 60_000);
    await screenshot(page, 'invoice-paid');
  });

  let secondId = '';
  let secondNumber = '';
  await step(page, 'type a second invoice by hand: a 0 % line asks for its exemption, totals are live', async () => {
    await page.click(tid('nav-billing-invoices'));
    await page.waitForSelector(tid('invoices-page'));
    await page.waitForSelector(`${tid('invoice-row')} ${statusIs('paid')}`);
    await page.click(tid('invoice-create'));
    await page.waitForSelector(tid('invoice-dialog'));
    await page.fill(tid('invoice-client'), 'Rousseau');
    await page.click('.q-menu .q-item:has-text("Garage Rousseau")');
    await page.fill(tid('invoice-line-description-0'), 'Licence antivirus (12 mois)');
    await page.fill(tid('invoice-line-quantity-0'), '3');
    await page.fill(tid('invoice-line-price-0'), '45,00');
    // Enter in a line adds the next one.
    await page.press(tid('invoice-line-price-0'), 'Enter');
    await page.waitForSelector(tid('invoice-line-description-1'));
    await page.fill(tid('invoice-line-description-1'), 'Formation des équipes (client établi en Belgique)');
    await page.fill(tid('invoice-line-price-1'), '200');
    await pick('invoice-line-vat-1', '0 %', true);
    await page.waitForSelector(tid('invoice-line-exemption-1'));
    await waitForText(tid('invoice-total'), '362,00 €');
    await waitForText(tid('invoice-total-tax'), '27,00 €');
    await page.click(tid('invoice-submit'));
    await waitForFieldText('invoice-line-exemption-1', 'Champ obligatoire');
    await pick('invoice-line-exemption-1', 'Autoliquidation');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'invoice-dialog');
    await page.click(tid('invoice-submit'));
    await waitForDialogClosed(page, tid('invoice-dialog'));
    await page.waitForURL(/\/billing\/invoices\/[0-9a-f-]{36}$/);
    secondId = page.url().split('/').pop()!;
    await waitForText(tid('invoice-title'), 'Brouillon de facture');
    await waitForRows('invoice-line', 2);
    await waitForText(tid('invoice-vat-mentions'), /Autoliquidation/);
    // A draft typed by hand keeps its lines editable, each field named for screen readers.
    await page.waitForSelector(tid('invoice-line-price-1'));
    expect(await unlabelledInputs(page)).toEqual([]);
    const inv = (await call('GET', `/invoices/${secondId}`)).body;
    expect(inv).toMatchObject({ status: 'draft', source: 'manual', totalExclTaxCents: 33_500, totalTaxCents: 2_700, totalCents: 36_200 });
    expect(inv.lines[1]).toMatchObject({ vatRate: 0, vatExemption: 'reverse_charge' });
  });

  await step(page, 'validate it: the next number', async () => {
    await page.click(tid('invoice-validate'));
    await page.click('.q-dialog button:has-text("Valider et numéroter")');
    await waitForText(tid('invoice-title'), new RegExp(`^Facture FA-${year}-\\d{4}$`));
    secondNumber = plain(await page.textContent(tid('invoice-title'))).replace('Facture ', '');
    expect(Number(secondNumber.slice(-4))).toBe(Number(invoiceNumber.slice(-4)) + 1);
  });

  await step(page, 'credit one licence of it: the credit note is listed and the balance drops', async () => {
    await page.click(tid('invoice-create-credit-note'));
    await page.waitForSelector(tid('credit-note-dialog'));
    await page.click(tid('credit-note-mode-lines'));
    await page.fill(tid('credit-note-quantity-0'), '1');
    await waitForText(tid('credit-note-estimate'), 'Montant de l’avoir : environ 54,00 € TTC');
    await page.fill(tid('credit-note-reason'), 'Une licence facturée en trop');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'credit-note-dialog');
    await page.click(tid('credit-note-submit'));
    await waitForDialogClosed(page, tid('credit-note-dialog'));
    await page.waitForSelector(tid('invoice-credit-note'));
    expect(plain(await page.textContent(tid('invoice-credit-note')))).toMatch(new RegExp(`^AV-${year}-\\d{4}.*-54,00 €$`));
    await waitForText(tid('invoice-balance'), '308,00 €');
    await page.waitForSelector(`${tid('invoice-event')}[data-kind="credited"]:has-text("Une licence facturée en trop")`);
    const inv = (await call('GET', `/invoices/${secondId}`)).body;
    expect(inv).toMatchObject({ creditedCents: 5_400, balanceCents: 30_800 });
    expect(inv.creditNotes).toHaveLength(1);
    const note = (await call('GET', `/invoices/${inv.creditNotes[0].id}`)).body;
    expect(note).toMatchObject({ kind: 'credit_note', creditsInvoiceId: secondId, totalCents: -5_400, notes: 'Une licence facturée en trop' });
    // The credit note has its own page, linked back to the invoice.
    await page.click(`${tid('invoice-credit-note')} a`);
    await waitForText(tid('invoice-title'), new RegExp(`^Avoir AV-${year}-\\d{4}$`));
    await page.waitForSelector(tid('invoice-credits'));
  });

  await step(page, 'the payments page lists the payment and the invoice it settled', async () => {
    await page.click(tid('nav-billing-payments'));
    await page.waitForSelector(tid('payments-page'));
    await waitForRows('payment-row', 1);
    const row = plain(await page.textContent(tid('payment-row')));
    expect(row).toContain('Garage Rousseau');
    expect(row).toContain('Virement');
    expect(row).toContain('VIR MOREL 2291');
    expect(row).toContain('192,00 €');
    expect(plain(await page.textContent(tid('payment-row-invoice')))).toBe(`${invoiceNumber} (192,00 €)`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'payments');
  });

  await step(page, 'the invoices list filters by status and shows the states', async () => {
    await page.click(tid('nav-billing-invoices'));
    await page.waitForSelector(tid('invoices-page'));
    await waitForRows('invoice-row', 3);
    await pick('invoices-filter-status', 'Payée');
    await waitForRows('invoice-row', 1);
    expect(plain(await page.textContent(tid('invoice-row-number')))).toBe(invoiceNumber);
    await pick('invoices-filter-kind', 'Avoir');
    await page.waitForSelector(tid('invoices-empty'));
    await clear('invoices-filter-status');
    await waitForRows('invoice-row', 1);
    expect(plain(await page.textContent(tid('invoice-row-number')))).toMatch(new RegExp(`^AV-${year}-\\d{4}$`));
    expect(plain(await page.textContent(tid('invoice-row')))).toContain('-54,00 €');
    await clear('invoices-filter-kind');
    await waitForRows('invoice-row', 3);
    await screenshot(page, 'invoices');
    // The same list in English.
    await page.click('button[lang="en"]');
    await waitForText('h1', 'Invoices');
    await page.waitForSelector(`${tid('invoice-status')}:has-text("Paid")`);
    await page.click('button[lang="fr"]');
    await waitForText('h1', 'Factures');
    await page.click(`[data-test="user-menu"]`);
    await page.click(tid('logout'));
    await page.waitForSelector(tid('login-email'));
  });

  await step(page, 'the admin changes the payment terms and the dunning ladder: offsets must increase', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.click(tid('nav-billingSettings'));
    await page.waitForSelector(tid('billing-settings-page'));
    await waitForRows('dunning-step', 3);
    expect(await page.inputValue(tid('billing-terms-days'))).toBe('30');
    await page.fill(tid('billing-terms-days'), '45');
    await page.fill(tid('dunning-offset-1'), '5');
    await page.click(tid('billing-settings-save'));
    await waitForText(tid('dunning-error'), 'Les décalages des relances doivent croître d’une étape à l’autre');
    await page.fill(tid('dunning-offset-1'), '20');
    await page.fill(tid('billing-iban'), 'FR76 3000 6000 0112 3456 7890 189');
    await page.fill(tid('billing-bic'), 'AGRIFRPP');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('billing-settings-save'));
    await page.waitForSelector('.q-notification:has-text("Modifications enregistrées")');
    const settings = (await call('GET', '/billing/settings')).body;
    expect(settings).toMatchObject({
      paymentTerms: { kind: 'net', days: 45 },
      dunningSteps: [{ offsetDays: 7, kind: 'reminder' }, { offsetDays: 20, kind: 'second_reminder' }, { offsetDays: 30, kind: 'formal_notice' }],
      iban: 'FR7630006000011234567890189',
      bic: 'AGRIFRPP',
    });
    await screenshot(page, 'billing-settings');
  });

  await step(page, 'run billing for the current month: followed until it is done', async () => {
    await page.click(tid('nav-billing'));
    await page.click(tid('nav-billing-runs'));
    await page.waitForSelector(tid('billing-runs-page'));
    await page.waitForSelector(`${tid('billing-runs-empty')}, ${tid('billing-run-row')}`);
    await waitForFieldText('run-period', '(en cours)');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('run-start'));
    await page.waitForSelector(`${tid('run-progress')}[data-status="done"]`, { timeout: 90_000 });
    expect(plain(await page.textContent(tid('run-progress')))).toMatch(/^Facturation de \S+ \d{4} terminée : 0 facture\(s\) pour 0,00 €\.$/);
    await page.waitForSelector(`${tid('billing-run-row')} ${tid('billing-run-status')}[data-status="done"]`);
    await screenshot(page, 'billing-runs');
  });

  console.log(`[billing e2e] flow took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}, 400_000);
