import { nkeys } from 'nats';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, type Session, type TestApi } from './support/harness';

/**
 * Agent policies on the real API and Postgres: staff manage them (validated, audited, paginated), the machine page
 * reads which one a machine follows, and the agent reads it with its machine token (ETag, 304), refused once its
 * machine is disabled or deleted.
 */
let api: TestApi;
let admin: Session;

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

const call = (method: string, url: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${url}`, { token, ...(body !== undefined ? { body } : {}) });
/** What an agent sends: its machine token, not a user's. */
const asAgent = (machineToken: string, headers: Record<string, string> = {}) => api.call('GET', '/api/v1/agents/policy', { headers: { authorization: `Bearer ${machineToken}`, ...headers } });

interface Enrolled {
  machineId: string;
  machineToken: string;
  clientId: string;
  siteId: string;
}

/** A client with a site, and a machine enrolled on that site. */
async function enrolledMachine(session = admin): Promise<Enrolled> {
  const client = await call('POST', '/clients', { name: `Client ${nextSiren()}`, siren: nextSiren() }, session.token);
  expect(client.status).toBe(201);
  const site = await call('POST', `/clients/${client.body.id}/sites`, { name: 'Siège', address: { line1: '1 rue', postalCode: '74000', city: 'Annecy' } }, session.token);
  expect(site.status).toBe(201);
  const token = await call('POST', '/enrollment-tokens', { clientId: client.body.id, siteId: site.body.id }, session.token);
  const res = await api.call('POST', '/api/v1/agents/enroll', {
    body: { token: token.body.token, hostname: 'srv-policy', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() },
  });
  expect(res.status).toBe(201);
  return { machineId: res.body.machineId, machineToken: res.body.machineToken, clientId: client.body.id, siteId: site.body.id };
}

const createPolicy = async (body: Record<string, unknown>, token = admin.token) => {
  const res = await call('POST', '/agent-policies', body, token);
  expect([res.status, res.body]).toEqual([201, expect.objectContaining({ id: expect.any(String) })]);
  return res.body as { id: string; name: string; updatedAt: string };
};

describe('CRUD', () => {
  it('creates with defaults, reads, changes, lists with filters and pages, deletes, and audits each change', async () => {
    const created = await call('POST', '/agent-policies', { name: ' Postes ', watchProcesses: ['teams', 'outlook', 'teams'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Postes', enabled: true, scope: { kind: 'all' }, metricsIntervalSeconds: 60, watchServices: [], watchProcesses: ['outlook', 'teams'] });
    const id = created.body.id as string;
    expect((await call('GET', `/agent-policies/${id}`)).body).toEqual(created.body);

    const patched = await call('PATCH', `/agent-policies/${id}`, { metricsIntervalSeconds: 300, watchServices: ['nginx'], scope: { kind: 'tag', tag: 'Serveur' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Postes', metricsIntervalSeconds: 300, watchServices: ['nginx'], watchProcesses: ['outlook', 'teams'], scope: { kind: 'tag', tag: 'serveur' } });
    expect(Date.parse(patched.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.body.updatedAt));

    await createPolicy({ name: 'Serveurs', enabled: false });
    await createPolicy({ name: 'Autre' });
    const page1 = await call('GET', '/agent-policies?limit=2');
    expect(page1.body.items.map((p: { name: string }) => p.name)).toEqual(['Autre', 'Postes']);
    const page2 = await call('GET', `/agent-policies?limit=2&cursor=${page1.body.nextCursor}`);
    expect(page2.body.items.map((p: { name: string }) => p.name)).toEqual(['Serveurs']);
    expect(page2.body.nextCursor).toBeNull();
    expect((await call('GET', '/agent-policies?enabled=false')).body.items.map((p: { name: string }) => p.name)).toEqual(['Serveurs']);
    expect((await call('GET', '/agent-policies?scopeKind=tag,machine')).body.items.map((p: { name: string }) => p.name)).toEqual(['Postes']);
    expect((await call('GET', '/agent-policies?q=serv&sort=-updatedAt')).body.items.map((p: { name: string }) => p.name)).toEqual(['Serveurs']);

    expect((await call('DELETE', `/agent-policies/${id}`)).status).toBe(204);
    expect((await call('GET', `/agent-policies/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/agent-policies/${id}`)).status).toBe(404);

    const audit = await call('GET', `/audit-log?entity=agent_policy&entityId=${id}`);
    expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['agent_policy.create', 'agent_policy.delete', 'agent_policy.update']);
  });

  it('refuses bad input with a problem naming each field, and changes nothing', async () => {
    const bad = await call('POST', '/agent-policies', {
      name: '',
      metricsIntervalSeconds: 30,
      watchServices: ['nginx; rm -rf /'],
      watchProcesses: Array.from({ length: 51 }, (_, i) => `p${i}`),
      scope: { kind: 'client' },
      color: 'blue',
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['color', 'metricsIntervalSeconds', 'name', 'scope.id', 'watchProcesses', 'watchServices.0']);
    const unknownClient = await call('POST', '/agent-policies', { name: 'X', scope: { kind: 'client', id: '00000000-0000-4000-8000-000000000000' } });
    expect(unknownClient.status).toBe(400);
    expect(unknownClient.body.errors).toEqual([{ path: 'scope.id', message: 'unknown client' }]);
    const policy = await createPolicy({ name: 'Bornes' });
    const tooSlow = await call('PATCH', `/agent-policies/${policy.id}`, { metricsIntervalSeconds: 301 });
    expect(tooSlow.status).toBe(400);
    expect((await call('GET', `/agent-policies/${policy.id}`)).body.metricsIntervalSeconds).toBe(60);
    expect((await call('GET', '/agent-policies?enabled=maybe')).status).toBe(400);
  });

  it('lets technicians read but not write', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const policy = await createPolicy({ name: 'Lecture seule' });
    expect((await call('GET', '/agent-policies', undefined, tech.token)).status).toBe(200);
    expect((await call('GET', `/agent-policies/${policy.id}`, undefined, tech.token)).status).toBe(200);
    expect((await call('POST', '/agent-policies', { name: 'Non' }, tech.token)).status).toBe(403);
    expect((await call('PATCH', `/agent-policies/${policy.id}`, { enabled: false }, tech.token)).status).toBe(403);
    expect((await call('DELETE', `/agent-policies/${policy.id}`, undefined, tech.token)).status).toBe(403);
    const manager = await sessionAs(api, admin, 'manager');
    expect((await call('PATCH', `/agent-policies/${policy.id}`, { enabled: false }, manager.token)).status).toBe(200);
  });
});

describe('the effective policy of a machine', () => {
  it('is the most specific enabled one: machine > site > client > tag > all; defaults without any', async () => {
    const session = await api.signup();
    const m = await enrolledMachine(session);
    const effective = async () => (await call('GET', `/machines/${m.machineId}/policy`, undefined, session.token)).body;

    expect(await effective()).toMatchObject({ policy: null, metricsIntervalSeconds: 60, watchServices: [], watchProcesses: [] });
    const steps: [string, Record<string, unknown>][] = [
      ['Tous', { kind: 'all' }],
      ['Tag', { kind: 'tag', tag: 'serveur' }],
      ['Client', { kind: 'client', id: m.clientId }],
      ['Site', { kind: 'site', id: m.siteId }],
      ['Machine', { kind: 'machine', id: m.machineId }],
    ];
    expect((await call('PUT', `/machines/${m.machineId}/tags`, { tags: ['serveur'] }, session.token)).status).toBe(200);
    const ids: string[] = [];
    for (const [i, [name, scope]] of steps.entries()) {
      const p = await createPolicy({ name, scope, metricsIntervalSeconds: 60 + i * 60, watchServices: [`svc-${i}`] }, session.token);
      ids.push(p.id);
      expect(await effective()).toMatchObject({ policy: { id: p.id, name, scope }, metricsIntervalSeconds: 60 + i * 60, watchServices: [`svc-${i}`] });
    }
    // Switching off the most specific ones hands the machine down, level by level.
    for (let i = steps.length - 1; i > 0; i--) {
      await call('PATCH', `/agent-policies/${ids[i]}`, { enabled: false }, session.token);
      expect((await effective()).policy.name).toBe(steps[i - 1]![0]);
    }
    // Two tenant-wide policies: the one changed last wins.
    const newer = await createPolicy({ name: 'Tous (nouveau)', metricsIntervalSeconds: 120 }, session.token);
    expect((await effective()).policy.id).toBe(newer.id);
    await call('PATCH', `/agent-policies/${ids[0]}`, { name: 'Tous (renommé)' }, session.token);
    expect((await effective()).policy.id).toBe(ids[0]);
    // Out of every scope: the defaults.
    await call('DELETE', `/agent-policies/${ids[0]}`, undefined, session.token);
    await call('DELETE', `/agent-policies/${newer.id}`, undefined, session.token);
    expect(await effective()).toMatchObject({ policy: null, metricsIntervalSeconds: 60, watchServices: [] });
    expect((await call('GET', `/machines/${m.machineId}/policy`)).status).toBe(404); // another tenant's machine
  });
});

describe('GET /agents/policy (the agent)', () => {
  it('answers the effective policy with its version as ETag, 304 while unchanged, the new one after a change', async () => {
    const session = await api.signup();
    const m = await enrolledMachine(session);
    const none = await asAgent(m.machineToken);
    expect(none.status).toBe(200);
    expect(none.body).toMatchObject({ policy: null, metricsIntervalSeconds: 60, watchServices: [], watchProcesses: [] });
    expect(none.headers.get('etag')).toBe(`"${none.body.version}"`);

    const policy = await createPolicy({ name: 'Serveurs', scope: { kind: 'client', id: m.clientId }, metricsIntervalSeconds: 120, watchServices: ['nginx'], watchProcesses: ['backup-agent'] }, session.token);
    const first = await asAgent(m.machineToken, { 'if-none-match': none.headers.get('etag')! });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ policy: { id: policy.id, name: 'Serveurs' }, metricsIntervalSeconds: 120, watchServices: ['nginx'], watchProcesses: ['backup-agent'] });
    expect(first.body.version).not.toBe(none.body.version);
    const etag = first.headers.get('etag')!;

    const again = await asAgent(m.machineToken, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    // A change that does not touch the settings (the name) keeps the version: nothing for the agent to do.
    await call('PATCH', `/agent-policies/${policy.id}`, { name: 'Serveurs Lyon' }, session.token);
    expect((await asAgent(m.machineToken, { 'if-none-match': etag })).status).toBe(304);
    await call('PATCH', `/agent-policies/${policy.id}`, { watchProcesses: [] }, session.token);
    const changed = await asAgent(m.machineToken, { 'if-none-match': etag });
    expect(changed.status).toBe(200);
    expect(changed.body.watchProcesses).toEqual([]);
    // The staff view gives the same version.
    expect((await call('GET', `/machines/${m.machineId}/policy`, undefined, session.token)).body.version).toBe(changed.body.version);
  });

  it('refuses a missing or unknown token, a user’s JWT, and a disabled or deleted machine, like a renewal', async () => {
    const m = await enrolledMachine();
    const missing = await api.call('GET', '/api/v1/agents/policy');
    expect(missing.status).toBe(401);
    expect(missing.body).toMatchObject({ type: 'urn:vigie:problem:unauthenticated', reason: 'unknown' });
    expect((await asAgent('vgm_not-a-real-token')).status).toBe(401);
    expect((await asAgent(admin.token)).status).toBe(401);

    expect((await call('POST', `/machines/${m.machineId}/disable`)).status).toBe(200);
    const disabled = await asAgent(m.machineToken);
    expect(disabled.status).toBe(401);
    expect(disabled.body).toMatchObject({ reason: 'disabled', detail: expect.stringContaining('disabled') });
    // The renewal says the same.
    expect((await api.call('POST', '/api/v1/agents/renew', { body: { machineToken: m.machineToken } })).body.reason).toBe('disabled');
    expect((await call('POST', `/machines/${m.machineId}/enable`)).status).toBe(204);
    expect((await asAgent(m.machineToken)).status).toBe(200);

    expect((await call('DELETE', `/machines/${m.machineId}`)).status).toBe(200);
    const deleted = await asAgent(m.machineToken);
    expect(deleted.status).toBe(401);
    expect(deleted.body.reason).toBe('unknown');
  });
});
