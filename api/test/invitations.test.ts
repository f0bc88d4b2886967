import { withTenant } from '@vigie/db';
import { startTestApi, uniqueEmail, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

/** The link as the invitee receives it: read from the queued e-mail. */
async function tokenSentTo(email: string): Promise<string> {
  const rows = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('email_outbox').where({ to_address: email }).orderBy('created_at', 'desc'));
  const match = /invitation\?token=([A-Za-z0-9_-]+)/.exec(rows[0]?.text ?? '');
  if (!match) throw new Error(`no invitation e-mail to ${email}`);
  return match[1]!;
}

it('invites a technician by e-mail; the link sets the password once and logs them in', async () => {
  const email = uniqueEmail('invited');
  const res = await call('POST', '/users/invite', { email, name: 'Inès Invitée', role: 'technician' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ user: { email, role: 'technician' }, emailQueued: true });
  // Not usable before accepting.
  expect((await api.call('POST', '/api/v1/auth/login', { body: { email, password: '!invited' } })).status).toBe(401);

  const token = await tokenSentTo(email);
  const accepted = await api.call('POST', '/api/v1/auth/accept-invite', { body: { token, password: 'my own long password' } });
  expect(accepted.status).toBe(200);
  expect(accepted.body.user).toMatchObject({ email, role: 'technician' });
  expect((await api.login(email, 'my own long password')).user.email).toBe(email);
  expect((await api.call('POST', '/api/v1/auth/accept-invite', { body: { token, password: 'another long password' } })).status).toBe(409);
  expect((await api.call('POST', '/api/v1/auth/accept-invite', { body: { token: 'x'.repeat(43), password: 'another long password' } })).status).toBe(400);
});

it('refuses an expired invitation', async () => {
  const email = uniqueEmail('late');
  const res = await call('POST', '/users/invite', { email, name: 'En retard', role: 'manager' });
  await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('invitations').where({ user_id: res.body.user.id }).update({ expires_at: new Date(Date.now() - 1000) }));
  const late = await api.call('POST', '/api/v1/auth/accept-invite', { body: { token: await tokenSentTo(email), password: 'a long enough password' } });
  expect(late.status).toBe(400);
  expect(late.body.detail).toContain('expired');
});

it('invites a contact to the client portal as a client user of their client; re-inviting replaces the link', async () => {
  const client = (await call('POST', '/clients', { name: 'Portail SA' })).body;
  const email = uniqueEmail('contact');
  const contact = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Paul Portail', email })).body;
  const first = await call('POST', `/contacts/${contact.id}/invite`);
  expect(first.status).toBe(200);
  expect(first.body.user).toMatchObject({ email, role: 'client', clientId: client.id, name: 'Paul Portail' });
  const oldToken = await tokenSentTo(email);
  await new Promise((r) => setTimeout(r, 5));
  const second = await call('POST', `/contacts/${contact.id}/invite`);
  expect(second.body.user.id).toBe(first.body.user.id);
  const newToken = await tokenSentTo(email);
  expect(newToken).not.toBe(oldToken);
  expect((await api.call('POST', '/api/v1/auth/accept-invite', { body: { token: oldToken, password: 'portal long password' } })).status).toBe(400);
  const accepted = await api.call('POST', '/api/v1/auth/accept-invite', { body: { token: newToken, password: 'portal long password' } });
  expect(accepted.body.user).toMatchObject({ role: 'client', clientId: client.id });
  expect((await call('POST', `/contacts/${contact.id}/invite`)).status).toBe(409);

  const noEmail = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Sans e-mail' })).body;
  expect((await call('POST', `/contacts/${noEmail.id}/invite`)).status).toBe(400);
});
