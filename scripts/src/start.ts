import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startStack } from './stack';
import { ROOT } from './stack/paths';
import { isPortFree, startService, waitForPort, type Service } from './stack/process';

/** `npm start`: the whole platform on loopback, data kept in .data/ between runs. Ctrl-C stops it all. */

const DATA_DIR = path.resolve(process.env.VIGIE_DATA_DIR ?? path.join(ROOT, '.data'));
const PORTS = {
  api: Number(process.env.PORT ?? 3000),
  postgres: Number(process.env.VIGIE_POSTGRES_PORT ?? 54329),
  nats: Number(process.env.VIGIE_NATS_PORT ?? 4222),
  temporal: Number(process.env.VIGIE_TEMPORAL_PORT ?? 7233),
  temporalUi: Number(process.env.VIGIE_TEMPORAL_UI_PORT ?? 8233),
};
const DEMO_EMAIL = 'admin@demo.vigie.test';

const say = (line: string) => console.log(`[vigie] ${line}`);

async function checkPorts(): Promise<void> {
  const busy = [];
  for (const [name, port] of Object.entries(PORTS)) if (!(await isPortFree(port))) busy.push(`${name} (${port})`);
  if (busy.length)
    throw new Error(`ports already in use: ${busy.join(', ')}. Is Vigie already running? Otherwise set PORT / VIGIE_*_PORT.`);
}

function demoPassword(): string {
  const file = path.join(DATA_DIR, 'demo.json');
  if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { password: string }).password;
  const password = `demo-${randomBytes(9).toString('base64url')}`;
  fs.writeFileSync(file, JSON.stringify({ email: DEMO_EMAIL, password }, null, 2), { mode: 0o600 });
  return password;
}

/** Creates the demo tenant through the public signup API (same path as a real MSP), once. */
async function ensureDemoTenant(apiUrl: string, password: string): Promise<void> {
  const login = await fetch(`${apiUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: DEMO_EMAIL, password }),
  });
  if (login.ok) return;
  const signup = await fetch(`${apiUrl}/api/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tenantName: 'Démo Infogérance', email: DEMO_EMAIL, password, name: 'Admin Démo' }),
  });
  if (!signup.ok) throw new Error(`demo signup failed: ${signup.status} ${await signup.text()}`);
  say('demo tenant created');
}

const api = async (apiUrl: string, method: string, url: string, token?: string, body?: unknown) => {
  const res = await fetch(`${apiUrl}/api/v1${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 200)}`);
  return (text ? JSON.parse(text) : undefined) as Record<string, unknown>;
};

/**
 * Enrolls this machine into the demo tenant (client "Mon parc") with the built agent CLI, once: the data
 * directory keeps its credentials between runs. Returns the data directory, or undefined (with the reason said).
 */
async function ensureLocalAgent(apiUrl: string, password: string): Promise<string | undefined> {
  const dataDir = path.join(DATA_DIR, 'agent');
  if (fs.existsSync(path.join(dataDir, 'agent.json'))) return dataDir;
  try {
    const login = await api(apiUrl, 'POST', '/auth/login', undefined, { email: DEMO_EMAIL, password });
    const token = login.accessToken as string;
    const clients = (await api(apiUrl, 'GET', '/clients', token)).items as { id: string; name: string }[];
    const client = clients.find((c) => c.name === 'Mon parc') ?? (await api(apiUrl, 'POST', '/clients', token, { name: 'Mon parc' }));
    const enrollment = await api(apiUrl, 'POST', '/enrollment-tokens', token, { clientId: client.id, ttlHours: 1 });
    const { execFileSync } = await import('node:child_process');
    execFileSync(process.execPath, [path.join(ROOT, 'agent', 'dist', 'cli.js'), 'enroll', '--url', apiUrl, '--token', enrollment.token as string, '--data-dir', dataDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 30_000,
    });
    say(`this machine enrolled in the demo tenant (client "Mon parc")`);
    return dataDir;
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    say(`local agent not enrolled, continuing without it: ${stderr || (err instanceof Error ? err.message : String(err))}`);
    return undefined;
  }
}

async function main(): Promise<void> {
  await checkPorts();
  const started = Date.now();
  const stack = await startStack({
    dataDir: DATA_DIR,
    ports: { postgres: PORTS.postgres, nats: PORTS.nats, temporal: PORTS.temporal, temporalUi: PORTS.temporalUi },
    ephemeral: false,
    log: say,
  });
  const logs = path.join(DATA_DIR, 'logs');
  const env = {
    ...process.env,
    ...stack.env,
    NODE_ENV: 'development',
    PORT: String(PORTS.api),
    HOST: '127.0.0.1',
    STORAGE_DIR: path.join(DATA_DIR, 'documents'),
    // Finance opens an invoice's workflow in the Temporal UI from its page.
    TEMPORAL_UI_URL: process.env.TEMPORAL_UI_URL ?? `http://127.0.0.1:${PORTS.temporalUi}`,
  };
  const processes: Service[] = [];
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const service of processes.reverse()) {
      const t0 = Date.now();
      await service.stop();
      if (Date.now() - t0 > 2000) say(`${service.name} took ${((Date.now() - t0) / 1000).toFixed(1)} s to stop`);
    }
    await stack.stop();
    say('stopped');
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (const name of ['worker', 'ingest', 'api']) {
    const service = startService(name, process.execPath, [path.join(ROOT, name, 'dist', 'main.js')], {
      logFile: path.join(logs, `${name}.log`),
      env,
      cwd: ROOT,
    });
    service.child.once('exit', (code) => {
      if (stopping) return;
      console.error(`[vigie] ${name} exited with code ${code}; see ${path.join(logs, `${name}.log`)}`);
      void stopAll(1);
    });
    processes.push(service);
  }
  const apiUrl = `http://127.0.0.1:${PORTS.api}`;
  await waitForPort(PORTS.api, '127.0.0.1', 60_000);
  const password = demoPassword();
  await ensureDemoTenant(apiUrl, password);
  const agentDir = await ensureLocalAgent(apiUrl, password);
  let fleet = 'no local agent (see above)';
  if (agentDir) {
    const agent = startService('agent', process.execPath, [path.join(ROOT, 'agent', 'dist', 'cli.js'), 'run', '--data-dir', agentDir], {
      logFile: path.join(logs, 'agent.log'),
      env,
      cwd: ROOT,
    });
    // The agent is a guest: if it stops, the platform keeps running.
    agent.child.once('exit', (code) => {
      if (!stopping) console.error(`[vigie] agent exited with code ${code}; see ${path.join(logs, 'agent.log')}`);
    });
    processes.push(agent);
    fleet = '1 machine reporting (this one, client "Mon parc")';
  }

  console.log(`
  Vigie is running (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)

    Web app      ${apiUrl}
    API docs     ${apiUrl}/api/docs
    Temporal UI  http://127.0.0.1:${PORTS.temporalUi}
    Ticket mail  ${process.env.INBOUND_SMTP_PORT === '0' ? 'off (INBOUND_SMTP_PORT=0)' : `smtp://${process.env.INBOUND_SMTP_HOST ?? '127.0.0.1'}:${process.env.INBOUND_SMTP_PORT ?? 2525} (mail to a tenant's support address)`}

    Fleet        ${fleet}
    Demo login   ${DEMO_EMAIL}
    Password     ${password}

  Logs in ${logs}. Press Ctrl-C to stop.
`);
}

main().catch((err) => {
  console.error(`[vigie] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
