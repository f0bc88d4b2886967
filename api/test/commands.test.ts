import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { connect, credsAuthenticator, nkeys, type NatsConnection } from 'nats';
import { agentSubjects, COMMANDS_STREAM } from '@vigie/core';
import { withTenant } from '@vigie/db';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, testConfig, type Session, type TestApi } from './support/harness';

/**
 * Remote commands through the API (the agent's side is in agent/test/commands.test.ts): validation, tenancy,
 * the row committed before NATS gets the command, Idempotency-Key, and a NATS outage answered with a 503 that
 * a retry with the same key repairs.
 */
let api: TestApi;
let admin: Session;
let nc: NatsConnection;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
});
afterAll(async () => {
  await nc?.drain();
  await api?.close();
});

async function enrollMachine(session = admin): Promise<string> {
  const client = await api.call('POST', '/api/v1/clients', { token: session.token, body: { name: `Client ${randomUUID().slice(0, 6)}`, siren: nextSiren() } });
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: session.token, body: { clientId: client.body.id } });
  const res = await api.call('POST', '/api/v1/agents/enroll', {
    body: { token: token.body.token, hostname: 'srv-commands', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() },
  });
  expect(res.status).toBe(201);
  return res.body.machineId as string;
}

const post = (machineId: string, body: unknown, opts: { token?: string; key?: string } = {}) =>
  api.call('POST', `/api/v1/machines/${machineId}/commands`, {
    token: opts.token ?? admin.token,
    body,
    ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}),
  });

const rows = (machineId: string, tenantId = admin.user.tenantId) =>
  withTenant(api.deps.db, tenantId, (tx) => tx('machine_commands').where({ machine_id: machineId }).orderBy('created_at')) as Promise<Record<string, unknown>[]>;

describe('POST /machines/:id/commands', () => {
  let machineId: string;
  beforeAll(async () => {
    machineId = await enrollMachine();
  });

  it('saves the command with its audit entry, then puts it in the COMMANDS stream for the agent', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const res = await post(machineId, { name: 'run-script', params: { interpreter: 'bash', script: 'echo hello' }, ttlSeconds: 600 }, { token: tech.token });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      machineId,
      name: 'run-script',
      params: { interpreter: 'bash', script: 'echo hello', timeoutSeconds: 300 },
      status: 'sent',
      requestedBy: tech.user.id,
      exitCode: null,
      finishedAt: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(600_000);
    expect(Date.parse(res.body.sentAt)).toBeGreaterThanOrEqual(Date.parse(res.body.createdAt));

    const stored = await nc.jetstreamManager().then((jsm) =>
      jsm.streams.getMessage(COMMANDS_STREAM, { last_by_subj: `${agentSubjects(admin.user.tenantId, machineId).commands}.run-script` }),
    );
    expect(stored.json()).toEqual({ id: res.body.id, name: 'run-script', params: res.body.params, expiresAt: res.body.expiresAt });
    expect(stored.header.get('Nats-Msg-Id')).toBe(res.body.id);

    const audit = await api.call('GET', `/api/v1/audit-log?entity=machine_command&entityId=${res.body.id}`, { token: admin.token });
    expect(audit.body.items).toEqual([expect.objectContaining({ action: 'machine_command.create', actorName: tech.user.name })]);
    expect(audit.body.items[0].after).toMatchObject({ machineId, name: 'run-script', params: { script: 'echo hello' } });

    const one = await api.call('GET', `/api/v1/commands/${res.body.id}`, { token: admin.token });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(res.body);
  });

  it('applies defaults per command (ping, reboot) and a TTL of one hour', async () => {
    const ping = await post(machineId, { name: 'ping' });
    expect(ping.status).toBe(201);
    expect(ping.body.params).toEqual({});
    expect(Date.parse(ping.body.expiresAt) - Date.parse(ping.body.createdAt)).toBe(3600_000);
    const reboot = await post(machineId, { name: 'reboot' });
    expect(reboot.body.params).toEqual({ delaySeconds: 0 });
    const restart = await post(machineId, { name: 'restart-service', params: { service: 'nginx' }, ttlSeconds: 7 * 24 * 3600 });
    expect(restart.status).toBe(201);
  });

  it('refuses invalid commands with 400 and field errors, saving nothing', async () => {
    const before = (await rows(machineId)).length;
    const cases: [unknown, string[]][] = [
      [{ name: 'format-disk' }, ['name']],
      [{ name: 'run-script', params: { script: 'x'.repeat(64 * 1024 + 1) } }, ['params.script']],
      [{ name: 'run-script', params: { script: '', interpreter: 'ruby' } }, ['params.interpreter', 'params.script']],
      [{ name: 'ping', ttlSeconds: 7 * 24 * 3600 + 1 }, ['ttlSeconds']],
      [{ name: 'ping', ttlSeconds: 0 }, ['ttlSeconds']],
      [{ name: 'restart-service', params: { service: '--now; reboot' } }, ['params.service']],
      [{ name: 'reboot', params: { delaySeconds: -1 } }, ['params.delaySeconds']],
      [{ name: 'ping', extra: true }, ['extra']],
    ];
    for (const [body, paths] of cases) {
      const res = await post(machineId, body);
      expect([JSON.stringify(body).slice(0, 80), res.status]).toEqual([JSON.stringify(body).slice(0, 80), 400]);
      expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(paths);
    }
    expect((await rows(machineId)).length).toBe(before);
  });

  it('answers 404 for an unknown machine or another tenant’s, and 409 for a disabled machine', async () => {
    expect((await post(randomUUID(), { name: 'ping' })).status).toBe(404);
    const other = await api.signup();
    expect((await post(machineId, { name: 'ping' }, { token: other.token })).status).toBe(404);
    expect((await api.call('GET', `/api/v1/machines/${machineId}/commands`, { token: other.token })).status).toBe(404);
    const mine = await post(machineId, { name: 'ping' });
    expect((await api.call('GET', `/api/v1/commands/${mine.body.id}`, { token: other.token })).status).toBe(404);

    const disabled = await enrollMachine();
    await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('machines').where({ id: disabled }).update({ disabled_at: new Date() }));
    const refused = await post(disabled, { name: 'ping' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/disabled/);
    expect(await rows(disabled)).toEqual([]);
  });

  it('makes one command for a repeated Idempotency-Key, even at the same time, and refuses the key for another request', async () => {
    const key = `cmd-${randomUUID()}`;
    const body = { name: 'run-script', params: { script: 'uptime' } };
    const [a, b] = await Promise.all([post(machineId, body, { key }), post(machineId, body, { key })]);
    const again = await post(machineId, body, { key });
    expect([a.status, b.status, again.status]).toEqual([201, 201, 201]);
    expect(new Set([a.body.id, b.body.id, again.body.id]).size).toBe(1);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await rows(machineId)).filter((r) => r.id === a.body.id)).toHaveLength(1);
    expect((await post(machineId, { name: 'ping' }, { key })).status).toBe(409);
    expect((await post(machineId, body, { key: 'short' })).status).toBe(400);
  });

  it('lists a machine’s commands newest first, by pages', async () => {
    const fresh = await enrollMachine();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(fresh, { name: 'ping' })).body.id);
    const first = await api.call('GET', `/api/v1/machines/${fresh}/commands?limit=2`, { token: admin.token });
    expect(first.status).toBe(200);
    expect(first.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await api.call('GET', `/api/v1/machines/${fresh}/commands?limit=2&cursor=${first.body.nextCursor}`, { token: admin.token });
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await api.call('GET', `/api/v1/machines/${fresh}/commands?sort=name`, { token: admin.token })).status).toBe(400);
  });
});

describe('when NATS is away', () => {
  it('keeps the command queued and answers 503; a retry with the same key sends that same command', async () => {
    const machineId = await enrollMachine();
    const cut = await startTestApi(testConfig({ NATS_URL: 'nats://127.0.0.1:1' }));
    try {
      const key = `outage-${randomUUID()}`;
      const res = await cut.call('POST', `/api/v1/machines/${machineId}/commands`, { token: admin.token, body: { name: 'ping' }, headers: { 'idempotency-key': key } });
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(/queued/);
      const [row] = await rows(machineId);
      expect(row).toMatchObject({ id: res.body.commandId, status: 'queued', sent_at: null });

      const retry = await post(machineId, { name: 'ping' }, { key });
      expect(retry.status).toBe(201);
      expect(retry.body).toMatchObject({ id: res.body.commandId, status: 'sent' });
      expect(await rows(machineId)).toHaveLength(1);
    } finally {
      await cut.close();
    }
  }, 30_000);
});
