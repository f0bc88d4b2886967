import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestWorker } from '../../worker/test/support/worker';
import { startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs } from './support/browser';

/**
 * Teams and pre-billing in real Chromium against the real API, with the tickets, contracts and CRM workers
 * in this process (closing a ticket goes through its workflow, which writes the pre-billing): an admin
 * creates a team with a technician (a duplicate name is refused on the field; another team is renamed,
 * then deleted after confirmation), gives a ticket to that team on the ticket page (the timeline says so),
 * and saves a default hourly rate in the settings, read back from the API. The technician opens a ticket
 * for the team from the new-ticket dialog, then, assigned neither, finds both with the "Mes équipes"
 * filter (and not the others), and keeps that filter in a saved view. Time is then
 * recorded, approved and the tickets closed through the API: one for a client with its own hourly rate,
 * one for a client without (valued at the default rate typed in the settings). The manager finds both
 * lines on the pre-billing page with their hours and amounts, the total per client, filters, the empty
 * state, and the link to the ticket.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  worker = await startTestWorker(['tickets', 'contracts', 'crm']);
  browser = await launchBrowser();
}, 90_000);
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

/** French texts use no-break spaces: compare with plain spaces. */
const plain = (text: string | null | undefined) => (text ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').trim();

async function logout(): Promise<void> {
  await page.click(tid('user-menu'));
  await page.click(tid('logout'));
  await page.waitForSelector(tid('login-email'));
}

/** A q-select puts its hook on its focus target: its shown value (and error) is in the field around it. */
async function waitForFieldText(test: string, text: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => (document.querySelector(selector)?.closest('.q-field')?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').includes(text),
    { selector: tid(test), text },
  );
}

async function waitForEvent(text: string): Promise<void> {
  await page.waitForFunction(
    ({ selector, text }) => Array.from(document.querySelectorAll(selector)).some((el) => (el.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').includes(text)),
    { selector: tid('ticket-event'), text },
  );
}

async function pick(selectTest: string, option: string, multiple = false): Promise<void> {
  await page.click(tid(selectTest));
  await page.click(`.q-menu .q-item:has-text("${option}")`);
  // A multiple select stays open for more choices.
  if (multiple) await page.keyboard.press('Escape');
  await page.waitForSelector('.q-menu', { state: 'detached' });
}

/** The texts of the rows of a list, made plain. */
const rowTexts = (test: string) => page.$$eval(tid(test), (rows) => rows.map((row) => (row.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').replace(/\s+/g, ' ').trim()));

async function waitForRows(test: string, count: number): Promise<void> {
  await page.waitForFunction(({ selector, count }) => document.querySelectorAll(selector).length === count, { selector: tid(test), count });
}

it('an admin builds a team and gives it a ticket, the technician filters on their teams, the manager reads the pre-billing', async () => {
  const admin = await api.signup({ tenantName: 'Infogérance Fontaine' });
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
  // No contract anywhere: approved billable time is out of contract, at the client's rate or the default one.
  const rated = (await call('POST', '/clients', { name: 'Garage Rousseau', hourlyRateCents: 8_000 })).body;
  const unrated = (await call('POST', '/clients', { name: 'Boulangerie Petit' })).body;
  const newTicket = async (clientId: string, subject: string) => {
    const res = await call('POST', '/tickets', { clientId, subject, contractId: null });
    expect(res.status).toBe(201);
    return res.body as { id: string; number: string };
  };
  const teamTicket = await newTicket(rated.id, 'Switch du garage hors service');
  const otherTicket = await newTicket(rated.id, 'Licence bureautique à renouveler');
  const unratedTicket = await newTicket(unrated.id, 'Caisse enregistreuse lente');
  let teamId = '';

  await step(page, 'the admin opens Paramètres → Équipes: no team yet', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.click(tid('nav-teams'));
    await page.waitForSelector(tid('teams-page'));
    await page.waitForSelector(tid('teams-empty'));
  });

  await step(page, 'create the Réseau team with the technician', async () => {
    await page.click(tid('team-create'));
    await page.waitForSelector(tid('team-dialog'));
    await page.fill(tid('team-name'), 'Réseau');
    await pick('team-members-select', 'Théo Martin', true);
    await waitForFieldText('team-members-select', 'Théo Martin');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'team-dialog');
    await page.click(tid('team-submit'));
    await page.waitForSelector(tid('team-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('team-row')}:has-text("Réseau") ${tid('team-member')}:has-text("Théo Martin")`);
    const teams = (await call('GET', '/teams')).body.items as { id: string; name: string; members: { id: string; name: string }[] }[];
    expect(teams.map((t) => ({ name: t.name, members: t.members }))).toEqual([{ name: 'Réseau', members: [{ id: tech.id, name: 'Théo Martin' }] }]);
    teamId = teams[0]!.id;
  });

  await step(page, 'a second team: the taken name is refused on the field, another one is saved, renamed, then deleted after confirmation', async () => {
    await page.click(tid('team-create'));
    await page.waitForSelector(tid('team-dialog'));
    await page.fill(tid('team-name'), 'réseau');
    await page.click(tid('team-submit'));
    await waitForFieldText('team-name', 'Une équipe porte déjà ce nom.');
    await page.fill(tid('team-name'), 'Astreinte');
    await page.click(tid('team-submit'));
    await page.waitForSelector(tid('team-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('team-row')}:has-text("Astreinte")`);

    await page.click(`${tid('team-row')}:has-text("Astreinte") ${tid('team-edit')}`);
    await page.waitForSelector(tid('team-dialog'));
    expect(await page.inputValue(tid('team-name'))).toBe('Astreinte');
    await page.fill(tid('team-name'), 'Astreinte de nuit');
    await page.click(tid('team-submit'));
    await page.waitForSelector(tid('team-dialog'), { state: 'detached' });
    await page.waitForSelector(`${tid('team-row-name')}:text-is("Astreinte de nuit")`);
    expect(((await call('GET', '/teams')).body.items as { name: string }[]).map((t) => t.name)).toEqual(['Astreinte de nuit', 'Réseau']);

    await page.click(`${tid('team-row')}:has-text("Astreinte de nuit") ${tid('team-delete')}`);
    await page.waitForSelector('.q-dialog:has-text("Ses tickets gardent leur technicien")');
    await page.click('.q-dialog button:has-text("Supprimer")');
    await page.waitForSelector(`${tid('team-row')}:has-text("Astreinte")`, { state: 'detached' });
    await waitForRows('team-row', 1);
    expect(((await call('GET', '/teams')).body.items as { name: string }[]).map((t) => t.name)).toEqual(['Réseau']);
    await screenshot(page, 'teams');
  });

  await step(page, 'give a ticket to the team on the ticket page: the timeline says so', async () => {
    await page.goto(`${api.url}/tickets/${teamTicket.id}`);
    await page.waitForSelector(tid('ticket-team-select'));
    await waitForFieldText('ticket-team-select', 'Sans équipe');
    await pick('ticket-team-select', 'Réseau');
    await waitForEvent('Alice Admin a confié le ticket à l’équipe Réseau');
    await waitForFieldText('ticket-team-select', 'Réseau');
    // The technician stays as it was: nobody.
    await waitForFieldText('ticket-assignee-select', 'Non assigné');
    expect((await call('GET', `/tickets/${teamTicket.id}`)).body).toMatchObject({ teamId, teamName: 'Réseau', assigneeId: null });
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'ticket-team');
  });

  await step(page, 'save a default hourly rate in the settings: read back from the API', async () => {
    await page.click(tid('nav-settings'));
    await page.waitForSelector(tid('settings-page'));
    await page.click(tid('settings-tab-preferences'));
    await page.fill(tid('settings-default-hourly-rate'), '72,5O');
    await waitForFieldText('settings-default-hourly-rate', 'Un montant comme 45,00');
    await page.fill(tid('settings-default-hourly-rate'), '72,50');
    await waitForFieldText('settings-default-hourly-rate', '= 72,50 € / h');
    await page.click(tid('settings-save'));
    await page.waitForSelector('.q-notification:has-text("Modifications enregistrées")');
    expect((await call('GET', '/settings')).body.defaultHourlyRateCents).toBe(7_250);
    await page.reload();
    await page.click(tid('settings-tab-preferences'));
    await page.waitForFunction((selector) => (document.querySelector(selector) as HTMLInputElement | null)?.value === '72,50', tid('settings-default-hourly-rate'));
    await logout();
  });

  await step(page, 'the technician opens a ticket for their team from the new-ticket dialog', async () => {
    await loginThroughUi(page, api.url, tech.email, tech.password);
    await page.click(tid('nav-tickets'));
    await page.waitForSelector(tid('tickets-page'));
    await waitForRows('ticket-row', 3);
    await page.click(tid('ticket-create'));
    await page.waitForSelector(tid('ticket-dialog'));
    await page.fill(tid('ticket-client'), 'Rousseau');
    await page.click('.q-menu .q-item:has-text("Garage Rousseau")');
    await page.fill(tid('ticket-subject'), 'Borne Wi-Fi de l’atelier');
    // Their own teams are marked.
    await pick('ticket-team', 'Réseau (mon équipe)');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('ticket-submit'));
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}$/);
    await waitForFieldText('ticket-team-select', 'Réseau');
    const created = (await call('GET', `/tickets/${page.url().split('/').pop()!}`)).body;
    expect(created).toMatchObject({ subject: 'Borne Wi-Fi de l’atelier', teamId, teamName: 'Réseau', assigneeId: null });
  });

  await step(page, 'the technician filters on “Mes équipes” and finds the team’s tickets, neither assigned to them', async () => {
    await page.click(tid('nav-tickets'));
    await page.waitForSelector(tid('tickets-page'));
    await waitForRows('ticket-row', 4);
    await pick('tickets-filter-team', 'Mes équipes');
    await waitForRows('ticket-row', 2);
    const rows = (await rowTexts('ticket-row')).join(' | ');
    expect(rows).toContain(teamTicket.number);
    expect(rows).toContain('Switch du garage hors service');
    expect(rows).toContain('Borne Wi-Fi de l’atelier');
    expect(rows).not.toContain(otherTicket.number);
    expect(rows).not.toContain(unratedTicket.number);
    expect((await page.$$eval(tid('ticket-team-name'), (cells) => cells.map((c) => (c.textContent ?? '').trim())))).toEqual(['Réseau', 'Réseau']);
    await pick('tickets-filter-team', 'Sans équipe');
    await waitForRows('ticket-row', 2);
    expect((await rowTexts('ticket-row')).join(' ')).not.toContain(teamTicket.number);
    await pick('tickets-filter-team', 'Mes équipes');
    await waitForRows('ticket-row', 2);
    await screenshot(page, 'tickets-my-teams');
  });

  await step(page, 'a saved view keeps the team filter', async () => {
    await page.click(tid('ticket-view-save'));
    await page.waitForSelector(tid('ticket-view-dialog'));
    await page.fill(tid('ticket-view-name'), 'Mon équipe');
    await page.click(tid('ticket-view-submit'));
    await page.waitForSelector(tid('ticket-view-dialog'), { state: 'detached' });
    const views = (await call('GET', '/ticket-views', undefined, tech.token)).body.items as { name: string; filters: Record<string, string> }[];
    expect(views).toEqual([expect.objectContaining({ name: 'Mon équipe', filters: { teamId: 'mine' } })]);
    await page.click(tid('ticket-view-select'));
    await page.click(tid('ticket-view-all'));
    await waitForRows('ticket-row', 4);
    await page.click(tid('ticket-view-select'));
    await page.click(`${tid('ticket-view-option')}:has-text("Mon équipe")`);
    await waitForRows('ticket-row', 2);
    await waitForFieldText('tickets-filter-team', 'Mes équipes');
    await logout();
  });

  await step(page, 'time recorded, approved and the tickets closed through the API', async () => {
    const today = new Date().toISOString().slice(0, 10);
    for (const [ticket, minutes] of [
      [teamTicket, 90],
      [unratedTicket, 30],
    ] as const) {
      const entry = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today, minutes, description: `Intervention ${ticket.number}` }, tech.token);
      expect(entry.status).toBe(201);
      const approved = await call('POST', `/time-entries/${entry.body.id}/approve`, {}, manager.token);
      expect([approved.status, approved.body.outOfContractMinutes]).toEqual([200, minutes]);
      const closed = await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'Intervention terminée.' });
      expect(closed.status).toBe(200);
    }
  });

  await step(page, 'the manager opens Facturation: the pre-billing page, reloaded until the ticket workflow has written the lines', async () => {
    await loginThroughUi(page, api.url, manager.email, manager.password);
    await page.click(tid('nav-billing'));
    await page.waitForURL(/\/billing\/pre-billing$/);
    await page.waitForSelector(tid('pre-billing-page'));
    await page.waitForSelector(tid('nav-billing-pre-billing'));
    for (let i = 0; i < 40; i += 1) {
      await page.waitForSelector(`${tid('pre-billing-row')}, ${tid('pre-billing-empty')}`);
      if ((await page.$$(tid('pre-billing-row'))).length >= 2) break;
      await page.waitForTimeout(500);
      await page.reload();
    }
    await waitForRows('pre-billing-row', 2);
  });

  await step(page, 'each line: client, ticket, hours, rate and amount; the total per client', async () => {
    const rousseau = page.locator(`${tid('pre-billing-row')}:has-text("Garage Rousseau")`);
    expect(plain(await rousseau.locator(tid('pre-billing-ticket')).textContent())).toBe(teamTicket.number);
    expect(plain(await rousseau.locator(tid('pre-billing-hours')).textContent())).toBe('1 h 30');
    expect(plain(await rousseau.locator(tid('pre-billing-rate')).textContent())).toBe('80,00 € / h');
    expect(plain(await rousseau.locator(tid('pre-billing-amount')).textContent())).toBe('120,00 €');
    expect(plain(await rousseau.locator(tid('pre-billing-status')).textContent())).toBe('À facturer');
    // The client without a rate of its own: the default rate typed in the settings.
    const petit = page.locator(`${tid('pre-billing-row')}:has-text("Boulangerie Petit")`);
    expect(plain(await petit.locator(tid('pre-billing-hours')).textContent())).toBe('0 h 30');
    expect(plain(await petit.locator(tid('pre-billing-rate')).textContent())).toBe('72,50 € / h');
    expect(plain(await petit.locator(tid('pre-billing-amount')).textContent())).toBe('36,25 €');

    const totals = await page.$$eval(`${tid('pre-billing-total')}`, (rows) =>
      rows.map((row) => ({
        client: row.getAttribute('data-client-id'),
        hours: (row.querySelector('[data-test="pre-billing-total-hours"]')?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').trim(),
        amount: (row.querySelector('[data-test="pre-billing-total-amount"]')?.textContent ?? '').replace(/[\u202f\u00a0]/g, ' ').trim(),
      })),
    );
    expect(totals).toEqual([
      { client: rated.id, hours: '1 h 30', amount: '120,00 €' },
      { client: unrated.id, hours: '0 h 30', amount: '36,25 €' },
    ]);
    const lines = (await call('GET', '/billing/pre-billing', undefined, manager.token)).body.items as { ticketId: string; minutes: number; unitRateCents: number; amountCents: number; status: string }[];
    expect(lines.map(({ ticketId, minutes, unitRateCents, amountCents, status }) => ({ ticketId, minutes, unitRateCents, amountCents, status })).sort((a, b) => b.amountCents - a.amountCents)).toEqual([
      { ticketId: teamTicket.id, minutes: 90, unitRateCents: 8_000, amountCents: 12_000, status: 'pending' },
      { ticketId: unratedTicket.id, minutes: 30, unitRateCents: 7_250, amountCents: 3_625, status: 'pending' },
    ]);
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'pre-billing');
  });

  await step(page, 'filters: one client, then a state with no line shows the empty state that says where lines come from', async () => {
    await page.fill(tid('pre-billing-filter-client'), 'Rousseau');
    await page.click('.q-menu .q-item:has-text("Garage Rousseau")');
    await waitForRows('pre-billing-row', 1);
    expect((await rowTexts('pre-billing-row'))[0]).toContain('Garage Rousseau');
    expect(await page.$$(tid('pre-billing-total'))).toHaveLength(1);
    await pick('pre-billing-filter-status', 'Facturé');
    await page.waitForSelector(tid('pre-billing-empty'));
    await waitForRows('pre-billing-row', 0);
    expect(plain(await page.textContent(tid('pre-billing-empty')))).toContain('À la fermeture d’un ticket, son temps approuvé et facturable qu’aucun contrat ne couvre');
    expect(await page.$(tid('pre-billing-totals'))).toBeNull();
    await pick('pre-billing-filter-status', 'À facturer');
    await waitForRows('pre-billing-row', 1);
  });

  await step(page, 'a line links to its ticket', async () => {
    await page.click(`${tid('pre-billing-row')} ${tid('pre-billing-ticket')}`);
    await page.waitForURL(new RegExp(`/tickets/${teamTicket.id}$`));
    await page.waitForSelector(`${tid('ticket-number')}:has-text("${teamTicket.number}")`);
    await page.waitForSelector(tid('ticket-closed'));
  });
});
