import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { alertsRepo, metricsRepo, withTenant } from '@vigie/db';
import { enroll } from '../../agent/src/enroll';
import { runAgent, type RunningAgent } from '../../agent/src/run';
import { startHeartbeatConsumer, type HeartbeatConsumer } from '../../ingest/src/telemetry/heartbeats';
import { startMetricsConsumer, type MetricsConsumer } from '../../ingest/src/telemetry/metrics';
import { startResultConsumer, type ResultConsumer } from '../../ingest/src/telemetry/results';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { sessionAs, startTestApi, testConfig, type Session, type TestApi } from '../../api/test/support/harness';
import { until } from '../../api/test/support/until';
import { launchBrowser, loginThroughUi, screenshot, step, tid, unlabelledInputs, waitForDialogClosed } from './support/browser';

/**
 * Remote commands, alert rules and a machine's life in real Chromium against the real API, with a REAL agent:
 * it is enrolled through the API and runs in this process (heartbeats, metrics, commands over the test stack's
 * NATS), and ingest's own consumers (under their own durable names) store its telemetry and command results.
 * An admin runs `echo bonjour` from the machine page and follows it live to its output and exit code, finds it
 * in the history, pings the machine, tags it, creates a CPU rule for its client in the rule editor, finds an
 * alert of that rule (opened as its workflow would) with its ticket in the alerts list and on the machine, creates
 * an agent policy for the tagged servers and finds it on the machine, then disables the machine after a
 * confirmation. A technician reads the rules and policies but changes nothing.
 */
let api: TestApi;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let nc: NatsConnection;
let heartbeats: HeartbeatConsumer;
let metrics: MetricsConsumer;
let results: ResultConsumer;
let agent: RunningAgent | undefined;
const agentLog: string[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  api = await startTestApi(testConfig({ WEB_DIST: path.resolve(__dirname, '..', 'dist') }));
  await metricsRepo.ensureMetricPartitions(api.deps.db);
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  const log = pino({ level: 'silent' });
  const suffix = randomUUID().slice(0, 8);
  heartbeats = await startHeartbeatConsumer({ nc, db: api.deps.db, log, consumer: `ingest-hb-rmm-web-${suffix}` });
  metrics = await startMetricsConsumer({ nc, db: api.deps.db, log, consumer: `ingest-metrics-rmm-web-${suffix}` });
  results = await startResultConsumer({ nc, db: api.deps.db, log, consumer: `ingest-results-rmm-web-${suffix}` });
  browser = await launchBrowser();
}, 90_000);
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, locale: 'fr-FR' });
  page = await context.newPage();
  page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
});
afterEach(() => context.close());
afterAll(async () => {
  await stopAgent();
  await heartbeats?.stop();
  await metrics?.stop();
  await results?.stop();
  await nc?.drain();
  await browser?.close();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
}, 60_000);

let admin: Session;
let machineId = '';

const call = (method: string, url: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${url}`, { token, ...(body !== undefined ? { body } : {}) });
const agentFailure = (err: Error) => new Error(`${err.message}; agent log:\n${agentLog.slice(-30).join('\n')}`);

/** A disabled machine's agent cannot drain its connection: it is enabled again first, then stopped (bounded). */
async function stopAgent(): Promise<void> {
  if (!agent) return;
  const running = agent;
  agent = undefined;
  if (machineId && admin) await call('POST', `/machines/${machineId}/enable`).catch(() => undefined);
  await until('the agent connected again', async () => (await call('GET', `/machines/${machineId}`)).body?.online === true, 20_000).catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([running.stop(), new Promise((resolve) => (timer = setTimeout(resolve, 20_000)))]);
  clearTimeout(timer);
}

async function pick(selectTest: string, option: string): Promise<void> {
  await page.click(tid(selectTest));
  await page.locator('.q-menu .q-item').filter({ hasText: option }).first().click();
  await page.waitForSelector('.q-menu', { state: 'detached' });
}

it('runs a script on a real agent live, keeps its history, creates an alert rule and disables the machine', async () => {
  admin = await api.signup({ tenantName: 'Infogérance Morel' });
  const client = (await call('POST', '/clients', { name: 'Cabinet Morel', siren: nextSiren() })).body;
  const token = (await call('POST', '/enrollment-tokens', { clientId: client.id })).body.token as string;

  // The real agent: enrolled through the API on a temporary data directory, then running in this process.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-rmm-web-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  machineId = (await enroll({ url: api.url, token, dataDir })).machineId;
  agent = await runAgent({
    dataDir,
    heartbeatSeconds: 2,
    metricsSeconds: 10,
    credentialsRetryMs: 1000,
    log: (msg, fields) => agentLog.push(`${msg} ${JSON.stringify(fields ?? {})}`),
  });
  await until('the machine online', async () => (await call('GET', `/machines/${machineId}`)).body.online === true, 30_000).catch((err: Error) => {
    throw agentFailure(err);
  });
  const hostname = os.hostname();

  await step(page, 'the machine page: online, with its commands tab', async () => {
    await loginThroughUi(page, api.url, admin.email, admin.password);
    await page.goto(`${api.url}/fleet/${machineId}`);
    await page.waitForSelector(`${tid('machine-page')} ${tid('machine-status')}[data-status="online"]`, { timeout: 20_000 });
    expect((await page.textContent(tid('machine-title')))?.trim()).toBe(hostname);
    expect(await page.$(tid('machine-disable'))).not.toBeNull();
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('machine-tab-commands'));
    await page.waitForURL(/tab=commands/);
    await page.waitForSelector(tid('commands-empty'));
  });

  await step(page, 'run "echo bonjour" with bash from the dialog (Ctrl+Enter) and follow it live', async () => {
    await page.click(tid('command-run-script'));
    await page.waitForSelector(tid('run-script-dialog'));
    await pick('run-script-interpreter', 'Bash');
    await page.fill(tid('run-script-code'), 'echo bonjour');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.press(tid('run-script-code'), 'Control+Enter');
    // The dialog now follows the command: its steps, then its end.
    await page.waitForSelector(`${tid('run-script-dialog')} ${tid('command-progress')}`);
    const first = await page.getAttribute(`${tid('run-script-dialog')} ${tid('command-progress')}`, 'data-status');
    expect(['queued', 'sent', 'running', 'succeeded']).toContain(first);
    await page.waitForSelector(`${tid('run-script-dialog')} ${tid('command-progress')}[data-status="succeeded"]`, { timeout: 30_000 }).catch((err: Error) => {
      throw agentFailure(err);
    });
    expect((await page.textContent(`${tid('run-script-dialog')} ${tid('command-stdout')} pre`))?.trim()).toBe('bonjour');
    expect((await page.textContent(`${tid('run-script-dialog')} ${tid('command-exit-code')}`))?.trim()).toBe('0');
    expect(await page.textContent(`${tid('run-script-dialog')} ${tid('command-duration')}`)).toMatch(/\d\s?(ms|s)/);
    await screenshot(page, 'run-script');
    await page.click(tid('run-script-close'));
    await waitForDialogClosed(page, tid('run-script-dialog'));
  });

  await step(page, 'the command is in the history; opening it shows its output', async () => {
    const row = `${tid('command-row')}:has(${tid('command-status')}[data-status="succeeded"])`;
    await page.waitForSelector(row);
    expect(await page.$$(tid('command-row'))).toHaveLength(1);
    expect((await page.textContent(`${row} ${tid('command-row-name')}`))?.trim()).toBe('Script');
    expect((await page.textContent(`${row} ${tid('command-row-exit-code')}`))?.trim()).toBe('0');
    expect(await page.textContent(row)).toContain('echo bonjour');
    expect(await page.textContent(row)).toContain('Alice Admin');
    await page.click(row);
    await page.waitForSelector(tid('command-dialog'));
    expect((await page.textContent(`${tid('command-dialog')} ${tid('command-stdout')} pre`))?.trim()).toBe('bonjour');
    expect((await page.textContent(`${tid('command-dialog')} ${tid('command-script')} pre`))?.trim()).toBe('echo bonjour');
    await page.click(tid('command-dialog-close'));
    await waitForDialogClosed(page, tid('command-dialog'));
  });

  await step(page, 'ping: the agent answers, followed in the command dialog', async () => {
    await page.click(tid('command-ping'));
    await page.waitForSelector(tid('command-dialog'));
    await page.waitForSelector(`${tid('command-dialog')} ${tid('command-progress')}[data-status="succeeded"]`, { timeout: 30_000 }).catch((err: Error) => {
      throw agentFailure(err);
    });
    await page.click(tid('command-dialog-close'));
    await waitForDialogClosed(page, tid('command-dialog'));
    await page.waitForFunction(() => document.querySelectorAll('[data-test="command-row"] [data-status="succeeded"]').length === 2);
    expect(await page.$$eval(tid('command-row-name'), (els) => els.map((el) => el.textContent?.trim()))).toEqual(['Ping', 'Script']);
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'machine-commands');
  });

  await step(page, 'restart a service and reboot ask first (nothing is sent to this test machine)', async () => {
    await page.click(tid('command-restart-service'));
    await page.waitForSelector(tid('restart-service-dialog'));
    await page.fill(tid('restart-service-name'), 'pas un service !');
    await page.click(tid('restart-service-submit'));
    await page.waitForSelector(`.q-field--error:has(${tid('restart-service-name')})`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(`${tid('restart-service-dialog')} button:has-text("Annuler")`);
    await waitForDialogClosed(page, tid('restart-service-dialog'));
    await page.click(tid('command-reboot'));
    await page.waitForSelector(tid('reboot-dialog'));
    expect(await page.textContent(tid('reboot-dialog'))).toContain('perdront leur travail non enregistré');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(`${tid('reboot-dialog')} button:has-text("Annuler")`);
    await waitForDialogClosed(page, tid('reboot-dialog'));
    expect(await page.$$(tid('command-row'))).toHaveLength(2);
  });

  await step(page, 'a long script is cancelled from its live dialog, after a confirmation: the agent stops it', async () => {
    await page.click(tid('command-run-script'));
    await page.waitForSelector(tid('run-script-dialog'));
    await pick('run-script-interpreter', 'Bash');
    await page.fill(tid('run-script-code'), 'echo début; sleep 30');
    await page.click(tid('run-script-submit'));
    const progress = `${tid('run-script-dialog')} ${tid('command-progress')}`;
    await page.waitForSelector(`${progress}[data-status="running"]`, { timeout: 30_000 }).catch((err: Error) => {
      throw agentFailure(err);
    });
    await page.click(`${tid('run-script-dialog')} ${tid('command-cancel')}`);
    await page.waitForSelector(tid('confirm-ok'));
    expect(await page.textContent('.q-dialog:has([data-test="confirm-ok"])')).toContain('L’agent arrête le script en cours');
    await page.click(tid('confirm-ok'));
    await page.waitForSelector(`${progress}[data-status="cancelled"]`);
    expect(await page.textContent(`${tid('run-script-dialog')} ${tid('command-cancelled-by')}`)).toContain('Annulée par Alice Admin');
    expect(await page.$(`${tid('run-script-dialog')} ${tid('command-cancel')}`)).toBeNull();
    // The dialog still follows it for the agent's report: what the stopped script wrote.
    await page.waitForSelector(`${tid('run-script-dialog')} ${tid('command-stdout')} pre:has-text("début")`, { timeout: 15_000 });
    await screenshot(page, 'command-cancelled');
    await page.click(tid('run-script-close'));
    await waitForDialogClosed(page, tid('run-script-dialog'));
    const stopped = await until('the agent’s report of the stopped script', async () => {
      const [last] = (await call('GET', `/machines/${machineId}/commands?limit=1`)).body.items;
      return last?.durationMs !== null && last;
    }, 15_000).catch((err: Error) => {
      throw agentFailure(err);
    });
    expect(stopped).toMatchObject({ status: 'cancelled', stdout: 'début\n', cancelledByName: 'Alice Admin' });
  });

  await step(page, 'a running script is cancelled from the history too; a finished one offers no cancel', async () => {
    await page.click(tid('command-run-script'));
    await page.waitForSelector(tid('run-script-dialog'));
    await pick('run-script-interpreter', 'Bash');
    await page.fill(tid('run-script-code'), 'sleep 30');
    await page.click(tid('run-script-submit'));
    await page.waitForSelector(`${tid('run-script-dialog')} ${tid('command-progress')}[data-status="running"]`, { timeout: 30_000 });
    await page.click(tid('run-script-close'));
    await waitForDialogClosed(page, tid('run-script-dialog'));
    const running = `${tid('command-row')}:has(${tid('command-status')}[data-status="running"])`;
    await page.waitForSelector(running);
    expect(await page.$$(`${tid('command-row')} ${tid('command-cancel')}`)).toHaveLength(1);
    await page.click(`${running} ${tid('command-cancel')}`);
    await page.waitForSelector(tid('confirm-ok'));
    // Asking does not open the command.
    expect(await page.$(tid('command-dialog'))).toBeNull();
    await page.click(tid('confirm-ok'));
    await page.waitForFunction(() => document.querySelectorAll('[data-test="command-row"] [data-status="cancelled"]').length === 2);
    expect(await page.$$(`${tid('command-row')} ${tid('command-cancel')}`)).toHaveLength(0);
    expect(await page.$$(tid('command-row'))).toHaveLength(4);
  });

  await step(page, 'tag the machine', async () => {
    await page.click(tid('machine-tab-overview'));
    await page.waitForSelector(tid('machine-tags-input'));
    await page.fill(tid('machine-tags-input'), 'serveur');
    await page.press(tid('machine-tags-input'), 'Enter');
    await until('the tag saved', async () => {
      const tags = (await call('GET', `/machines/${machineId}`)).body.tags as string[];
      return tags.length === 1 && tags[0] === 'serveur';
    }, 10_000);
    expect(await page.textContent(tid('machine-tags'))).toContain('serveur');
  });

  await step(page, 'no rule yet: the empty rules page explains and offers to create one', async () => {
    await page.click(tid('nav-fleet-alert-rules'));
    await page.waitForSelector(tid('alert-rules-page'));
    await page.waitForSelector(tid('rules-empty'));
    await page.waitForSelector(`${tid('offline-threshold')} ${tid('offline-threshold-input')}`);
    expect(await page.inputValue(tid('offline-threshold-input'))).toBe('150');
    expect(await unlabelledInputs(page)).toEqual([]);
  });

  await step(page, 'create a rule in the editor: CPU > 1 % for 0 s on the client’s machines', async () => {
    await page.click(tid('rules-empty-create'));
    await page.waitForSelector(tid('rule-dialog'));
    // The name is required: said next to it, nothing sent.
    await page.click(tid('rule-submit'));
    await page.waitForSelector(`.q-field--error:has(${tid('rule-name')})`);
    await page.fill(tid('rule-name'), 'CPU chargé');
    await page.fill(tid('rule-threshold'), '1');
    await page.fill(tid('rule-duration'), '0');
    await pick('rule-duration-unit', 'secondes');
    await pick('rule-scope-kind', 'Les machines d’un client');
    await pick('rule-scope-client', 'Cabinet Morel');
    await pick('rule-severity', 'Critique');
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('rule-submit'));
    await waitForDialogClosed(page, tid('rule-dialog'));
    const row = `${tid('rule-row')}:has(${tid('rule-row-name')}:text-is("CPU chargé"))`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} ${tid('rule-row-condition')}`)).toMatch(/^CPU > 1\s%$/);
    await page.waitForFunction(() => document.querySelector('[data-test="rule-row-scope"]')?.textContent?.includes('Cabinet Morel'));
    expect(await page.getAttribute(`${row} ${tid('alert-severity')}`, 'data-severity')).toBe('critical');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'alert-rules');
    const rules = (await call('GET', '/alert-rules')).body.items;
    expect(rules).toEqual([
      expect.objectContaining({
        name: 'CPU chargé',
        kind: 'metric_threshold',
        condition: { metric: 'cpu', operator: '>', threshold: 1, durationSeconds: 0 },
        scope: { kind: 'client', id: client.id },
        severity: 'critical',
        enabled: true,
      }),
    ]);
  });

  await step(page, 'an alert of the rule, with its ticket, shows in the alerts list and on the machine', async () => {
    // What the rule's alertWorkflow does when the CPU crosses the threshold (no worker runs in this test).
    const [rule] = (await call('GET', '/alert-rules')).body.items;
    const ticket = (await call('POST', '/tickets', { clientId: client.id, machineId, subject: `CPU chargé sur ${hostname}`, priority: 'critical' })).body;
    await withTenant(api.deps.db, admin.user.tenantId, async (tx) => {
      const alert = await alertsRepo.openAlert(tx, {
        tenantId: admin.user.tenantId,
        id: randomUUID(),
        ruleId: rule.id,
        machineId,
        reading: { value: 12.5, unit: '%', subject: null, detail: 'CPU 12,5 %' },
        at: new Date().toISOString(),
      });
      await alertsRepo.setAlertTicket(tx, alert.id, ticket.id);
    });
    await page.click(tid('nav-fleet-alerts'));
    await page.waitForSelector(tid('alerts-page'));
    await page.waitForSelector(tid('alert-row'));
    const row = await page.textContent(tid('alert-row'));
    expect(row).toContain('CPU chargé');
    expect(row).toContain('CPU 12,5 %');
    expect(await page.getAttribute(`${tid('alert-row')} ${tid('alert-status')}`, 'data-status')).toBe('open');
    expect((await page.textContent(`${tid('alert-row')} ${tid('alert-ticket-link')}`))?.trim()).toBe(ticket.number);
    await page.click(`${tid('alert-row')} ${tid('alert-machine-link')}`);
    await page.waitForURL(new RegExp(`/fleet/${machineId}\\?tab=alerts$`));
    await page.waitForSelector(tid('machine-alert-row'));
    expect(await page.textContent(tid('machine-alerts-open'))).toContain('1');
    expect((await page.textContent(`${tid('machine-alert-row')} ${tid('alert-ticket-link')}`))?.trim()).toBe(ticket.number);
    expect(await unlabelledInputs(page)).toEqual([]);
  });

  await step(page, 'an agent policy for the servers: created in its editor, shown on the tagged machine', async () => {
    await page.click(tid('nav-fleet-policies'));
    await page.waitForSelector(tid('policies-page'));
    await page.waitForSelector(tid('policies-empty'));
    await page.click(tid('policies-empty-create'));
    await page.waitForSelector(tid('policy-dialog'));
    await page.fill(tid('policy-name'), 'Serveurs');
    await pick('rule-scope-kind', 'Les machines portant une étiquette');
    await page.fill(tid('rule-scope-tag'), 'serveur');
    await pick('policy-interval', 'Toutes les 2 minutes');
    // Names are typed key by key into the focused field, then Enter, as a person does (a value set in one go
    // could reach Quasar after the Enter).
    const typeName = async (field: string, name: string) => {
      await page.click(tid(field));
      await page.keyboard.type(name);
      await page.keyboard.press('Enter');
    };
    await typeName('policy-watch-services', 'nginx');
    await page.waitForSelector(`${tid('policy-dialog')} .q-chip:has-text("nginx")`);
    // A name the agent could not take is refused at once, with the reason.
    await typeName('policy-watch-processes', '../backup');
    await page.waitForSelector(`.q-field--error:has(${tid('policy-watch-processes')})`);
    await typeName('policy-watch-processes', 'backup-agent');
    await page.waitForSelector(`${tid('policy-dialog')} .q-chip:has-text("backup-agent")`);
    expect(await unlabelledInputs(page)).toEqual([]);
    await page.click(tid('policy-submit'));
    await waitForDialogClosed(page, tid('policy-dialog'));
    const row = `${tid('policy-row')}:has(${tid('policy-row-name')}:text-is("Serveurs"))`;
    await page.waitForSelector(row);
    expect((await page.textContent(`${row} ${tid('policy-row-interval')}`))?.trim()).toBe('Toutes les 2 minutes');
    expect(await page.textContent(`${row} ${tid('policy-row-scope')}`)).toContain('serveur');
    expect(await page.textContent(`${row} ${tid('policy-row-watched')}`)).toContain('backup-agent');
    await screenshot(page, 'agent-policies');
    expect((await call('GET', '/agent-policies')).body.items).toEqual([
      expect.objectContaining({ name: 'Serveurs', enabled: true, scope: { kind: 'tag', tag: 'serveur' }, metricsIntervalSeconds: 120, watchServices: ['nginx'], watchProcesses: ['backup-agent'] }),
    ]);
    await page.goto(`${api.url}/fleet/${machineId}`);
    await page.waitForSelector(`${tid('machine-policy-name')}:text-is("Serveurs")`);
    expect((await page.textContent(tid('machine-policy-interval')))?.trim()).toBe('Toutes les 2 minutes');
    expect(await page.textContent(tid('machine-policy-watched'))).toContain('nginx');
    expect(await page.textContent(tid('machine-policy-scope'))).toContain('serveur');
    expect(await unlabelledInputs(page)).toEqual([]);
    await screenshot(page, 'machine-policy');
  });

  await step(page, 'disable the machine after a confirmation: its state changes to disabled', async () => {
    await page.goto(`${api.url}/fleet/${machineId}`);
    await page.waitForSelector(`${tid('machine-page')} ${tid('machine-status')}[data-status="online"]`);
    await page.click(tid('machine-disable'));
    await page.waitForSelector('.q-dialog');
    expect(await page.textContent('.q-dialog')).toContain('déconnecté immédiatement');
    await page.click('.q-dialog button:has-text("Désactiver")');
    await page.waitForSelector(`${tid('machine-page')} ${tid('machine-status')}[data-status="disabled"]`);
    await page.waitForSelector(tid('machine-enable'));
    // NATS was told at once: no warning.
    await page.locator('.q-notification').filter({ hasText: 'l’agent a été déconnecté' }).waitFor();
    expect(await page.$(tid('machine-revocation-pending'))).toBeNull();
    await page.click(tid('machine-tab-commands'));
    await page.waitForSelector(tid('commands-disabled'));
    expect(await page.getAttribute(tid('command-run-script'), 'disabled')).not.toBeNull();
    expect((await call('GET', `/machines/${machineId}`)).body).toMatchObject({ online: false, disabledAt: expect.any(String) });
  });
}, 240_000);

it('shows a technician the rules and the machine, without the managers’ actions', async () => {
  const tech = await sessionAs(api, admin, 'technician');
  await loginThroughUi(page, api.url, tech.email, tech.password);
  await page.goto(`${api.url}/fleet/alert-rules`);
  await page.waitForSelector(tid('rules-read-only'));
  await page.waitForSelector(tid('rule-row'));
  expect(await page.$(tid('rule-create'))).toBeNull();
  expect(await page.$(tid('rule-row-enabled'))).toBeNull();
  expect(await page.$(tid('offline-threshold-input'))).toBeNull();
  await page.goto(`${api.url}/fleet/policies`);
  await page.waitForSelector(tid('policies-read-only'));
  await page.waitForSelector(tid('policy-row'));
  expect(await page.$(tid('policy-create'))).toBeNull();
  expect(await page.$(tid('policy-row-enabled'))).toBeNull();
  await page.goto(`${api.url}/fleet/${machineId}`);
  await page.waitForSelector(tid('machine-title'));
  expect(await page.$(tid('machine-disable'))).toBeNull();
  expect(await page.$(tid('machine-enable'))).toBeNull();
  expect(await page.$(tid('machine-delete'))).toBeNull();
  expect(await page.$(tid('machine-tags-input'))).toBeNull();
  await page.goto(`${api.url}/fleet/alerts`);
  await page.waitForSelector(tid('alerts-page'));
  await page.waitForSelector(tid('alert-row'));
  // The filters: the open alerts of this machine, then none resolved.
  await pick('alerts-filter-status', 'Résolue');
  await page.waitForSelector(tid('alerts-empty'));
  await pick('alerts-filter-status', 'Ouverte');
  await page.waitForSelector(tid('alert-row'));
  expect(await unlabelledInputs(page)).toEqual([]);
}, 60_000);
