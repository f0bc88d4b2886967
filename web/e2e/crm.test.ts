import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApi, testConfig, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * The CRM in real Chromium against the real API: a prospect created in the UI, an opportunity from its
 * record, dragged to "won" on the pipeline board, another dragged to "lost" with its reason, and the forecast.
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
  context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'fr-FR' });
  page = await context.newPage();
});
afterEach(() => context.close());
afterAll(async () => {
  await browser?.close();
  await api?.close();
});


const login = (session: Session) => loginThroughUi(page, api.url, session.email, session.password);

/** YYYY-MM-DD of the 15th, `months` months from now: inside the forecast's 12 months. */
function dayInMonths(months: number): string {
  const d = new Date();
  const target = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, 15));
  return target.toISOString().slice(0, 10);
}

async function findOpportunity(token: string, title: string) {
  const res = await api.call('GET', `/api/v1/opportunities?q=${encodeURIComponent(title)}`, { token });
  expect(res.status).toBe(200);
  const found = res.body.items.find((o: { title: string }) => o.title === title);
  expect(found).toBeDefined();
  return found as { id: string; stageKind: string; amountCents: number; lostReason: string | null; clientId: string };
}

it('creates a prospect, sells to it on the pipeline board and shows the forecast', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Dupont' });
  const clientName = 'Boulangerie Martin SARL';
  const wonTitle = 'Infogérance 25 postes';
  const lostTitle = 'Migration messagerie';
  let clientId = '';

  await step(page, 'login', () => login(admin));

  await step(page, 'create a prospect client with live SIREN check', async () => {
    await page.click(tid('nav-crm'));
    await page.waitForSelector(tid('crm-clients-page'));
    await page.waitForSelector('text=/Aucun client pour l’instant/');
    await page.click(tid('client-create'));
    await page.waitForSelector(tid('client-name'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('client-name'), clientName);
    // A wrong check digit is flagged as soon as the nine digits are there, before any submit.
    await page.fill(tid('client-siren'), '732 829 321');
    await page.waitForSelector('text=9 chiffres avec une clé de contrôle valide');
    await page.fill(tid('client-siren'), '732 829 320');
    await page.waitForSelector('text=9 chiffres avec une clé de contrôle valide', { state: 'detached' });
    await page.click(tid('client-submit'));
    await page.waitForSelector(tid('crm-client-page'));
    await page.waitForSelector(`${tid('client-title')}:has-text("${clientName}")`);

    const list = await api.call('GET', `/api/v1/clients?q=${encodeURIComponent('Boulangerie')}`, { token: admin.token });
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).toMatchObject({ name: clientName, status: 'prospect', siren: '732829320' });
    clientId = list.body.items[0].id;
  });

  await step(page, 'open it from the list', async () => {
    await page.click('text=Tous les clients');
    await page.waitForSelector(tid('crm-clients-page'));
    await page.click(`${tid('client-row')}:has-text("${clientName}")`);
    await page.waitForURL(`**/crm/clients/${clientId}`);
    await page.waitForSelector(`${tid('client-title')}:has-text("${clientName}")`);
  });

  await step(page, 'create an opportunity from the Opportunités tab', async () => {
    await page.click(tid('client-tab-opportunities'));
    await page.waitForSelector('text=/Aucune opportunité pour ce client/');
    await page.click(tid('opportunity-create'));
    await page.waitForSelector(tid('opportunity-title'));
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.fill(tid('opportunity-title'), wonTitle);
    await page.fill(tid('opportunity-amount'), '12 500,50');
    await page.fill(tid('opportunity-close-date'), dayInMonths(1));
    await page.click(tid('opportunity-submit'));
    await page.waitForSelector('.q-dialog', { state: 'detached' });
    await page.waitForSelector(`${tid('opportunity-row')}:has-text("${wonTitle}")`);

    const created = await findOpportunity(admin.token, wonTitle);
    // "12 500,50" typed in French is exactly 1 250 050 cents: no float on the way.
    expect(created).toMatchObject({ amountCents: 1_250_050, stageKind: 'open', clientId });
  });

  // More open opportunities (through the API) so the forecast has several months and one goes to "lost".
  for (const [title, amountCents, months] of [
    [lostTitle, 480_000, 2],
    ['Renouvellement du parc', 2_300_000, 3],
    ['Audit de sécurité', 650_000, 5],
  ] as const) {
    const res = await api.call('POST', '/api/v1/opportunities', {
      token: admin.token,
      body: { clientId, title, amountCents, expectedCloseDate: dayInMonths(months) },
    });
    expect(res.status).toBe(201);
  }

  await step(page, 'drag the card to the won column', async () => {
    await page.click(tid('nav-crm-pipeline'));
    await page.waitForSelector(tid('pipeline-page'));
    const card = `${tid('opportunity-card')}:has-text("${wonTitle}")`;
    await page.waitForSelector(`${tid('pipeline-column-0')} ${card}`);
    // In steps: Chromium starts a native drag only once the mouse has moved a little with the button down.
    // The whole board fits at this width: a sideways scroll in the middle of a native drag cancels it in Chromium.
    await page.locator(card).dragTo(page.locator(tid('pipeline-column-won')), { steps: 10 });
    await page.waitForSelector(`${tid('pipeline-column-won')} ${card}`);
    await page.waitForSelector('text=/est gagnée/');

    const won = await findOpportunity(admin.token, wonTitle);
    expect(won.stageKind).toBe('won');
    const fetched = await api.call('GET', `/api/v1/opportunities/${won.id}`, { token: admin.token });
    expect(fetched.status).toBe(200);
    expect(fetched.body.stageKind).toBe('won');
  });

  await step(page, 'dropping on lost asks for the reason', async () => {
    const card = `${tid('opportunity-card')}:has-text("${lostTitle}")`;
    await page.locator(card).dragTo(page.locator(tid('pipeline-column-lost')), { steps: 10 });
    await page.waitForSelector(tid('lost-reason'));
    // Nothing moves before the reason is given.
    expect(await page.$(`${tid('pipeline-column-lost')} ${card}`)).toBeNull();
    await page.click(tid('lost-submit'));
    await page.waitForSelector('text=Champ obligatoire');
    await page.fill(tid('lost-reason'), 'Concurrent retenu');
    await page.click(tid('lost-submit'));
    await page.waitForSelector(tid('lost-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('pipeline-column-lost')} ${card}`);

    const lost = await findOpportunity(admin.token, lostTitle);
    expect(lost).toMatchObject({ stageKind: 'lost', lostReason: 'Concurrent retenu' });
    await page.mouse.move(0, 0); // no hover effect in the picture
    await page.waitForSelector('.q-notification', { state: 'detached' });
    await screenshot(page, 'crm-pipeline');
  });

  await step(page, 'forecast of the next 12 months', async () => {
    await page.click(tid('forecast-toggle'));
    await page.waitForSelector(tid('forecast-chart'));
    // Two bars a month (amount, weighted) for 12 months, and the table with the same months.
    expect(await page.locator(`${tid('forecast-chart')} rect`).count()).toBe(24);
    expect(await page.locator(`${tid('forecast-table')} tbody tr`).count()).toBe(12);
    const forecast = await api.call('GET', '/api/v1/opportunities/forecast?months=12', { token: admin.token });
    expect(forecast.status).toBe(200);
    // The won and lost ones are out: the two open ones, in months 3 and 5.
    expect(forecast.body.months.reduce((n: number, m: { count: number }) => n + m.count, 0)).toBe(2);
    await screenshot(page, 'crm-forecast');
  });
});

it('imports clients from CSV after a dry run, and keeps contacts, timeline and documents on the record', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Lefèvre' });
  const fileInput = (test: string) => page.locator(`input[type=file]${tid(test)}, ${tid(test)} input[type=file]`);
  const csv = (rows: string[]) => ({
    name: 'clients.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from(['name;siren;billingCity;contactName;contactEmail', ...rows].join('\n'), 'utf8'),
  });

  await step(page, 'login', () => login(admin));

  await step(page, 'a file with an error is reported and not importable', async () => {
    await page.click(tid('nav-crm'));
    await page.waitForSelector(tid('crm-clients-page'));
    await page.click(tid('client-import'));
    await fileInput('client-import-file').setInputFiles(csv(['Garage Petit;732829320;Nantes;Paul Petit;paul.petit@example.com', 'Cabinet Roux;123456789;Rennes;;']));
    await page.waitForSelector(tid('client-import-errors'));
    const rows = await page.locator(`${tid('client-import-errors')} tbody tr`).allInnerTexts();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(/^3\s+SIREN\s+9 chiffres avec une clé de contrôle valide$/);
    expect(await page.locator(tid('client-import-submit')).isDisabled()).toBe(true);
    await screenshot(page, 'crm-import');
  });

  await step(page, 'a clean file is imported', async () => {
    await fileInput('client-import-file').setInputFiles(csv(['Garage Petit;732829320;Nantes;Paul Petit;paul.petit@example.com', 'Cabinet Roux;;Rennes;;']));
    await page.waitForSelector('text=/Tout est prêt/');
    await page.click(tid('client-import-submit'));
    await page.waitForSelector(`${tid('client-import-result')}:has-text("2 client(s) et 1 contact(s) importé(s)")`);
    await page.keyboard.press('Escape');
    await page.waitForSelector(`${tid('client-row')}:has-text("Cabinet Roux")`);
    expect(await page.locator(tid('client-row')).count()).toBe(2);
  });

  await step(page, 'contacts: the imported one is primary, a new one is added', async () => {
    await page.click(`${tid('client-row')}:has-text("Garage Petit")`);
    await page.waitForSelector(`${tid('client-title')}:has-text("Garage Petit")`);
    await page.click(tid('client-tab-contacts'));
    await page.waitForSelector(`${tid('contact-row')}:has-text("Paul Petit")`);
    await page.click(tid('contact-create'));
    await page.fill(tid('contact-name'), 'Julie Petit');
    await page.fill(tid('contact-phone'), 'pas un numéro');
    await page.click(tid('contact-submit'));
    await page.waitForSelector('text=Un numéro comme +33 1 23 45 67 89');
    await page.fill(tid('contact-phone'), '+33 2 40 00 00 00');
    await page.click(tid('contact-submit'));
    await page.waitForSelector(`${tid('contact-row')}:has-text("Julie Petit")`);
    expect(await page.locator(tid('contact-row')).count()).toBe(2);
  });

  await step(page, 'timeline: log a call', async () => {
    await page.click(tid('client-tab-timeline'));
    await page.waitForSelector(tid('interaction-form'));
    await page.fill(tid('interaction-subject'), 'Point sur le renouvellement');
    await page.click(tid('interaction-submit'));
    await page.waitForSelector(`${tid('timeline-row')}:has-text("Point sur le renouvellement")`);
    expect(await page.locator(tid('timeline-row')).count()).toBe(2); // the call and the record's creation
  });

  await step(page, 'documents: upload, download, delete', async () => {
    await page.click(tid('client-tab-documents'));
    await page.waitForSelector(tid('document-upload'));
    await fileInput('document-file').setInputFiles({ name: 'contrat-2026.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n% test\n') });
    await page.click(tid('document-submit'));
    await page.waitForSelector(`${tid('document-row')}:has-text("contrat-2026.pdf")`);
    expect(await page.locator(`${tid('document-row')}:has-text("Contrat")`).count()).toBe(1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(tid('document-download'))]);
    expect(download.suggestedFilename()).toBe('contrat-2026.pdf');
    await screenshot(page, 'crm-client');
    await page.click(tid('document-delete'));
    await page.click('.q-dialog button:has-text("Supprimer")');
    await page.waitForSelector(tid('document-row'), { state: 'detached' });
  });
});

it('invites a contact and a colleague, keeps reminders, and explains a bad invitation link', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Blanc' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const client = (await call('POST', '/clients', { name: 'Cabinet Fabre' })).body;
  const contact = await call('POST', `/clients/${client.id}/contacts`, { name: 'Hélène Fabre', email: 'helene.fabre@example.com' });
  expect(contact.status).toBe(201);
  expect((await call('POST', `/clients/${client.id}/contacts`, { name: 'Marc Fabre' })).status).toBe(201);

  await step(page, 'login', () => login(admin));

  await step(page, 'invite a contact to the portal; without an e-mail it cannot be', async () => {
    await page.goto(`${api.url}/crm/clients/${client.id}?tab=contacts`);
    await page.waitForSelector(`${tid('contact-row')}:has-text("Marc Fabre")`);
    expect(await page.locator(`${tid('contact-row')}:has-text("Marc Fabre") ${tid('contact-invite')}`).isDisabled()).toBe(true);
    await page.click(`${tid('contact-row')}:has-text("Hélène Fabre") ${tid('contact-invite')}`);
    await page.waitForSelector('.q-notification:has-text("est invité au portail")');
    const users = await call('GET', '/users?role=client');
    expect(users.body.items).toEqual([expect.objectContaining({ email: 'helene.fabre@example.com', role: 'client', clientId: client.id })]);
  });

  await step(page, 'a reminder from the client record, done from "Mes rappels"', async () => {
    await page.click(tid('client-reminder-create'));
    await page.fill(tid('reminder-title'), 'Rappeler pour le contrat');
    await page.click(tid('reminder-submit'));
    await page.waitForSelector(tid('reminder-dialog'), { state: 'detached' });
    const mine = await call('GET', '/reminders');
    expect(mine.body.items).toEqual([expect.objectContaining({ title: 'Rappeler pour le contrat', clientId: client.id, status: 'pending' })]);
    await page.click(tid('nav-crm-reminders'));
    await page.waitForSelector(`${tid('reminder-row')}:has-text("Rappeler pour le contrat")`);
    await page.click(tid('reminder-snooze'));
    await page.click(tid('reminder-snooze-hour'));
    await page.waitForSelector('.q-notification:has-text("est reporté")');
    const snoozed = (await call('GET', '/reminders')).body.items[0];
    expect(new Date(snoozed.dueAt).getTime() - Date.now()).toBeGreaterThan(50 * 60_000);
    await page.click(tid('reminder-done'));
    await page.waitForSelector('.q-notification:has-text("est terminé")');
    expect((await call('GET', '/reminders')).body.items[0].status).toBe('done');
    await page.waitForSelector(tid('notifications-bell'));
  });

  await step(page, 'invite a colleague from Users: the e-mail is queued', async () => {
    await page.click(tid('nav-users'));
    await page.click(tid('users-invite'));
    await page.fill(tid('invite-name'), 'Paul Blanc');
    await page.fill(tid('invite-email'), 'paul.blanc@example.com');
    await page.click(tid('invite-submit'));
    await page.waitForSelector(`${tid('invite-result')}:has-text("paul.blanc@example.com")`);
    const users = await call('GET', '/users?q=paul.blanc');
    expect(users.body.items).toEqual([expect.objectContaining({ email: 'paul.blanc@example.com', role: 'technician' })]);
  });

  await step(page, 'a bad invitation link says so', async () => {
    await page.goto(`${api.url}/invitation?token=${'x'.repeat(40)}`);
    await page.fill(tid('invitation-password'), 'un mot de passe assez long');
    await page.fill(tid('invitation-confirm'), 'un mot de passe différent');
    await page.click(tid('invitation-submit'));
    await page.waitForSelector('text=Les deux mots de passe sont différents');
    await page.fill(tid('invitation-confirm'), 'un mot de passe assez long');
    await page.click(tid('invitation-submit'));
    await page.waitForSelector(`${tid('invitation-problem')}:has-text("Lien d’invitation invalide")`);
  });
});
