import { startTestApi, sessionAs, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
let clientId: string;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  clientId = (await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Prospect SAS' } })).body.id;
});
afterAll(() => api.close());

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

async function stages(token = admin.token) {
  return (await call('GET', '/pipeline/stages', undefined, token)).body.items as { id: string; name: string; kind: string; probability: number }[];
}

it('starts every tenant with the default stages, won and lost terminal', async () => {
  expect((await stages()).map((s) => [s.name, s.probability, s.kind])).toEqual([
    ['Lead', 10, 'open'],
    ['Qualifié', 25, 'open'],
    ['Proposition', 50, 'open'],
    ['Négociation', 75, 'open'],
    ['Gagné', 100, 'won'],
    ['Perdu', 0, 'lost'],
  ]);
  expect((await call('POST', '/pipeline/stages', { name: 'Encore gagné', probability: 100, kind: 'won' })).status).toBe(409);
});

it('takes the probability from the stage unless overridden, and moves through stages to won', async () => {
  const [lead, qualified, , , won] = await stages();
  const created = await call('POST', '/opportunities', { clientId, title: 'Infogérance 20 postes', amountCents: 1_200_000, expectedCloseDate: '2027-03-15' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ stageId: lead!.id, probability: 10, probabilityOverride: null, currency: 'EUR', clientName: 'Prospect SAS', ownerId: admin.user.id });
  const id = created.body.id;

  const moved = await call('POST', `/opportunities/${id}/move`, { stageId: qualified!.id });
  expect(moved.body.probability).toBe(25);
  const overridden = await call('PATCH', `/opportunities/${id}`, { probability: 40 });
  expect(overridden.body).toMatchObject({ probability: 40, probabilityOverride: 40 });
  const cleared = await call('PATCH', `/opportunities/${id}`, { probability: null });
  expect(cleared.body.probability).toBe(25);

  const closed = await call('POST', `/opportunities/${id}/move`, { stageId: won!.id });
  expect(closed.body).toMatchObject({ stageKind: 'won', probability: 100 });
  expect(closed.body.closedAt).not.toBeNull();
  // Terminal: it does not move again.
  expect((await call('POST', `/opportunities/${id}/move`, { stageId: lead!.id })).status).toBe(409);
});

it('requires a reason to lose an opportunity', async () => {
  const lost = (await stages()).find((s) => s.kind === 'lost')!;
  const created = await call('POST', '/opportunities', { clientId, title: 'Perdue', amountCents: 50_000 });
  const noReason = await call('POST', `/opportunities/${created.body.id}/move`, { stageId: lost.id });
  expect(noReason.status).toBe(400);
  expect(noReason.body.errors[0].path).toBe('lostReason');
  const withReason = await call('POST', `/opportunities/${created.body.id}/move`, { stageId: lost.id, lostReason: 'Prix trop élevé' });
  expect(withReason.body).toMatchObject({ stageKind: 'lost', lostReason: 'Prix trop élevé' });
});

it('refuses another tenant’s client, an unknown stage and a non-staff owner', async () => {
  const other = await api.signup();
  const foreign = (await call('POST', '/clients', { name: 'Foreign' }, other.token)).body.id;
  expect((await call('POST', '/opportunities', { clientId: foreign, title: 'X', amountCents: 1 })).status).toBe(400);
  const foreignStage = (await stages(other.token))[0]!.id;
  expect((await call('POST', '/opportunities', { clientId, title: 'X', amountCents: 1, stageId: foreignStage })).status).toBe(400);
  expect((await call('POST', '/opportunities', { clientId, title: 'X', amountCents: 1, ownerId: other.user.id })).status).toBe(400);
  expect((await call('POST', '/opportunities', { clientId, title: 'X', amountCents: -5 })).status).toBe(400);
});

it('computes the weighted forecast by month, rounding each opportunity half up', async () => {
  const tenant = await api.signup();
  const cid = (await call('POST', '/clients', { name: 'Forecast Co' }, tenant.token)).body.id;
  const [lead, , proposal] = await stages(tenant.token);
  const mk = (body: Record<string, unknown>) => call('POST', '/opportunities', { clientId: cid, ...body }, tenant.token);
  // 10 % of 12 345 cents = 1 234.5 → 1 235; 50 % of 999 = 499.5 → 500; 33 % of 1 001 = 330.33 → 330.
  await mk({ title: 'A', amountCents: 12_345, expectedCloseDate: '2027-01-05' });
  await mk({ title: 'B', amountCents: 999, expectedCloseDate: '2027-01-31', stageId: proposal!.id });
  await mk({ title: 'C', amountCents: 1_001, expectedCloseDate: '2027-03-01', probability: 33 });
  await mk({ title: 'D', amountCents: 5_000 }); // no date
  const won = (await stages(tenant.token)).find((s) => s.kind === 'won')!;
  const e = await mk({ title: 'E', amountCents: 7_000, expectedCloseDate: '2027-01-10', stageId: lead!.id });
  await call('POST', `/opportunities/${e.body.id}/move`, { stageId: won.id }, tenant.token); // closed: not forecast

  const res = await call('GET', '/opportunities/forecast?from=2027-01&months=3', undefined, tenant.token);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    currency: 'EUR',
    months: [
      { month: '2027-01', count: 2, amountCents: 13_344, weightedCents: 1_735 },
      { month: '2027-02', count: 0, amountCents: 0, weightedCents: 0 },
      { month: '2027-03', count: 1, amountCents: 1_001, weightedCents: 330 },
    ],
    undatedCount: 1,
  });
  const tech = await sessionAs(api, tenant, 'technician');
  expect((await call('GET', '/opportunities/forecast', undefined, tech.token)).status).toBe(403);
});

it('keeps stages with opportunities, and the terminal stages, from being removed', async () => {
  const created = await call('POST', '/pipeline/stages', { name: 'Démo', probability: 40 });
  expect(created.status).toBe(201);
  const opp = await call('POST', '/opportunities', { clientId, title: 'In démo', amountCents: 1, stageId: created.body.id });
  expect((await call('DELETE', `/pipeline/stages/${created.body.id}`)).status).toBe(409);
  const lead = (await stages())[0]!;
  await call('POST', `/opportunities/${opp.body.id}/move`, { stageId: lead.id });
  expect((await call('DELETE', `/pipeline/stages/${created.body.id}`)).status).toBe(204);
  const won = (await stages()).find((s) => s.kind === 'won')!;
  expect((await call('DELETE', `/pipeline/stages/${won.id}`)).status).toBe(409);
});
