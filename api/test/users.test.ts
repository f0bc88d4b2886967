import { startTestApi, sessionAs, uniqueEmail, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

const newUser = (over: Record<string, unknown> = {}) => ({
  email: uniqueEmail('tech'),
  name: 'Théo Technicien',
  role: 'technician',
  password: 'a very long password',
  ...over,
});

describe('/users', () => {
  it('creates, reads, updates and deletes a user, each change audited', async () => {
    const created = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser() });
    expect(created.status).toBe(201);
    expect(created.body).not.toHaveProperty('passwordHash');
    const id = created.body.id as string;

    const read = await api.call('GET', `/api/v1/users/${id}`, { token: admin.token });
    expect(read.body).toMatchObject({ id, role: 'technician', disabled: false });

    const updated = await api.call('PATCH', `/api/v1/users/${id}`, { token: admin.token, body: { role: 'manager', name: 'Théo Manager' } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ role: 'manager', name: 'Théo Manager' });

    expect((await api.call('DELETE', `/api/v1/users/${id}`, { token: admin.token })).status).toBe(204);
    expect((await api.call('GET', `/api/v1/users/${id}`, { token: admin.token })).status).toBe(404);

    const audit = await api.call('GET', `/api/v1/audit-log?entity=user&entityId=${id}&sort=at`, { token: admin.token });
    expect(audit.body.items.map((e: { action: string }) => e.action)).toEqual(['user.create', 'user.update', 'user.delete']);
    const update = audit.body.items[1];
    expect(update.before).toMatchObject({ role: 'technician', name: 'Théo Technicien' });
    expect(update.after).toMatchObject({ role: 'manager', name: 'Théo Manager' });
    expect(update.actorId).toBe(admin.user.id);
    expect(update.requestId).toBe(updated.headers.get('x-request-id'));
  });

  it('rejects unknown fields, listing them, and writes nothing', async () => {
    const email = uniqueEmail('ghost');
    const res = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser({ email, isRoot: true, plan: 'x' }) });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['isRoot', 'plan']);
    const list = await api.call('GET', `/api/v1/users?q=${encodeURIComponent(email)}`, { token: admin.token });
    expect(list.body.items).toEqual([]);
  });

  it('requires clientId exactly for client users', async () => {
    const res = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser({ role: 'client' }) });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('clientId');
  });

  it('keeps at least one active admin, and an admin cannot disable or delete themself', async () => {
    const solo = await api.signup();
    expect((await api.call('PATCH', `/api/v1/users/${solo.user.id}`, { token: solo.token, body: { role: 'manager' } })).status).toBe(409);
    expect((await api.call('PATCH', `/api/v1/users/${solo.user.id}`, { token: solo.token, body: { disabled: true } })).status).toBe(409);
    expect((await api.call('DELETE', `/api/v1/users/${solo.user.id}`, { token: solo.token })).status).toBe(409);
    expect((await api.call('GET', '/api/v1/me', { token: solo.token })).body.role).toBe('admin');
  });

  it('paginates with a stable cursor while rows are inserted, and filters by role', async () => {
    const tenant = await api.signup();
    for (let i = 0; i < 5; i++) await sessionAs(api, tenant, i % 2 ? 'manager' : 'technician');
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/api/v1/users?limit=2&sort=createdAt${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.call('GET', url, { token: tenant.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((u: { id: string }) => u.id));
      cursor = page.body.nextCursor;
      // An insert mid-way lands after the cursor (newest last): it is seen once, nothing is repeated.
      if (pages++ === 0) await sessionAs(api, tenant, 'technician');
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);

    const managers = await api.call('GET', '/api/v1/users?role=manager', { token: tenant.token });
    expect(managers.body.items).toHaveLength(2);
    expect(managers.body.items.every((u: { role: string }) => u.role === 'manager')).toBe(true);
  });

  it('rejects a bad sort or cursor with 400', async () => {
    expect((await api.call('GET', '/api/v1/users?sort=password_hash', { token: admin.token })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/users?cursor=garbage', { token: admin.token })).status).toBe(400);
    expect((await api.call('GET', '/api/v1/users?limit=5000', { token: admin.token })).status).toBe(400);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response for a repeat and refuses the key for another body', async () => {
    const key = `create-${Date.now()}`;
    const body = newUser();
    const first = await api.call('POST', '/api/v1/users', { token: admin.token, body, headers: { 'idempotency-key': key } });
    const again = await api.call('POST', '/api/v1/users', { token: admin.token, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const other = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser(), headers: { 'idempotency-key': key } });
    expect(other.status).toBe(409);
  });

  it('runs once when the same request arrives twice at the same time', async () => {
    const key = `race-${Date.now()}`;
    const body = newUser();
    const [a, b] = await Promise.all([
      api.call('POST', '/api/v1/users', { token: admin.token, body, headers: { 'idempotency-key': key } }),
      api.call('POST', '/api/v1/users', { token: admin.token, body, headers: { 'idempotency-key': key } }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
  });

  it('leaves no trace when the request fails, so the key can be used again', async () => {
    const key = `fail-${Date.now()}`;
    const bad = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser({ email: admin.email }), headers: { 'idempotency-key': key } });
    expect(bad.status).toBe(409);
    const good = await api.call('POST', '/api/v1/users', { token: admin.token, body: newUser(), headers: { 'idempotency-key': key } });
    expect(good.status).toBe(201);
  });
});
