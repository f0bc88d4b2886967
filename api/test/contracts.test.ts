import { randomUUID } from 'node:crypto';
import { consumeTime } from '@vigie/workflows/client';
import { startTestWorker } from '../../worker/test/support/worker';
import { sessionAs, uniqueEmail, type Session, type TestApi, startTestApi } from './support/harness';

/** /contracts through the real API, with a contract worker (blocks and adjustments go through the workflow). */
let api: TestApi;
let admin: Session;
let worker: { stop(): Promise<void> };
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  worker = await startTestWorker(['contracts', 'crm']);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token, headers?: Record<string, string>) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

async function newClient(name = 'Cabinet Martin'): Promise<string> {
  return (await call('POST', '/clients', { name })).body.id;
}

async function activeHourBank(clientId: string, hourBank: Record<string, unknown> = {}): Promise<string> {
  const created = await call('POST', '/contracts', { type: 'hour_bank', clientId, name: 'Support', hourBank });
  expect(created.status).toBe(201);
  expect((await call('PATCH', `/contracts/${created.body.id}`, { status: 'active' })).status).toBe(200);
  return created.body.id;
}

it('creates contracts of each type with the terms of that type only, and lists them with filters', async () => {
  const clientId = await newClient();
  const bank = await call('POST', '/contracts', {
    type: 'hour_bank',
    clientId,
    name: 'Banque 2027',
    isDefault: true,
    hourBank: { roundingMinutes: 15, thresholds: [{ kind: 'percent', value: 20 }, { kind: 'minutes', value: 120 }], usualPackMinutes: 1200, usualPackPriceCents: 180_000 },
  });
  expect(bank.status).toBe(201);
  expect(bank.body).toMatchObject({
    type: 'hour_bank',
    status: 'draft',
    isDefault: true,
    remainingMinutes: 0,
    capacityMinutes: 0,
    subscription: null,
    hourBank: { roundingMinutes: 15, minimumMinutes: 0, overdraftLimitMinutes: null, usualPackMinutes: 1200 },
  });
  const subscription = await call('POST', '/contracts', {
    type: 'subscription',
    clientId,
    name: 'Supervision',
    isDefault: true,
    subscription: { billingBasis: 'per_machine', unitPriceCents: 1_500, billingPeriod: 'monthly' },
  });
  expect(subscription.body).toMatchObject({ remainingMinutes: null, hourBank: null, subscription: { billingBasis: 'per_machine', includedMinutes: null } });
  const tm = await call('POST', '/contracts', { type: 'time_material', clientId, name: 'Régie', hourlyRateCents: 9_500 });
  expect(tm.status).toBe(201);

  // One default per client: the newest default took over.
  expect((await call('GET', `/contracts/${bank.body.id}`)).body.isDefault).toBe(false);

  // Wrong shapes are refused before anything is written.
  expect((await call('POST', '/contracts', { type: 'subscription', clientId, name: 'X' })).status).toBe(400);
  expect((await call('POST', '/contracts', { type: 'time_material', clientId, name: 'X', hourlyRateCents: 1, hourBank: {} })).status).toBe(400);
  expect((await call('POST', '/contracts', { type: 'hour_bank', clientId, name: 'X', hourBank: { thresholds: [{ kind: 'percent', value: 20 }, { kind: 'percent', value: 20 }] } })).status).toBe(400);
  const unknown = await call('POST', '/contracts', { type: 'time_material', clientId: randomUUID(), name: 'X', hourlyRateCents: 1 });
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors).toEqual([{ path: 'clientId', message: 'unknown client' }]);
  expect((await call('PATCH', `/contracts/${tm.body.id}`, { hourBank: { roundingMinutes: 5 } })).status).toBe(400);

  const byType = await call('GET', `/contracts?clientId=${clientId}&type=hour_bank`);
  expect(byType.body.items.map((c: { name: string }) => c.name)).toEqual(['Banque 2027']);
  const page = await call('GET', `/contracts?clientId=${clientId}&limit=2`);
  expect(page.body.items).toHaveLength(2);
  const rest = await call('GET', `/contracts?clientId=${clientId}&limit=2&cursor=${page.body.nextCursor}`);
  expect(rest.body.items).toHaveLength(1);
  expect((await call('GET', `/contracts?q=supervis`)).body.items.map((c: { id: string }) => c.id)).toEqual([subscription.body.id]);
});

it('moves through its statuses only forwards, and an ended contract no longer changes', async () => {
  const id = (await call('POST', '/contracts', { type: 'time_material', clientId: await newClient(), name: 'Régie', hourlyRateCents: 9_000 })).body.id;
  expect((await call('PATCH', `/contracts/${id}`, { status: 'suspended' })).status).toBe(409);
  expect((await call('PATCH', `/contracts/${id}`, { status: 'active' })).body.status).toBe('active');
  expect((await call('PATCH', `/contracts/${id}`, { status: 'suspended' })).body.status).toBe('suspended');
  expect((await call('PATCH', `/contracts/${id}`, { status: 'draft' })).status).toBe(409);
  expect((await call('PATCH', `/contracts/${id}`, { status: 'ended' })).body.status).toBe('ended');
  const late = await call('PATCH', `/contracts/${id}`, { name: 'Renommé' });
  expect(late.status).toBe(409);
  expect(late.body.detail).toBe('an ended contract cannot change; make a new one');
  const audit = await call('GET', `/audit-log?entity=contract&entityId=${id}`);
  expect(audit.body.items.map((e: { action: string }) => e.action).sort()).toEqual(['contract.active', 'contract.create', 'contract.ended', 'contract.suspended']);
});

it('sells packs, adjusts with a reason, and shows the ledger, blocks and burn-down', async () => {
  const id = await activeHourBank(await newClient(), { overdraftLimitMinutes: 60 });
  const key = { 'Idempotency-Key': `sell-${randomUUID()}` };
  const sold = await call('POST', `/contracts/${id}/blocks`, { minutes: 600, priceCents: 90_000 }, admin.token, key);
  expect(sold.status).toBe(201);
  expect(sold.body).toMatchObject({ minutes: 600, remainingMinutes: 600, priceCents: 90_000, source: 'sale', expiresAt: null });
  // The same request again (a lost response, retried) sells nothing more.
  const retried = await call('POST', `/contracts/${id}/blocks`, { minutes: 600, priceCents: 90_000 }, admin.token, key);
  expect(retried.body.id).toBe(sold.body.id);

  const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
  expect((await call('POST', `/contracts/${id}/blocks`, { minutes: 300, priceCents: 45_000, expiresAt })).status).toBe(201);
  const manager = await sessionAs(api, admin, 'manager');
  const minus = await call('POST', `/contracts/${id}/adjustments`, { minutes: -120, reason: 'Intervention offerte par erreur' }, manager.token);
  expect(minus.status).toBe(201);
  expect(minus.body).toMatchObject({ kind: 'adjustment', minutes: -120, balanceAfter: 780, reason: 'Intervention offerte par erreur' });

  const tooMuch = await call('POST', `/contracts/${id}/adjustments`, { minutes: -900, reason: 'beaucoup trop' });
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.detail).toBe('the balance would go below -60 minutes');
  expect((await call('POST', `/contracts/${id}/adjustments`, { minutes: 10, reason: '' })).status).toBe(400);
  expect((await call('POST', `/contracts/${id}/blocks`, { minutes: 60, priceCents: 1, expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(400);

  const technician = await sessionAs(api, admin, 'technician');
  expect((await call('POST', `/contracts/${id}/adjustments`, { minutes: 60, reason: 'moi aussi' }, technician.token)).status).toBe(403);
  expect((await call('POST', `/contracts/${id}/blocks`, { minutes: 60, priceCents: 0 }, technician.token)).status).toBe(403);

  const contract = (await call('GET', `/contracts/${id}`, undefined, technician.token)).body;
  expect(contract).toMatchObject({ remainingMinutes: 780, capacityMinutes: 900 });
  const ledger = await call('GET', `/contracts/${id}/ledger?limit=2`, undefined, technician.token);
  expect(ledger.body.items.map((r: { kind: string; minutes: number; balanceAfter: number }) => [r.kind, r.minutes, r.balanceAfter])).toEqual([
    ['adjustment', -120, 780],
    ['purchase', 300, 900],
  ]);
  expect(ledger.body.items[0].createdByName).toBe('A manager');
  const older = await call('GET', `/contracts/${id}/ledger?limit=2&cursor=${ledger.body.nextCursor}`);
  expect(older.body).toMatchObject({ items: [{ kind: 'purchase', minutes: 600, balanceAfter: 600 }], nextCursor: null });
  expect((await call('GET', `/contracts/${id}/ledger?kind=adjustment`)).body.items).toHaveLength(1);

  const blocks = (await call('GET', `/contracts/${id}/blocks`)).body.items;
  expect(blocks.map((b: { minutes: number; remainingMinutes: number }) => [b.minutes, b.remainingMinutes])).toEqual([
    [600, 480],
    [300, 300],
  ]);
  const today = new Date().toISOString().slice(0, 10);
  const burndown = (await call('GET', `/contracts/${id}/burndown?days=30`)).body;
  expect(burndown).toMatchObject({ to: today, startBalanceMinutes: 0, days: [{ date: today, balanceMinutes: 780, addedMinutes: 900, usedMinutes: 120 }] });

  // The overdraft limit cannot be lowered under what is already drawn, nor given to another type.
  expect((await call('POST', `/contracts/${id}/adjustments`, { minutes: -800, reason: 'avance accordée' })).body.balanceAfter).toBe(-20);
  const lower = await call('PATCH', `/contracts/${id}`, { hourBank: { overdraftLimitMinutes: 10 } });
  expect(lower.status).toBe(409);
  expect((await call('GET', `/contracts/${id}`)).body.hourBank.overdraftLimitMinutes).toBe(60);
});

it('refuses to sell hours on a contract that has no hour bank or has ended', async () => {
  const clientId = await newClient();
  const tm = (await call('POST', '/contracts', { type: 'time_material', clientId, name: 'Régie', hourlyRateCents: 9_000 })).body.id;
  const sell = await call('POST', `/contracts/${tm}/blocks`, { minutes: 600, priceCents: 0 });
  expect(sell.status).toBe(409);
  expect(sell.body.detail).toBe('a time_material contract has no hour bank');
  expect((await call('GET', `/contracts/${tm}/ledger`)).status).toBe(404);
  const bank = await activeHourBank(clientId);
  await call('PATCH', `/contracts/${bank}`, { status: 'ended' });
  expect((await call('POST', `/contracts/${bank}/blocks`, { minutes: 600, priceCents: 0 })).status).toBe(409);
});

it('a client user sees its own contracts, their ledger and burn-down, and nobody else’s', async () => {
  const mine = await newClient('Mon client');
  const theirs = await newClient('Autre client');
  const myBank = await activeHourBank(mine);
  const theirBank = await activeHourBank(theirs);
  await call('POST', `/contracts/${myBank}/blocks`, { minutes: 600, priceCents: 0 });
  const email = uniqueEmail('portal');
  const created = await call('POST', '/users', { email, name: 'Portail', role: 'client', clientId: mine, password: 'a long portal password' });
  expect(created.status).toBe(201);
  const portal = await api.login(email, 'a long portal password');

  const draft = (await call('POST', '/contracts', { type: 'time_material', clientId: mine, name: 'En préparation', hourlyRateCents: 1 })).body.id;
  const list = await call('GET', '/contracts', undefined, portal.accessToken);
  expect(list.body.items.map((c: { id: string }) => c.id)).toEqual([myBank]);
  expect((await call('GET', `/contracts/${draft}`, undefined, portal.accessToken)).status).toBe(404);
  await call('POST', `/contracts/${myBank}/adjustments`, { minutes: 30, reason: 'geste commercial' });
  const portalLedger = (await call('GET', `/contracts/${myBank}/ledger`, undefined, portal.accessToken)).body.items;
  expect(portalLedger[0]).toMatchObject({ kind: 'adjustment', reason: 'geste commercial', createdBy: null, createdByName: null });
  expect((await call('GET', `/contracts?clientId=${theirs}`, undefined, portal.accessToken)).body.items).toEqual([]);
  expect((await call('GET', `/contracts/${myBank}/ledger`, undefined, portal.accessToken)).body.items).toHaveLength(2);
  expect((await call('GET', `/contracts/${myBank}/burndown`, undefined, portal.accessToken)).status).toBe(200);
  for (const path of [`/contracts/${theirBank}`, `/contracts/${theirBank}/ledger`, `/contracts/${theirBank}/blocks`, `/contracts/${theirBank}/burndown`])
    expect((await call('GET', path, undefined, portal.accessToken)).status).toBe(404);
  expect((await call('POST', `/contracts/${myBank}/blocks`, { minutes: 600, priceCents: 0 }, portal.accessToken)).status).toBe(403);
});

it('accepting a quote can draft the matching contract, linked both ways', async () => {
  const clientId = await newClient('Client devis');
  const opportunity = (await call('POST', '/opportunities', { clientId, title: 'Banque 20 h', amountCents: 170_000 })).body;
  const quote = (await call('POST', `/opportunities/${opportunity.id}/quote`, { lines: [{ description: 'Pack 20 h', quantity: 1, unitPriceCents: 170_000, vatRate: 20 }] })).body;
  const accepted = await call('POST', `/quotes/${quote.id}/accept`, { contract: { type: 'hour_bank', name: 'Banque 20 h' } });
  expect(accepted.status).toBe(200);
  expect(accepted.body).toMatchObject({ status: 'accepted', renewsContractId: null });
  const contract = (await call('GET', `/contracts/${accepted.body.contractId}`)).body;
  expect(contract).toMatchObject({ clientId, status: 'draft', type: 'hour_bank', name: 'Banque 20 h', quoteId: quote.id, hourBank: { usualPackPriceCents: 170_000 } });
  const timeline = (await call('GET', `/clients/${clientId}/timeline`)).body.items;
  expect(timeline.find((e: { source: string }) => e.source === 'contract')).toMatchObject({ kind: 'draft', title: 'Banque 20 h', detail: 'hour_bank', refId: contract.id });
  expect((await call('POST', `/quotes/${quote.id}/accept`, { contract: { type: 'hour_bank' } })).status).toBe(409);
  expect((await call('POST', `/quotes/${quote.id}/accept`, { contract: { type: 'retainer' } })).status).toBe(400);
});

it('a crossed threshold proposes a renewal; accepting it sells the pack on the same contract, once', async () => {
  const clientId = await newClient('Client renouvellement');
  const id = await activeHourBank(clientId, { thresholds: [{ kind: 'minutes', value: 60 }], usualPackMinutes: 600, usualPackPriceCents: 85_000 });
  await call('POST', `/contracts/${id}/blocks`, { minutes: 120, priceCents: 17_000 });
  await consumeTime(api.deps.temporal, { tenantId: admin.user.tenantId, contractId: id }, { timeEntryId: randomUUID(), minutes: 90 });

  const quotes = (await call('GET', `/quotes?clientId=${clientId}`)).body.items;
  expect(quotes).toHaveLength(1);
  expect(quotes[0]).toMatchObject({ status: 'draft', renewsContractId: id, renewalPackMinutes: 600, totalExclTaxCents: 85_000 });
  expect(quotes[0].lines[0].description).toBe("Banque d'heures — pack de 10 h (Support)");
  expect((await call('POST', `/quotes/${quotes[0].id}/accept`, { contract: { type: 'hour_bank' } })).status).toBe(400);

  const accepted = await call('POST', `/quotes/${quotes[0].id}/accept`);
  expect(accepted.status).toBe(200);
  const contract = (await call('GET', `/contracts/${id}`)).body;
  expect(contract.remainingMinutes).toBe(30 + 600);
  expect(contract.thresholdsCrossed).toEqual([]);
  const [last] = (await call('GET', `/contracts/${id}/ledger?limit=1`)).body.items;
  expect(last).toMatchObject({ kind: 'purchase', minutes: 600 });
  const blocks = (await call('GET', `/contracts/${id}/blocks`)).body.items;
  expect(blocks.at(-1)).toMatchObject({ minutes: 600, priceCents: 85_000 });
  expect((await call('POST', `/quotes/${quotes[0].id}/accept`)).status).toBe(409);
});
