import { startTestApi, testConfig, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi(testConfig({ BODY_LIMIT: '10kb' }));
  admin = await api.signup();
});
afterAll(() => api.close());

describe('errors are RFC 9457 problems', () => {
  it('400 for malformed JSON', async () => {
    const res = await api.call('POST', '/api/v1/auth/login', { rawBody: '{"email": "a@b.c",', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: 'urn:vigie:problem:invalid_input', title: 'Invalid input', status: 400, detail: 'body is not valid JSON' });
  });

  it('400 for a body that is not JSON', async () => {
    const res = await api.call('POST', '/api/v1/auth/login', { rawBody: 'email=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/application\/json/);
  });

  it('413 for a body over the limit', async () => {
    const res = await api.call('PATCH', '/api/v1/settings', { token: admin.token, body: { name: 'x'.repeat(20_000) } });
    expect(res.status).toBe(413);
    expect(res.body.type).toBe('urn:vigie:problem:too_large');
  });

  it('404 problem for an unknown API path, and for a malformed id', async () => {
    const unknown = await api.call('GET', '/api/v1/nothing-here', { token: admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('urn:vigie:problem:not_found');
    expect((await api.call('GET', '/api/v1/users/not-a-uuid', { token: admin.token })).status).toBe(404);
  });

  it('400 listing each invalid query parameter', async () => {
    const res = await api.call('GET', '/api/v1/audit-log?from=yesterday&color=blue', { token: admin.token });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['query.color', 'query.from']);
  });
});

describe('request IDs, headers, docs and probes', () => {
  it('echoes a given X-Request-Id and makes one otherwise', async () => {
    const given = await api.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const made = await api.call('GET', '/healthz');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const problem = await api.call('GET', '/api/v1/me', { headers: { 'x-request-id': 'trace-456' } });
    expect(problem.body.requestId).toBe('trace-456');
  });

  it('sends security headers', async () => {
    const res = await api.call('GET', '/healthz');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('serves an OpenAPI 3.1 document covering every route, and the docs page', async () => {
    const doc = await api.call('GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const route of api.routes) {
      const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      expect(doc.body.paths[path]?.[route.method]).toBeDefined();
    }
    expect(doc.body.components.schemas).toHaveProperty('User');
    const signup = doc.body.paths['/signup'].post;
    expect(signup.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SignupBody' });
    const docs = await fetch(`${api.url}/api/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger-ui');
  });

  it('answers /healthz, /readyz with every dependency, and /metrics in Prometheus format', async () => {
    expect((await api.call('GET', '/healthz')).body).toEqual({ status: 'ok' });
    // NATS connects in the background at boot; give it a moment.
    let ready = await api.call('GET', '/readyz');
    for (let i = 0; i < 20 && ready.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      ready = await api.call('GET', '/readyz');
    }
    expect(ready.status).toBe(200);
    expect(ready.body.checks).toEqual({ postgres: { ok: true }, nats: { ok: true }, temporal: { ok: true }, storage: { ok: true } });
    const metrics = await fetch(`${api.url}/metrics`);
    const text = await metrics.text();
    expect(text).toContain('vigie_http_request_duration_seconds_bucket');
    expect(text).toContain('route="/healthz"');
  });
});

describe('settings', () => {
  it('validates and saves legal identity, branding, locale, currency and time zone', async () => {
    const bad = await api.call('PATCH', '/api/v1/settings', {
      token: admin.token,
      body: { timezone: 'Mars/Olympus', currency: 'euro', branding: { primaryColor: 'red' }, legal: { siren: '123' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['branding.primaryColor', 'currency', 'legal.siren', 'timezone']);

    const ok = await api.call('PATCH', '/api/v1/settings', {
      token: admin.token,
      body: {
        name: 'Infogérance Dupont',
        legal: { legalName: 'Dupont Informatique SARL', siren: '732829320', address: { city: 'Lyon' } },
        branding: { primaryColor: '#0f766e' },
        locale: 'en',
        currency: 'CHF',
        timezone: 'Europe/Zurich',
      },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({
      name: 'Infogérance Dupont',
      legal: { legalName: 'Dupont Informatique SARL', siren: '732829320', address: { city: 'Lyon', country: 'FR' } },
      branding: { primaryColor: '#0f766e' },
      locale: 'en',
      currency: 'CHF',
      timezone: 'Europe/Zurich',
    });
    const audit = await api.call('GET', '/api/v1/audit-log?action=settings.update', { token: admin.token });
    expect(audit.body.items[0].before.branding.primaryColor).toBe('#1d4ed8');
    expect(audit.body.items[0].after.branding.primaryColor).toBe('#0f766e');
  });
});
