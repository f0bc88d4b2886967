import { startTestApi, type Session, type TestApi } from './support/harness';
import { crossTenantFixtures, crossTenantListQueries } from './cross-tenant/fixtures';
import type { AnyRoute } from '../src/http/route';

/**
 * Tenant isolation, for every route: tenant B gets 404 on each of tenant A's objects, whatever the
 * method, and never sees them in a list. New routes are covered by registering a fixture.
 */
let api: TestApi;
let tenantA: Session;
let tenantB: Session;

beforeAll(async () => {
  api = await startTestApi();
  tenantA = await api.signup({ tenantName: 'Tenant A' });
  tenantB = await api.signup({ tenantName: 'Tenant B' });
});
afterAll(() => api.close());

const withParams = (routes: AnyRoute[]) => routes.filter((r) => r.path.includes(':'));
const fill = (path: string, params: Record<string, string>) =>
  path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = params[name];
    if (!value) throw new Error(`fixture for ${path} gave no "${name}"`);
    return value;
  });

it('has a fixture for every route with a path parameter', () => {
  const known = new Set(crossTenantFixtures.map((f) => f.path));
  const missing = [...new Set(withParams(api.routes).map((r) => r.path))].filter((p) => !known.has(p));
  expect(missing).toEqual([]);
});

it('answers 404 to tenant B on every method of every :id route for tenant A’s objects', async () => {
  const failures: string[] = [];
  let checked = 0;
  for (const fixture of crossTenantFixtures) {
    const routes = withParams(api.routes).filter((r) => r.path === fixture.path);
    expect(routes.length).toBeGreaterThan(0); // a fixture for a route that no longer exists is a mistake
    for (const route of routes) {
      const params = await fixture.create(api, tenantA);
      const query = fixture.validQuery?.[route.method];
      const url = `/api/v1${fill(route.path, params)}${query ? `?${query}` : ''}`;
      const body = fixture.validBody?.[route.method as 'patch'];
      const asB = await api.call(route.method.toUpperCase(), url, { token: tenantB.token, ...(body !== undefined ? { body } : {}) });
      checked++;
      if (asB.status !== 404) failures.push(`${route.method.toUpperCase()} ${route.path}: tenant B got ${asB.status}`);
      // Control: the object exists and is intact for its owner, so the 404 was about ownership.
      const getRoute = routes.find((r) => r.method === 'get');
      if (getRoute && !getRoute.produces) {
        const asA = await api.call('GET', `/api/v1${fill(getRoute.path, params)}`, { token: tenantA.token });
        if (asA.status !== 200) failures.push(`GET ${getRoute.path}: owner got ${asA.status} after B's ${route.method}`);
      }
    }
  }
  expect(failures).toEqual([]);
  expect(checked).toBe(withParams(api.routes).length);
});

it('never shows tenant A’s objects in tenant B’s lists', async () => {
  const idsOfA: string[] = [];
  for (const fixture of crossTenantFixtures) idsOfA.push(...Object.values(await fixture.create(api, tenantA)));
  idsOfA.push(tenantA.user.id);
  const reads = api.routes.filter((r) => r.method === 'get' && !r.path.includes(':') && r.auth !== 'public' && !r.produces);
  expect(reads.length).toBeGreaterThan(3);
  for (const read of reads) {
    const paginated = read.query && 'limit' in ((read.query as { shape?: object }).shape ?? {});
    const query = [paginated ? 'limit=200' : '', crossTenantListQueries[read.path] ?? ''].filter(Boolean).join('&');
    const res = await api.call('GET', `/api/v1${read.path}${query ? `?${query}` : ''}`, { token: tenantB.token });
    expect([read.path, res.status]).toEqual([read.path, 200]);
    const text = JSON.stringify(res.body);
    for (const id of idsOfA) expect(text).not.toContain(id);
  }
});

it('keeps settings per tenant', async () => {
  await api.call('PATCH', '/api/v1/settings', { token: tenantA.token, body: { branding: { primaryColor: '#aa0000' } } });
  const b = await api.call('GET', '/api/v1/settings', { token: tenantB.token });
  expect(b.body.tenantId).toBe(tenantB.user.tenantId);
  expect(b.body.branding.primaryColor).not.toBe('#aa0000');
});
