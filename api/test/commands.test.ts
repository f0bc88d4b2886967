import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { connect, credsAuthenticator, nkeys, type NatsConnection } from 'nats';
import { agentSubjects, COMMANDS_STREAM, commandDelivery, type CommandResult } from '@vigie/core';
import { machineCommandsRepo, withTenant } from '@vigie/db';
import { createCommandPublisher } from '../src/agents/command-publisher';
import { sweepCommands } from '../src/agents/command-sweep';
import { reconcileCommandConsumers } from '../src/agents/credential-routes';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, testConfig, type Session, type TestApi } from './support/harness';

/**
 * Remote commands through the API (the agent's side is in agent/test/commands.test.ts): validation, tenancy,
 * the row committed before NATS gets the command, Idempotency-Key, and a NATS outage answered with a 503 that
 * a retry with the same key repairs; cancelling (the agent's notice, results that come after it), the
 * server's expiry sweep, and the command consumer removed with its machine.
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

const cancel = (commandId: string, opts: { token?: string; key?: string; on?: TestApi } = {}) =>
  (opts.on ?? api).call('POST', `/api/v1/commands/${commandId}/cancel`, {
    token: opts.token ?? admin.token,
    ...(opts.key ? { headers: { 'idempotency-key': opts.key } } : {}),
  });

const commandRow = (id: string, tenantId = admin.user.tenantId) =>
  withTenant(api.deps.db, tenantId, (tx) => tx('machine_commands').where({ id }).first()) as Promise<Record<string, unknown>>;

/** An agent's report, as ingest applies it. */
const report = (machineId: string, r: Omit<CommandResult, 'seq' | 'at'>) =>
  withTenant(api.deps.db, admin.user.tenantId, (tx) => machineCommandsRepo.applyResult(tx, machineId, { seq: 1, at: new Date().toISOString(), ...r }));

describe('POST /commands/:id/cancel', () => {
  let machineId: string;
  beforeAll(async () => {
    machineId = await enrollMachine();
  });

  it('cancels a sent command with who and when and an audit entry, tells the agent, and takes the command out of the stream', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const sent = await post(machineId, { name: 'run-script', params: { script: 'echo never' } });
    expect(sent.body.status).toBe('sent');
    const { stream_seq: seq } = await commandRow(sent.body.id);
    expect(Number(seq)).toBeGreaterThan(0);

    const res = await cancel(sent.body.id, { token: tech.token });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: sent.body.id, status: 'cancelled', cancelledBy: tech.user.id, cancelledByName: tech.user.name, startedAt: null });
    expect(res.body.finishedAt).toBe(res.body.cancelledAt);
    expect((await api.call('GET', `/api/v1/commands/${sent.body.id}`, { token: admin.token })).body).toEqual(res.body);
    expect((await commandRow(sent.body.id)).cancel_published_at).toBeInstanceOf(Date);

    const audit = await api.call('GET', `/api/v1/audit-log?entity=machine_command&entityId=${sent.body.id}`, { token: admin.token });
    expect(audit.body.items).toEqual([
      expect.objectContaining({ action: 'machine_command.cancel', actorName: tech.user.name, before: { status: 'sent' }, after: expect.objectContaining({ status: 'cancelled' }) }),
      expect.objectContaining({ action: 'machine_command.create' }),
    ]);

    const jsm = await nc.jetstreamManager();
    const notice = await jsm.streams.getMessage(COMMANDS_STREAM, { last_by_subj: `${agentSubjects(admin.user.tenantId, machineId).commands}.cancel` });
    expect(notice.json()).toEqual({ name: 'cancel', commandId: sent.body.id });
    expect(notice.header.get('Nats-Msg-Id')).toBe(`cancel:${sent.body.id}`);
    await expect(jsm.streams.getMessage(COMMANDS_STREAM, { seq: Number(seq) })).rejects.toThrow(/no message found/i);
  });

  it('answers 409 for a final command and changes nothing; 404 for another tenant’s; 403 for a client user', async () => {
    const ping = await post(machineId, { name: 'ping' });
    expect(await report(machineId, { commandId: ping.body.id, status: 'succeeded', durationMs: 2 })).toBe('applied');
    const refused = await cancel(ping.body.id);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({ status: 409, detail: expect.stringMatching(/succeeded already/) });
    expect(await commandRow(ping.body.id)).toMatchObject({ status: 'succeeded', cancelled_at: null });

    const once = await post(machineId, { name: 'ping' });
    expect((await cancel(once.body.id)).status).toBe(200);
    expect((await cancel(once.body.id)).status).toBe(409);

    const other = await api.signup();
    const mine = await post(machineId, { name: 'ping' });
    expect((await cancel(mine.body.id, { token: other.token })).status).toBe(404);
    expect((await cancel(randomUUID())).status).toBe(404);
    const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Client portail', siren: nextSiren() } });
    const email = `client-${randomUUID().slice(0, 8)}@test.vigie.dev`;
    expect((await api.call('POST', '/api/v1/users', { token: admin.token, body: { email, name: 'Client', role: 'client', clientId: client.body.id, password: 'a long enough password' } })).status).toBe(201);
    const clientTokens = await api.login(email, 'a long enough password');
    expect((await cancel(mine.body.id, { token: clientTokens.accessToken })).status).toBe(403);
    expect(await commandRow(mine.body.id)).toMatchObject({ status: 'sent' });
  });

  it('replays a cancel repeated with its Idempotency-Key, and refuses that key for another command', async () => {
    const key = `cancel-${randomUUID()}`;
    const a = await post(machineId, { name: 'ping' });
    const [first, second] = await Promise.all([cancel(a.body.id, { key }), cancel(a.body.id, { key })]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.body).toEqual(first.body);
    const again = await cancel(a.body.id, { key });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const b = await post(machineId, { name: 'ping' });
    expect((await cancel(b.body.id, { key })).status).toBe(409);
    expect(await commandRow(b.body.id)).toMatchObject({ status: 'sent' });
    expect((await cancel(b.body.id, { key: 'short' })).status).toBe(400);
  });

  it('never lets a later result change a final status; the agent’s own cancelled report only adds the stopped script’s output', async () => {
    const running = await post(machineId, { name: 'run-script', params: { script: 'sleep 30' } });
    expect(await report(machineId, { commandId: running.body.id, status: 'running' })).toBe('applied');
    expect((await cancel(running.body.id)).body).toMatchObject({ status: 'cancelled', startedAt: expect.any(String) });
    expect(await report(machineId, { commandId: running.body.id, status: 'succeeded', exitCode: 0, durationMs: 10 })).toBe('stale');
    expect(await report(machineId, { commandId: running.body.id, status: 'failed', error: 'interrupted' })).toBe('stale');
    const stopped = { commandId: running.body.id, status: 'cancelled' as const, exitCode: null, stdout: 'partial', durationMs: 1500, error: 'cancelled: the script was stopped (SIGTERM)' };
    expect(await report(machineId, stopped)).toBe('applied');
    expect(await report(machineId, { ...stopped, stdout: 'other' })).toBe('stale');
    expect(await commandRow(running.body.id)).toMatchObject({ status: 'cancelled', stdout: 'partial', duration_ms: 1500, error: expect.stringMatching(/^cancelled/) });

    // Only the server cancels: the agent's "cancelled" moves no command that is not.
    const sent = await post(machineId, { name: 'ping' });
    expect(await report(machineId, { commandId: sent.body.id, status: 'cancelled' })).toBe('stale');
    expect(await commandRow(sent.body.id)).toMatchObject({ status: 'sent' });
  });

  it('keeps the cancel when NATS is away; the sweep publishes the agent’s notice once NATS is back', async () => {
    const sent = await post(machineId, { name: 'run-script', params: { script: 'echo away' } });
    const cut = await startTestApi(testConfig({ NATS_URL: 'nats://127.0.0.1:1' }));
    try {
      const res = await cancel(sent.body.id, { on: cut });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('cancelled');
    } finally {
      await cut.close();
    }
    expect(await commandRow(sent.body.id)).toMatchObject({ status: 'cancelled', cancel_published_at: null });

    const result = await sweepCommands(api.deps, createCommandPublisher(api.deps.nats));
    expect(result.cancelsPublished).toBeGreaterThanOrEqual(1);
    expect((await commandRow(sent.body.id)).cancel_published_at).toBeInstanceOf(Date);
    const jsm = await nc.jetstreamManager();
    const notice = await jsm.streams.getMessage(COMMANDS_STREAM, { last_by_subj: `${agentSubjects(admin.user.tenantId, machineId).commands}.cancel` });
    expect(notice.json()).toEqual({ name: 'cancel', commandId: sent.body.id });
  }, 30_000);
});

describe('the expiry sweep', () => {
  /** A command whose expiry is an hour gone, as if no agent had taken it. */
  async function overdue(session: Session, machineId: string, status: 'queued' | 'sent' | 'running'): Promise<string> {
    const res = await post(machineId, { name: 'ping' }, { token: session.token });
    await withTenant(api.deps.db, session.user.tenantId, (tx) =>
      tx('machine_commands')
        .where({ id: res.body.id })
        .update({ status, created_at: tx.raw(`now() - interval '2 hours'`), expires_at: tx.raw(`now() - interval '1 hour'`) }),
    );
    return res.body.id as string;
  }

  it('expires every tenant’s queued or sent commands past their expiry, once, even with two sweeps at a time', async () => {
    const other = await api.signup();
    const [mine, theirs] = [await enrollMachine(), await enrollMachine(other)];
    const queued = await overdue(admin, mine, 'queued');
    const sent = await overdue(admin, mine, 'sent');
    const foreign = await overdue(other, theirs, 'sent');
    const running = await overdue(admin, mine, 'running');
    const fresh = (await post(mine, { name: 'ping' })).body.id as string;
    // Past its expiry by less than the grace: an agent's "running" report may still be on its way.
    const recent = (await post(mine, { name: 'ping' })).body.id as string;
    await withTenant(api.deps.db, admin.user.tenantId, (tx) =>
      tx('machine_commands').where({ id: recent }).update({ created_at: tx.raw(`now() - interval '1 minute'`), expires_at: tx.raw(`now() - interval '10 seconds'`) }),
    );

    const [a, b] = await Promise.all([machineCommandsRepo.expireOverdueCommands(api.deps.db, 60), machineCommandsRepo.expireOverdueCommands(api.deps.db, 60)]);
    const expiredIds = [...a, ...b].map((r) => r.id);
    for (const id of [queued, sent, foreign]) expect(expiredIds.filter((x) => x === id)).toHaveLength(1);
    for (const id of [running, fresh, recent]) expect(expiredIds).not.toContain(id);
    expect([...a, ...b].find((r) => r.id === foreign)).toEqual({ tenantId: other.user.tenantId, machineId: theirs, id: foreign });

    const got = await api.call('GET', `/api/v1/commands/${sent}`, { token: admin.token });
    expect(got.body).toMatchObject({ status: 'expired', startedAt: null, error: expect.stringMatching(/^expired at .*no agent took it/) });
    expect(Date.parse(got.body.finishedAt)).toBeGreaterThan(Date.parse(got.body.expiresAt));
    expect(await commandRow(foreign, other.user.tenantId)).toMatchObject({ status: 'expired' });
    expect(await commandRow(running)).toMatchObject({ status: 'running' });
    expect(await commandRow(fresh)).toMatchObject({ status: 'sent' });
    expect(await commandRow(recent)).toMatchObject({ status: 'sent' });
    // The agent's late report does not bring it back; a cancel is refused.
    expect(await report(mine, { commandId: sent, status: 'running' })).toBe('stale');
    expect((await cancel(sent)).status).toBe(409);

    // The sweep the API runs every 30 s does the same.
    const late = await overdue(admin, mine, 'sent');
    expect((await sweepCommands(api.deps, createCommandPublisher(api.deps.nats))).expired).toBeGreaterThanOrEqual(1);
    expect(await commandRow(late)).toMatchObject({ status: 'expired' });
  });
});

describe('deleting a machine', () => {
  const consumerOf = async (tenantId: string, machineId: string) => {
    const d = commandDelivery(tenantId, machineId);
    const jsm = await nc.jetstreamManager();
    return jsm.consumers.info(d.stream, d.consumer).then(
      (info) => info,
      () => null,
    );
  };

  it('removes its command consumer after the delete', async () => {
    const machineId = await enrollMachine();
    expect((await post(machineId, { name: 'ping' })).status).toBe(201);
    expect(await consumerOf(admin.user.tenantId, machineId)).not.toBeNull();
    const res = await api.call('DELETE', `/api/v1/machines/${machineId}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(await consumerOf(admin.user.tenantId, machineId)).toBeNull();
  });

  it('leaves it to the reconcile loop when NATS was away at delete time', async () => {
    const machineId = await enrollMachine();
    const keep = await enrollMachine();
    expect((await post(machineId, { name: 'ping' })).status).toBe(201);
    expect((await post(keep, { name: 'ping' })).status).toBe(201);
    const cut = await startTestApi(testConfig({ NATS_URL: 'nats://127.0.0.1:1' }));
    try {
      expect((await cut.call('DELETE', `/api/v1/machines/${machineId}`, { token: admin.token })).status).toBe(200);
    } finally {
      await cut.close();
    }
    expect(await consumerOf(admin.user.tenantId, machineId)).not.toBeNull();
    expect(await reconcileCommandConsumers(api.deps)).toBeGreaterThanOrEqual(1);
    expect(await consumerOf(admin.user.tenantId, machineId)).toBeNull();
    // A machine that still exists keeps its consumer.
    expect(await consumerOf(admin.user.tenantId, keep)).not.toBeNull();
  }, 30_000);
});
