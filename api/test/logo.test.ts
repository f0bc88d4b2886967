import { startTestApi, sessionAs, type Session, type TestApi } from './support/harness';

// A real 1×1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

async function upload(bytes: Buffer, contentType: string, token = admin.token) {
  const res = await fetch(`${api.url}/api/v1/settings/logo`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body: new Uint8Array(bytes),
  });
  return { status: res.status, body: (await res.json()) as any };
}

it('stores an uploaded logo, serves it back, and removes it', async () => {
  const put = await upload(PNG, 'image/png');
  expect(put.status).toBe(200);
  expect(put.body.branding.logoUrl).toBe('/api/v1/settings/logo?v=1');

  const tech = await sessionAs(api, admin, 'technician');
  const get = await fetch(`${api.url}${put.body.branding.logoUrl}`, { headers: { authorization: `Bearer ${tech.token}` } });
  expect(get.status).toBe(200);
  expect(get.headers.get('content-type')).toBe('image/png');
  expect(Buffer.from(await get.arrayBuffer()).equals(PNG)).toBe(true);

  expect((await upload(PNG, 'image/png')).body.branding.logoUrl).toBe('/api/v1/settings/logo?v=2');
  const del = await api.call('DELETE', '/api/v1/settings/logo', { token: admin.token });
  expect(del.body.branding.logoUrl).toBeNull();
  expect((await api.call('GET', '/api/v1/settings/logo', { token: admin.token })).status).toBe(404);
});

it('checks the bytes, not the declared type, and the size', async () => {
  expect((await upload(Buffer.from('<svg onload="alert(1)"/>'), 'image/png')).status).toBe(400);
  const mislabelled = await upload(PNG, 'image/jpeg');
  expect(mislabelled.status).toBe(400);
  expect(mislabelled.body.detail).toContain('image/png');
  expect((await upload(PNG, 'image/svg+xml')).status).toBe(400);
  expect((await upload(Buffer.concat([PNG, Buffer.alloc(600 * 1024)]), 'image/png')).status).toBe(413);
  // None of these changed anything.
  expect((await api.call('GET', '/api/v1/settings', { token: admin.token })).body.branding.logoUrl).toBeNull();
});

it('lets only admins change the logo', async () => {
  const manager = await sessionAs(api, admin, 'manager');
  expect((await upload(PNG, 'image/png', manager.token)).status).toBe(403);
});

it('shows every role, client users included, the tenant name and branding', async () => {
  const client = (await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Portail' } })).body;
  const email = `portal-${Date.now()}@client.test`;
  await api.call('POST', '/api/v1/users', { token: admin.token, body: { email, name: 'Client', role: 'client', clientId: client.id, password: 'a long client password' } });
  const clientUser = await api.login(email, 'a long client password');
  await api.call('PATCH', '/api/v1/settings', { token: admin.token, body: { branding: { primaryColor: '#0f766e' } } });
  const res = await api.call('GET', '/api/v1/branding', { token: clientUser.accessToken });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ name: expect.any(String), branding: { primaryColor: '#0f766e', logoUrl: null } });
  expect((await api.call('GET', '/api/v1/settings', { token: clientUser.accessToken })).status).toBe(403);
});
