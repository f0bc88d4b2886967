import jwt from 'jsonwebtoken';
import { startTestApi, testConfig, uniqueEmail, sessionAs, type TestApi } from './support/harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.close());

describe('signup and login', () => {
  it('creates a tenant with its admin, and the admin can log in and read /me', async () => {
    const session = await api.signup({ name: 'Bob' });
    expect(session.user).toMatchObject({ role: 'admin', name: 'Bob', email: session.email });
    const tokens = await api.login(session.email.toUpperCase(), session.password);
    const me = await api.call('GET', '/api/v1/me', { token: tokens.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: session.user.id, tenantId: session.user.tenantId, role: 'admin' });
  });

  it('refuses a second account with the same e-mail (409) and a weak password (400)', async () => {
    const session = await api.signup();
    const dup = await api.call('POST', '/api/v1/signup', {
      body: { tenantName: 'Other', email: session.email, password: 'a long enough password', name: 'X' },
    });
    expect(dup.status).toBe(409);
    const weak = await api.call('POST', '/api/v1/signup', {
      body: { tenantName: 'Other', email: uniqueEmail(), password: 'short', name: 'X' },
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors).toEqual([expect.objectContaining({ path: 'password' })]);
  });

  it('answers 401 to a wrong password and to an unknown e-mail, the same way', async () => {
    const session = await api.signup();
    const wrong = await api.call('POST', '/api/v1/auth/login', { body: { email: session.email, password: 'not the password' } });
    const unknown = await api.call('POST', '/api/v1/auth/login', { body: { email: uniqueEmail(), password: 'whatever pass' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
    expect(wrong.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses disabled users at login and on their next request', async () => {
    const admin = await api.signup();
    const tech = await sessionAs(api, admin, 'technician');
    const patch = await api.call('PATCH', `/api/v1/users/${tech.user.id}`, { token: admin.token, body: { disabled: true } });
    expect(patch.status).toBe(200);
    expect((await api.call('GET', '/api/v1/me', { token: tech.token })).status).toBe(401);
    expect((await api.call('POST', '/api/v1/auth/login', { body: { email: tech.email, password: tech.password } })).status).toBe(401);
    expect((await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: tech.refreshToken } })).status).toBe(401);
  });
});

describe('refresh tokens', () => {
  it('rotate on every use; reusing a used one revokes the whole family', async () => {
    const session = await api.signup();
    const first = await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(first.status).toBe(200);
    expect(first.body.refreshToken).not.toBe(session.refreshToken);
    const second = await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: first.body.refreshToken } });
    expect(second.status).toBe(200);

    // The first token leaked and is replayed: refused, and the newest token of the family dies with it.
    const replay = await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } });
    expect(replay.status).toBe(401);
    const afterReplay = await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: second.body.refreshToken } });
    expect(afterReplay.status).toBe(401);

    // Another login (another family) is untouched.
    const other = await api.login(session.email, session.password);
    expect((await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: other.refreshToken } })).status).toBe(200);
  });

  it('are stored hashed, never in clear', async () => {
    const session = await api.signup();
    const rows = await api.deps.db.raw(`select count(*)::int as n from refresh_tokens where token_hash = ?`, [session.refreshToken]);
    expect(rows.rows[0].n).toBe(0);
  });

  it('logout revokes the family of the given token', async () => {
    const session = await api.signup();
    const out = await api.call('POST', '/api/v1/auth/logout', { token: session.token, body: { refreshToken: session.refreshToken } });
    expect(out.status).toBe(204);
    expect((await api.call('POST', '/api/v1/auth/refresh', { body: { refreshToken: session.refreshToken } })).status).toBe(401);
  });
});

describe('access tokens', () => {
  const config = testConfig();
  const claims = { sub: '00000000-0000-4000-8000-000000000000', tid: '00000000-0000-4000-8000-000000000001', role: 'admin', name: 'x', cid: null };

  async function meWith(token: string) {
    return api.call('GET', '/api/v1/me', { token });
  }

  it('accepts a valid token and rejects a missing one', async () => {
    const session = await api.signup();
    expect((await meWith(session.token)).status).toBe(200);
    expect((await api.call('GET', '/api/v1/me')).status).toBe(401);
  });

  it('rejects expired, forged, alg none, wrong issuer and wrong audience tokens with 401', async () => {
    const session = await api.signup();
    const real = { ...claims, sub: session.user.id, tid: session.user.tenantId };
    const sign = (opts: jwt.SignOptions, secret = config.JWT_SECRET) =>
      jwt.sign(real, secret, { algorithm: 'HS256', issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, ...opts });

    const expired = jwt.sign({ ...real, exp: Math.floor(Date.now() / 1000) - 60 }, config.JWT_SECRET, {
      algorithm: 'HS256',
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
    const forged = sign({ expiresIn: 600 }, 'x'.repeat(40));
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(
      JSON.stringify({ ...real, iss: config.JWT_ISSUER, aud: config.JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 }),
    ).toString('base64url');
    const none = `${header}.${payload}.`;
    const wrongIssuer = sign({ expiresIn: 600, issuer: 'someone-else' });
    const wrongAudience = sign({ expiresIn: 600, audience: 'another-api' });
    const hs512 = jwt.sign(real, config.JWT_SECRET, { algorithm: 'HS512', issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, expiresIn: 600 });

    // Control: the same recipe with the right parameters passes, so each refusal is about its one defect.
    expect((await meWith(sign({ expiresIn: 600 }))).status).toBe(200);
    for (const token of [expired, forged, none, wrongIssuer, wrongAudience, hs512, 'not-a-jwt']) {
      const res = await meWith(token);
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('urn:vigie:problem:unauthenticated');
    }
  });
});

describe('roles', () => {
  it('lets only admins manage users and read the audit log', async () => {
    const admin = await api.signup();
    const manager = await sessionAs(api, admin, 'manager');
    const tech = await sessionAs(api, admin, 'technician');
    for (const s of [manager, tech]) {
      expect((await api.call('GET', '/api/v1/users', { token: s.token })).status).toBe(403);
      expect((await api.call('GET', '/api/v1/audit-log', { token: s.token })).status).toBe(403);
      expect((await api.call('PATCH', '/api/v1/settings', { token: s.token, body: { locale: 'en' } })).status).toBe(403);
      expect((await api.call('GET', '/api/v1/settings', { token: s.token })).status).toBe(200);
    }
    expect((await api.call('GET', '/api/v1/users', { token: admin.token })).status).toBe(200);
  });
});

describe('login rate limit', () => {
  it('answers 429 after the configured number of attempts per minute', async () => {
    const limited = await startTestApi(testConfig({ LOGIN_RATE_LIMIT_PER_MINUTE: '3' }));
    try {
      const body = { email: uniqueEmail(), password: 'wrong password' };
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call('POST', '/api/v1/auth/login', { body })).status);
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await limited.close();
    }
  });
});
