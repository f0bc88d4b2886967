import { startTestApi, sessionAs, type Session, type TestApi } from './support/harness';
import { nextSiren } from './cross-tenant/fixtures';

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

const post = (path: string, body: unknown, token = admin.token) => api.call('POST', `/api/v1${path}`, { token, body });
const get = (path: string, token = admin.token) => api.call('GET', `/api/v1${path}`, { token });

describe('clients', () => {
  it('creates a client with checked identifiers, deriving the SIREN from the SIRET', async () => {
    const res = await post('/clients', {
      name: 'Google France',
      siret: '443 061 841 00047',
      vatNumber: 'FR64443061841',
      paymentTermsDays: 45,
      paymentTermsEndOfMonth: true,
      billingAddress: { line1: '8 rue de Londres', postalCode: '75009', city: 'Paris' },
      tags: ['grand-compte'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Google France',
      siren: '443061841',
      siret: '44306184100047',
      vatNumber: 'FR64443061841',
      status: 'prospect',
      currency: 'EUR',
      paymentTermsDays: 45,
      paymentTermsEndOfMonth: true,
      billingAddress: { city: 'Paris', country: 'FR' },
      tags: ['grand-compte'],
    });
  });

  it('rejects invalid and inconsistent identifiers field by field, writing nothing', async () => {
    const res = await post('/clients', { name: 'Faux', siren: '443061842', siret: '44306184100048', vatNumber: 'FR65443061841' });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['siren', 'siret', 'vatNumber']);
    const mismatch = await post('/clients', { name: 'Mix', siren: '380129866', siret: '44306184100047' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors[0]).toMatchObject({ path: 'siret', message: 'the SIRET must begin with the SIREN' });
    expect((await get('/clients?q=Faux')).body.items).toEqual([]);
  });

  it('detects duplicates by SIREN and SIRET within a tenant, not across tenants', async () => {
    const siren = nextSiren();
    const first = await post('/clients', { name: 'Original', siren });
    expect(first.status).toBe(201);
    const dup = await post('/clients', { name: 'Copie', siren });
    expect(dup.status).toBe(409);
    expect(dup.body.detail).toContain('Original');
    expect(dup.body.errors[0].path).toBe('siren');
    const other = await api.signup();
    expect((await post('/clients', { name: 'Same SIREN elsewhere', siren }, other.token)).status).toBe(201);
    // An update that would collide is refused too.
    const second = await post('/clients', { name: 'Second', siren: nextSiren() });
    const patch = await api.call('PATCH', `/api/v1/clients/${second.body.id}`, { token: admin.token, body: { siren } });
    expect(patch.status).toBe(409);
  });

  it('lists with search, status and tag filters, hiding archived clients unless asked', async () => {
    const tenant = await api.signup();
    const mk = (name: string, extra: Record<string, unknown> = {}) => post('/clients', { name, ...extra }, tenant.token);
    await mk('Boulangerie Dupont', { status: 'active', tags: ['tpe'] });
    await mk('Cabinet Martin', { tags: ['tpe', 'santé'] });
    const old = await mk('Ancien Client');
    await api.call('PATCH', `/api/v1/clients/${old.body.id}`, { token: tenant.token, body: { status: 'archived' } });
    const names = async (qs: string) => (await get(`/clients${qs}`, tenant.token)).body.items.map((c: { name: string }) => c.name);
    expect(await names('')).toEqual(['Boulangerie Dupont', 'Cabinet Martin']);
    expect(await names('?q=dupont')).toEqual(['Boulangerie Dupont']);
    expect(await names('?tag=santé')).toEqual(['Cabinet Martin']);
    expect(await names('?status=archived')).toEqual(['Ancien Client']);
    expect(await names('?sort=-name')).toEqual(['Cabinet Martin', 'Boulangerie Dupont']);
  });

  it('lets technicians read and log interactions but not change client records', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const client = await post('/clients', { name: 'Lecture seule' });
    expect((await get(`/clients/${client.body.id}`, tech.token)).status).toBe(200);
    expect((await post('/clients', { name: 'Non' }, tech.token)).status).toBe(403);
    expect((await post(`/clients/${client.body.id}/interactions`, { kind: 'call', subject: 'Appel entrant' }, tech.token)).status).toBe(201);
  });
});

describe('contacts, sites and the timeline', () => {
  it('keeps one primary contact per client', async () => {
    const client = await post('/clients', { name: 'Primaire' });
    const a = await post(`/clients/${client.body.id}/contacts`, { name: 'Anne', email: 'Anne@Example.fr', isPrimary: true, availability: 'matins' });
    expect(a.body).toMatchObject({ email: 'anne@example.fr', isPrimary: true, availability: 'matins' });
    const b = await post(`/clients/${client.body.id}/contacts`, { name: 'Bruno', phone: '+33 6 12 34 56 78', isPrimary: true });
    expect(b.status).toBe(201);
    const list = await get(`/clients/${client.body.id}/contacts`);
    expect(list.body.items.map((c: { name: string; isPrimary: boolean }) => [c.name, c.isPrimary])).toEqual([
      ['Anne', false],
      ['Bruno', true],
    ]);
    expect((await post(`/clients/${client.body.id}/contacts`, { name: 'X', phone: 'call me' })).status).toBe(400);
  });

  it('manages sites', async () => {
    const client = await post('/clients', { name: 'Multi-sites' });
    const site = await post(`/clients/${client.body.id}/sites`, { name: 'Agence Lyon', address: { line1: '1 quai', postalCode: '69002', city: 'Lyon' } });
    expect(site.status).toBe(201);
    const patched = await api.call('PATCH', `/api/v1/sites/${site.body.id}`, { token: admin.token, body: { name: 'Agence Lyon Confluence' } });
    expect(patched.body.name).toBe('Agence Lyon Confluence');
    expect((await get(`/clients/${client.body.id}/sites`)).body.items).toHaveLength(1);
    expect((await api.call('DELETE', `/api/v1/sites/${site.body.id}`, { token: admin.token })).status).toBe(204);
    expect((await get(`/sites/${site.body.id}`)).status).toBe(404);
  });

  it('merges interactions into one timeline, newest first, and checks the contact belongs to the client', async () => {
    const client = await post('/clients', { name: 'Chronologie' });
    const other = await post('/clients', { name: 'Autre' });
    const stranger = await post(`/clients/${other.body.id}/contacts`, { name: 'Étranger' });
    const bad = await post(`/clients/${client.body.id}/interactions`, { kind: 'call', subject: 'X', contactId: stranger.body.id });
    expect(bad.status).toBe(400);
    await post(`/clients/${client.body.id}/interactions`, { kind: 'meeting', subject: 'Réunion de lancement', occurredAt: '2026-01-10T09:00:00Z', outcome: 'Devis demandé' });
    await post(`/clients/${client.body.id}/interactions`, { kind: 'call', subject: 'Relance', occurredAt: '2026-02-01T14:00:00+01:00' });
    const timeline = await get(`/clients/${client.body.id}/timeline`);
    expect(timeline.body.items.map((e: { source: string; title: string }) => `${e.source}:${e.title}`)).toEqual([
      'client:Chronologie', // created now, after the back-dated interactions
      'interaction:Relance',
      'interaction:Réunion de lancement',
    ]);
    expect(timeline.body.items[2]).toMatchObject({ kind: 'meeting', detail: 'Devis demandé', actorName: 'Alice Admin' });
    const calls = await get(`/clients/${client.body.id}/interactions?kind=call`);
    expect(calls.body.items.map((i: { subject: string }) => i.subject)).toEqual(['Relance']);
  });
});

it('ties client users to a real client of the tenant', async () => {
  const client = await post('/clients', { name: 'Portail' });
  const ok = await post('/users', { email: `portal-${Date.now()}@client.fr`, name: 'Client User', role: 'client', password: 'a long portal password', clientId: client.body.id });
  expect(ok.status).toBe(201);
  const ghost = await post('/users', { email: `ghost-${Date.now()}@client.fr`, name: 'Ghost', role: 'client', password: 'a long portal password', clientId: '00000000-0000-4000-8000-000000000000' });
  expect(ghost.status).toBe(400);
});
