import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createUser, encodeUser, fromSeed } from '@nats-io/jwt';
import { connect, credsAuthenticator, jwtAuthenticator, type NatsConnection } from 'nats';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { sessionAs, startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { until } from '../../api/test/support/until';
import { AGENT_CLI as CLI, runAgentCli as run } from './support/cli';

/**
 * Disabling or deleting a machine revokes its agent's credentials in the NATS account at once: the real agent
 * process is disconnected (the server's own connection list says so), cannot connect again, and cannot renew;
 * enabled again, it renews by itself and reconnects. Real API, NATS (operator/account JWTs, full resolver).
 */

let api: TestApi;
let admin: Session;
let sys: NatsConnection;
const children: ChildProcess[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  sys = await systemConnection();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await sys?.close();
  await api?.close();
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A user of the system account, to ask the server which connections it has (`CONNZ`). */
async function systemConnection(): Promise<NatsConnection> {
  const keys = JSON.parse(fs.readFileSync(process.env.NATS_KEYS_FILE!, 'utf8')) as { systemAccountSeed: string };
  const user = createUser();
  const jwt = await encodeUser('revocation-test', user, fromSeed(new TextEncoder().encode(keys.systemAccountSeed)));
  return connect({ servers: process.env.NATS_URL!, authenticator: jwtAuthenticator(jwt, user.getSeed()) });
}

async function connectedAgents(machineId: string): Promise<number> {
  const reply = await sys.request('$SYS.REQ.SERVER.PING.CONNZ', new TextEncoder().encode(JSON.stringify({ limit: 100_000 })), { timeout: 3000 });
  const answer = JSON.parse(new TextDecoder().decode(reply.data)) as { data?: { connections?: { name?: string }[] } };
  return (answer.data?.connections ?? []).filter((c) => c.name === `vigie-agent-${machineId}`).length;
}

async function enrolledAgent(): Promise<{ dataDir: string; machineId: string; log: () => string }> {
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Client ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-revocation-'));
  dirs.push(dir);
  const dataDir = path.join(dir, 'data');
  const enrolled = await run(['enroll', '--url', api.url, '--token', token.body.token, '--data-dir', dataDir]);
  expect(enrolled.code).toBe(0);
  const { machineId } = JSON.parse(enrolled.stdout) as { machineId: string };
  const agent = spawn(process.execPath, [CLI, 'run', '--data-dir', dataDir, '--heartbeat-seconds', '0.5', '--renew-retry-seconds', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(agent);
  let log = '';
  agent.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await until('the agent connected', async () => (await connectedAgents(machineId)) === 1, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}; agent log:\n${log}`);
  });
  return { dataDir, machineId, log: () => log };
}

/** Connecting with the agent's own creds file, as a copied credential would. */
async function connectsWithAgentCreds(dataDir: string): Promise<string> {
  try {
    const nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(path.join(dataDir, 'agent.creds'))), reconnect: false, timeout: 5000 });
    await nc.close();
    return 'connected';
  } catch (err) {
    return (err as Error).message;
  }
}

const renew = (dataDir: string) =>
  api.call('POST', '/api/v1/agents/renew', { body: { machineToken: fs.readFileSync(path.join(dataDir, 'machine-token'), 'utf8').trim() } });

describe('revoking an agent', () => {
  it('renews the credentials of an active machine for the same nkey', async () => {
    const { dataDir, machineId } = await enrolledAgent();
    const res = await renew(dataDir);
    expect(res.status).toBe(200);
    expect(Date.parse(res.body.jwtExpiresAt) - Date.now()).toBeGreaterThan(23 * 3600 * 1000);
    const machine = await api.call('GET', `/api/v1/machines/${machineId}`, { token: admin.token });
    expect(machine.body.jwtExpiresAt).toBe(res.body.jwtExpiresAt);
    expect((await api.call('POST', '/api/v1/agents/renew', { body: { machineToken: 'vgm_not-a-real-machine-token' } })).body).toMatchObject({ status: 401, reason: 'unknown' });
  });

  it('disconnects a disabled machine at once, refuses its credentials and renewals, and lets it back in once enabled', async () => {
    const { dataDir, machineId, log } = await enrolledAgent();
    const disabled = await api.call('POST', `/api/v1/machines/${machineId}/disable`, { token: admin.token });
    expect(disabled).toMatchObject({ status: 200, body: { revocation: 'applied' } });
    await until('the server closed the agent’s connection', async () => (await connectedAgents(machineId)) === 0, 10_000);
    expect(await connectsWithAgentCreds(dataDir)).toMatch(/authorization|revoked/i);
    expect((await renew(dataDir)).body).toMatchObject({ status: 401, reason: 'disabled' });
    expect((await api.call('GET', `/api/v1/machines/${machineId}`, { token: admin.token })).body).toMatchObject({ online: false, disabledAt: expect.any(String) });
    // Disabling twice changes nothing.
    expect((await api.call('POST', `/api/v1/machines/${machineId}/disable`, { token: admin.token })).status).toBe(200);

    expect((await api.call('POST', `/api/v1/machines/${machineId}/enable`, { token: admin.token })).status).toBe(204);
    await until('the agent renewed and reconnected', async () => (await connectedAgents(machineId)) === 1, 20_000).catch((err: Error) => {
      throw new Error(`${err.message}; agent log:\n${log()}`);
    });
    expect(log()).toContain('NATS credentials renewed');
  });

  it('disconnects a deleted machine for good: no connection, no renewal', async () => {
    const { dataDir, machineId } = await enrolledAgent();
    const deleted = await api.call('DELETE', `/api/v1/machines/${machineId}`, { token: admin.token });
    expect(deleted).toMatchObject({ status: 200, body: { revocation: 'applied' } });
    await until('the server closed the agent’s connection', async () => (await connectedAgents(machineId)) === 0, 10_000);
    expect(await connectsWithAgentCreds(dataDir)).toMatch(/authorization|revoked/i);
    expect((await renew(dataDir)).body).toMatchObject({ status: 401, reason: 'unknown' });
    expect((await api.call('GET', `/api/v1/machines/${machineId}`, { token: admin.token })).status).toBe(404);
  });

  it('is for admins and managers only', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const { machineId } = await enrolledAgent();
    for (const [method, p] of [['POST', 'disable'], ['POST', 'enable'], ['DELETE', '']] as const) {
      expect((await api.call(method, `/api/v1/machines/${machineId}${p ? `/${p}` : ''}`, { token: tech.token })).status).toBe(403);
    }
    expect(await connectedAgents(machineId)).toBe(1);
  });
});
