import path from 'node:path';
import { nkeys } from 'nats';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { MetricsSample } from '@vigie/core';
import { metricsRepo } from '@vigie/db';
import { handleHeartbeat } from '../../ingest/src/telemetry/heartbeats';
import { storeMetricsBatch } from '../../ingest/src/telemetry/metrics';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { sessionAs, startTestApi, testConfig, type Session, type TestApi } from '../../api/test/support/harness';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs, waitForDialogClosed } from './support/browser';

/**
 * The fleet in real Chromium against the real API. An admin finds the fleet empty, follows it to the
 * enrollment tokens, creates one in the dialog (the secret and the install commands are shown once) and
 * copies its secret; the test enrolls two machines with tokens through the API, as the agent does. One
 * machine's heartbeat and an hour of metric samples go through ingest's own functions: the fleet shows it
 * come online without a reload (server-sent events), filters work, and its page shows its facts and the
 * ECharts metric charts in each range. The token is then revoked after a confirmation. A technician sees the
 * fleet but not the tokens.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  await metricsRepo.ensureMetricPartitions(api.deps.db);
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
  await api?.close();
});

async function pick(selectTest: string, option: string): Promise<void> {
  await page.click(tid(selectTest));
  await page.locator('.q-menu .q-item').filter({ hasText: option }).first().click();
  await page.waitForSelector('.q-menu', { state: 'detached' });
}

/** The clear button of a clearable select. */
async function clear(selectTest: string): Promise<void> {
  await page.click(`.q-field:has(${tid(selectTest)}) .q-field__focusable-action`);
}

async function waitForRows(count: number): Promise<void> {
  await page.waitForFunction((count) => document.querySelectorAll('[data-test="machine-row"]').length === count, count);
}

async function rowHostnames(): Promise<string[]> {
  return page.$$eval(tid('machine-row-hostname'), (els) => els.map((el) => el.textContent?.trim() ?? ''));
}

const rowOf = (hostname: string) => `${tid('machine-row')}:has(${tid('machine-row-hostname')}:text-is("${hostname}"))`;

async function enroll(token: string, hostname: string, osName: string): Promise<string> {
  const res = await api.call('POST', '/api/v1/agents/enroll', {
    body: { token, hostname, os: { name: osName, version: '12' }, hardware: { cpuModel: 'Intel(R) Xeon(R) E-2336', cpuCores: 6, ramTotalBytes: 8 * 1024 ** 3 }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() },
  });
  expect(res.status).toBe(201);
  return res.body.machineId as string;
}

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** An hour of samples, one every two minutes, as the agent's Linux collector sends them. */
function samples(from: number): MetricsSample[] {
  return Array.from({ length: 30 }, (_, i) => ({
    seq: from + i,
    collectedAt: new Date(Date.now() - (29 - i) * 120_000 - 5_000).toISOString(),
    cpuPercent: 20 + 30 * Math.abs(Math.sin(i / 4)),
    load: { one: 0.4 + i / 30, five: 0.5, fifteen: 0.5 },
    memory: { totalBytes: 8 * 1024 ** 3, usedBytes: Math.round((3 + Math.sin(i / 5)) * 1024 ** 3), availableBytes: 4 * 1024 ** 3 },
    swap: { totalBytes: 1024 ** 3, usedBytes: 0 },
    disks: [
      { mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100e9, usedBytes: Math.round((40 + i / 6) * 1e9), freeBytes: Math.round((60 - i / 6) * 1e9), usedPercent: 40 + i / 6 },
      { mountPoint: '/home', device: '/dev/sda2', fsType: 'ext4', totalBytes: 400e9, usedBytes: 280e9, freeBytes: 120e9, usedPercent: 70 },
    ],
    network: [{ name: 'eth0', rxBytesPerSec: Math.round(200_000 + 150_000 * Math.abs(Math.cos(i / 3))), txBytesPerSec: 40_000 + 1000 * i }],
    uptimeSeconds: 86_400 + i * 120,
  }));
}

let admin: Session;
let girardMachineId = '';

it('creates a token, follows a machine coming online live, filters the fleet and charts its metrics', async () => {
  admin = await api.signup({ tenantName: 'Infogérance Parc' });
  const call = (method: string, url: string, body?: unknown) => api.call(method, `/api/v1${url}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
  const girard = (await call('POST', '/clients', { name: 'Cabinet Girard', siren: nextSiren() })).body;
  const petit = (await call('POST', '/clients', { name: 'Boulangerie Petit', siren: nextSiren() })).body;
  expect((await call('POST', `/clients/${girard.id}/sites`, { name: 'Siège Villeurbanne', address: { city: 'Villeurbanne' } })).status).toBe(201);
  const tenantId = admin.user.tenantId;

  await step(page, 'the fleet is empty and leads to the enrollment tokens', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.click(tid('nav-assets'));
    await page.waitForSelector(tid('fleet-page'));
    await page.waitForSelector(tid('fleet-empty'));
    await page.waitForSelector(`${tid('fleet-live')}[data-live="true"]`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('fleet-empty-tokens'));
    await page.waitForSelector(tid('tokens-page'));
    await page.waitForSelector(tid('tokens-empty'));
  });

  let secret = '';
  await step(page, 'create a token for a client and its site: the secret and both install commands are shown once', async () => {
    await page.click(tid('token-create'));
    await page.waitForSelector(tid('token-dialog'));
    await pick('token-client', 'Cabinet Girard');
    await page.waitForSelector(`${tid('token-site')}:not([disabled])`);
    await pick('token-site', 'Siège Villeurbanne');
    await pick('token-validity', '7 jours');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('token-submit'));
    await page.waitForSelector(tid('token-result'));
    secret = await page.inputValue(tid('token-secret'));
    expect(secret).toMatch(/^vgt_[A-Za-z0-9_-]{20,}$/);
    const linux = await page.inputValue(tid('token-linux'));
    expect(linux).toBe(`curl -fsSL ${api.url}/api/v1/agents/install/linux.sh | sudo sh -s -- --url ${api.url} --token ${secret}`);
    const windows = await page.inputValue(tid('token-windows'));
    expect(windows).toContain(`'${api.url}/api/v1/agents/install/windows.ps1'`);
    expect(windows).toContain(`-Token '${secret}'`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'enrollment-token');
    await page.click(tid('token-done'));
    await waitForDialogClosed(page, tid('token-dialog'));
    await page.waitForSelector(`${tid('token-row')} ${tid('token-status')}[data-status="active"]`);
    const row = await page.textContent(tid('token-row'));
    expect(row).toContain('Cabinet Girard');
    expect(row).toContain('Siège Villeurbanne');
    // The secret is not shown anywhere any more.
    expect(await page.content()).not.toContain(secret);
  });

  // The agents enroll: one with the token copied from the dialog, one with a token of the other client.
  const machineId = await enroll(secret, 'srv-girard-01', 'Debian GNU/Linux');
  girardMachineId = machineId;
  const otherToken = (await call('POST', '/enrollment-tokens', { clientId: petit.id })).body.token as string;
  const otherId = await enroll(otherToken, 'pc-petit-accueil', 'Windows 11 Pro');

  await step(page, 'the fleet lists both machines, and one comes online without a reload', async () => {
    await page.click(tid('nav-fleet-machines'));
    await page.waitForSelector(tid('fleet-page'));
    await waitForRows(2);
    expect(await rowHostnames()).toEqual(['pc-petit-accueil', 'srv-girard-01']);
    await page.waitForSelector(`${rowOf('srv-girard-01')} ${tid('machine-status')}[data-status="never"]`);
    await page.waitForSelector(`${tid('fleet-live')}[data-live="true"]`);

    // The heartbeat and an hour of metrics, through ingest's own functions.
    const subject = (kind: string) => `vigie.${tenantId}.tlm.${machineId}.${kind}`;
    expect(await handleHeartbeat(api.deps.db, subject('hb'), encode({ seq: 1, sentAt: new Date().toISOString() }), `${machineId}:1`)).toBe('stored');
    const outcomes = await storeMetricsBatch(
      api.deps.db,
      samples(2).map((s) => ({ subject: subject('metrics'), data: encode(s), msgId: `${machineId}:${s.seq}` })),
    );
    expect(outcomes).toEqual(outcomes.map(() => 'stored'));

    await page.waitForSelector(`${rowOf('srv-girard-01')} ${tid('machine-status')}[data-status="online"]`, { timeout: 20_000 });
    // The latest sample came with the same event: its CPU shows.
    await page.locator(`${rowOf('srv-girard-01')} ${tid('machine-row-cpu')}`).filter({ hasText: /\d/ }).waitFor();
    expect(await page.textContent(`${rowOf('srv-girard-01')} ${tid('machine-row-last-seen')}`)).toMatch(/maintenant|seconde/);
    expect(await page.getAttribute(`${rowOf('pc-petit-accueil')} ${tid('machine-status')}`, 'data-status')).toBe('never');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'fleet');
  });

  await step(page, 'filters: online state, OS, client, tag and hostname', async () => {
    await pick('fleet-filter-status', 'En ligne');
    await page.waitForFunction(() => document.querySelectorAll('[data-test="machine-row"]').length === 1);
    expect(await rowHostnames()).toEqual(['srv-girard-01']);
    await pick('fleet-filter-status', 'Hors ligne');
    await page.waitForFunction(() => document.querySelector('[data-test="machine-row-hostname"]')?.textContent?.trim() === 'pc-petit-accueil');
    expect(await rowHostnames()).toEqual(['pc-petit-accueil']);
    await clear('fleet-filter-status');
    await waitForRows(2);

    await pick('fleet-filter-os', 'Windows 11 Pro');
    await waitForRows(1);
    expect(await rowHostnames()).toEqual(['pc-petit-accueil']);
    await clear('fleet-filter-os');
    await waitForRows(2);

    await pick('fleet-filter-client', 'Cabinet Girard');
    await waitForRows(1);
    expect(await rowHostnames()).toEqual(['srv-girard-01']);
    await clear('fleet-filter-client');
    await waitForRows(2);

    // A tag set on a machine (its page does it too) is offered by the tag filter once the list has shown it.
    expect((await api.call('PUT', `/api/v1/machines/${girardMachineId}/tags`, { token: admin.token, body: { tags: ['serveur'] } })).status).toBe(200);
    await page.reload();
    await waitForRows(2);
    expect(await page.isDisabled(`${tid('fleet-filter-site')}`)).toBe(true);
    await pick('fleet-filter-tag', 'serveur');
    await waitForRows(1);
    expect(await rowHostnames()).toEqual(['srv-girard-01']);
    await clear('fleet-filter-tag');
    await waitForRows(2);

    await page.fill(`${tid('fleet-page')} input[type="search"]`, 'accueil');
    await waitForRows(1);
    expect(await rowHostnames()).toEqual(['pc-petit-accueil']);
    await page.fill(`${tid('fleet-page')} input[type="search"]`, 'nothing-like-this');
    await page.waitForSelector(tid('fleet-empty'));
    await page.fill(`${tid('fleet-page')} input[type="search"]`, '');
    await waitForRows(2);
  });

  await step(page, 'the machine page: facts, live state and the metric charts', async () => {
    await page.click(rowOf('srv-girard-01'));
    await page.waitForURL(new RegExp(`/fleet/${machineId}$`));
    await page.waitForSelector(tid('machine-page'));
    expect((await page.textContent(tid('machine-title')))?.trim()).toBe('srv-girard-01');
    await page.waitForSelector(`${tid('machine-page')} ${tid('machine-status')}[data-status="online"]`);
    expect((await page.textContent(tid('machine-client-link')))?.trim()).toBe('Cabinet Girard');
    expect(await page.textContent(tid('machine-fact-os'))).toContain('Debian GNU/Linux 12');
    expect(await page.textContent(tid('machine-fact-cpu'))).toContain('Xeon');
    expect(await page.textContent(tid('machine-fact-ram'))).toMatch(/8\s?Go/);
    expect(await page.textContent(tid('machine-fact-agent'))).toBe('0.1.0');
    for (const chart of ['cpu', 'memory', 'load', 'network', 'disks']) await page.waitForSelector(`${tid(`metric-chart-${chart}`)} canvas`);
    expect(await page.$(tid('metrics-empty'))).toBeNull();
    // The charts describe themselves (ECharts' ARIA description).
    expect(await page.getAttribute(`${tid('metric-chart-cpu')} [aria-label]`, 'aria-label')).toContain('Processeur');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'machine');
  });

  await step(page, 'switching the range: 24 h (each sample), 7 d and 30 d (hourly average and maximum)', async () => {
    for (const [label, range] of [
      ['24 h', '24h'],
      ['7 j', '7d'],
      ['30 j', '30d'],
      ['1 h', '1h'],
    ] as const) {
      await page.click(`${tid('metrics-range')} button:has-text("${label}")`);
      await page.waitForURL(new RegExp(`range=${range}$`));
      await page.waitForSelector(tid('metrics-loading'), { state: 'detached' });
      await page.waitForSelector(`${tid('metric-chart-cpu')} canvas`);
      expect(await page.$(tid('metrics-empty'))).toBeNull();
      const caption = await page.textContent(tid('machine-metrics'));
      expect(caption).toContain(range === '7d' || range === '30d' ? 'Moyenne et maximum par heure' : 'Chaque mesure');
    }
    await page.click(`${tid('metrics-range')} button:has-text("7 j")`);
    await page.waitForURL(/range=7d$/);
    await page.waitForSelector(tid('metrics-loading'), { state: 'detached' });
    await page.waitForSelector(`${tid('metric-chart-cpu')} canvas`);
    await screenshot(page, 'machine-7d');
  });

  await step(page, 'a machine without samples says so', async () => {
    await page.goto(`${api.url}/fleet/${otherId}`);
    await page.waitForSelector(tid('machine-page'));
    await page.waitForSelector(tid('metrics-empty'));
    expect(await page.$(`${tid('metric-chart-cpu')}`)).toBeNull();
  });

  await step(page, 'revoke the token after a confirmation', async () => {
    await page.goto(`${api.url}/fleet/enrollment`);
    await page.waitForSelector(tid('tokens-page'));
    await page.waitForSelector(tid('token-revoke'));
    expect(await page.$$(tid('token-row'))).toHaveLength(2);
    const girardRow = `${tid('token-row')}:has-text("Cabinet Girard")`;
    await page.click(`${girardRow} ${tid('token-revoke')}`);
    await page.waitForSelector('.q-dialog');
    await page.click('.q-dialog button:has-text("Révoquer")');
    await page.waitForSelector(`${girardRow} ${tid('token-status')}[data-status="revoked"]`);
    expect(await page.$(`${girardRow} ${tid('token-revoke')}`)).toBeNull();
    const again = await api.call('POST', '/api/v1/agents/enroll', {
      body: { token: secret, hostname: 'late-pc', os: { name: 'Debian GNU/Linux' }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() },
    });
    expect(again.status).toBe(401);
  });
}, 180_000);

it('shows a technician the fleet but not the enrollment tokens', async () => {
  const tech = await sessionAs(api, admin, 'technician');
  await loginThroughUi(page, api.url, tech.email, tech.password);
  await page.click(tid('nav-assets'));
  await page.waitForSelector(tid('fleet-page'));
  await waitForRows(2);
  expect(await page.$(tid('fleet-tokens'))).toBeNull();
  expect(await page.$(tid('nav-fleet-enrollment'))).toBeNull();
  await page.goto(`${api.url}/fleet/${girardMachineId}`);
  await page.waitForSelector(`${tid('metric-chart-cpu')} canvas`);
  await page.goto(`${api.url}/fleet/enrollment`);
  await page.waitForSelector(tid('forbidden'));
}, 60_000);
