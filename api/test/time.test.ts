import { randomUUID } from 'node:crypto';
import { tenantsRepo, withTenant } from '@vigie/db';
import { consumeTime } from '@vigie/workflows/client';
import { startTestWorker } from '../../worker/test/support/worker';
import { sessionAs, uniqueEmail, type Session, type TestApi, startTestApi } from './support/harness';

/**
 * Time tracking through the real API with a real worker: entries, timer, approval applied to the
 * ticket's contract (hour banks through their workflow), valuation in exact cents, reversal, pre-billing.
 */
let api: TestApi;
let admin: Session;
let manager: Session;
let tech: Session;
let otherTech: Session;
let worker: { stop(): Promise<void> };
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  manager = await sessionAs(api, admin, 'manager');
  tech = await sessionAs(api, admin, 'technician');
  otherTech = await sessionAs(api, admin, 'technician');
  worker = await startTestWorker(['contracts', 'crm', 'tickets']);
  // 45 €/h internal cost for the technician: 7 min → 525 cents.
  expect((await call('PATCH', `/users/${tech.user.id}`, { costRateCents: 4_500 })).body.costRateCents).toBe(4_500);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

const today = () => new Date().toISOString().slice(0, 10);

async function newClient(name: string, hourlyRateCents?: number): Promise<string> {
  const res = await call('POST', '/clients', { name, ...(hourlyRateCents !== undefined ? { hourlyRateCents } : {}) });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function activeContract(body: Record<string, unknown>): Promise<string> {
  const created = await call('POST', '/contracts', body);
  expect(created.status).toBe(201);
  expect((await call('PATCH', `/contracts/${created.body.id}`, { status: 'active' })).status).toBe(200);
  return created.body.id;
}

async function hourBank(clientId: string, hourBank: Record<string, unknown>, blockMinutes: number, hourlyRateCents?: number): Promise<string> {
  const id = await activeContract({ type: 'hour_bank', clientId, name: 'Banque', hourBank, ...(hourlyRateCents !== undefined ? { hourlyRateCents } : {}) });
  if (blockMinutes > 0) expect((await call('POST', `/contracts/${id}/blocks`, { minutes: blockMinutes, priceCents: 0 })).status).toBe(201);
  return id;
}

async function newTicket(clientId: string, contractId: string | null = null, subject = 'Serveur lent'): Promise<{ id: string; number: string }> {
  const res = await call('POST', '/tickets', { clientId, subject, contractId });
  expect(res.status).toBe(201);
  return res.body;
}

async function record(ticketId: string, minutes: number, extra: Record<string, unknown> = {}, token = tech.token): Promise<string> {
  const res = await call('POST', `/tickets/${ticketId}/time-entries`, { date: today(), minutes, description: `Intervention ${minutes} min`, ...extra }, token);
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ status: 'pending', minutes, coveredMinutes: 0, priceCents: 0 });
  return res.body.id;
}

async function approve(id: string): Promise<Record<string, unknown>> {
  const res = await call('POST', `/time-entries/${id}/approve`, {}, manager.token);
  expect([res.status, res.body.status]).toEqual([200, 'approved']);
  return res.body;
}

const valuation = (e: Record<string, unknown>) => [e.contractId, e.coveredMinutes, e.outOfContractMinutes, e.priceCents, e.costCents];
const ledgerOf = async (contractId: string) =>
  (await call('GET', `/contracts/${contractId}/ledger?sort=seq`)).body.items.map((r: { kind: string; minutes: number; balanceAfter: number; timeEntryId: string | null }) => [
    r.kind,
    r.minutes,
    r.balanceAfter,
    r.timeEntryId,
  ]);

it('validated time decrements the right contract with no calculation error (cents and minutes exact)', async () => {
  const rules = { roundingMinutes: 15, minimumMinutes: 30 };
  const clientA = await newClient('Cabinet Arnaud');
  const clientB = await newClient('Boulangerie Bernard');
  const bankA = await hourBank(clientA, rules, 600);
  const bankB = await hourBank(clientB, rules, 600);
  const ticketA = await newTicket(clientA, bankA);
  const ticketB = await newTicket(clientB, bankB);

  const a7 = await record(ticketA.id, 7);
  const a20 = await record(ticketA.id, 20);
  const a50 = await record(ticketA.id, 50);
  const b50 = await record(ticketB.id, 50);
  const b7 = await record(ticketB.id, 7);

  // 7 → 30 (minimum), 20 → 30 (minimum), 50 → 60 (rounded to 15); cost = minutes × 45 €/h.
  expect(valuation(await approve(a7))).toEqual([bankA, 30, 0, 0, 525]);
  expect(valuation(await approve(a20))).toEqual([bankA, 30, 0, 0, 1_500]);
  expect(valuation(await approve(b50))).toEqual([bankB, 60, 0, 0, 3_750]);
  expect(valuation(await approve(a50))).toEqual([bankA, 60, 0, 0, 3_750]);
  expect(valuation(await approve(b7))).toEqual([bankB, 30, 0, 0, 525]);

  expect((await call('GET', `/contracts/${bankA}`)).body.remainingMinutes).toBe(600 - 120);
  expect((await call('GET', `/contracts/${bankB}`)).body.remainingMinutes).toBe(600 - 90);
  expect((await ledgerOf(bankA)).slice(1)).toEqual([
    ['consumption', -30, 570, a7],
    ['consumption', -30, 540, a20],
    ['consumption', -60, 480, a50],
  ]);
  expect((await ledgerOf(bankB)).slice(1)).toEqual([
    ['consumption', -60, 540, b50],
    ['consumption', -30, 510, b7],
  ]);
  // The ticket counts the time worked, not the time charged.
  expect((await call('GET', `/tickets/${ticketA.id}`)).body.totalMinutes).toBe(77);
  expect((await call('GET', `/tickets/${ticketB.id}`)).body.totalMinutes).toBe(57);

  // Approving again is a conflict and consumes nothing more.
  const again = await call('POST', `/time-entries/${a50}/approve`, { comment: 'encore' }, manager.token);
  expect(again.status).toBe(409);
  expect((await call('GET', `/contracts/${bankA}`)).body.remainingMinutes).toBe(480);

  // The approval is on the ticket's internal timeline.
  const timeline = (await call('GET', `/tickets/${ticketA.id}/timeline?kind=time`)).body.items;
  expect(timeline).toHaveLength(3);
  expect(timeline[0]).toMatchObject({ kind: 'time', visibility: 'internal', fromValue: 'pending', toValue: 'approved', actorName: 'A manager' });
});

it('values time by contract type: time & material, subscription allowance, client rate, tenant default, non-billable', async () => {
  // Time & material at 95 €/h: 50 min → 79.1666… € → 7917 cents (half up).
  const tmClient = await newClient('Régie Dupuis', 5_000);
  const tm = await activeContract({ type: 'time_material', clientId: tmClient, name: 'Régie', hourlyRateCents: 9_500 });
  const tmTicket = await newTicket(tmClient, tm);
  expect(valuation(await approve(await record(tmTicket.id, 50)))).toEqual([tm, 0, 50, 7_917, 3_750]);

  // No contract: the client's rate (80 €/h: 50 min → 6666.67 → 6667).
  const rated = await newClient('Client au taux', 8_000);
  const plain = await newTicket(rated);
  expect(valuation(await approve(await record(plain.id, 50)))).toEqual([null, 0, 50, 6_667, 3_750]);
  // Non-billable: consumes nothing, costs the client nothing, still costs the MSP.
  expect(valuation(await approve(await record(plain.id, 20, { billable: false })))).toEqual([null, 0, 0, 0, 1_500]);

  // No client rate: the tenant's default (70 €/h: 50 min → 5833.33 → 5833), else 0.
  const unrated = await newClient('Client sans taux');
  const bare = await newTicket(unrated);
  expect(valuation(await approve(await record(bare.id, 50)))).toEqual([null, 0, 50, 0, 3_750]);
  await withTenant(api.deps.db, admin.user.tenantId, (tx) => tenantsRepo.ensureTenantSettings(tx, admin.user.tenantId)); // made by onboarding, whose worker is not running here
  expect((await call('PATCH', '/settings', { defaultHourlyRateCents: 7_000 })).body.defaultHourlyRateCents).toBe(7_000);
  expect(valuation(await approve(await record(bare.id, 50)))).toEqual([null, 0, 50, 5_833, 3_750]);

  // A subscription with 60 included minutes a month: 45 covered, then 15 of 30, at the contract's 120 €/h.
  const subClient = await newClient('Abonné Martin', 8_000);
  const sub = await activeContract({
    type: 'subscription',
    clientId: subClient,
    name: 'Infogérance',
    hourlyRateCents: 12_000,
    startDate: '2025-01-31',
    subscription: { billingBasis: 'flat', unitPriceCents: 50_000, billingPeriod: 'monthly', includedMinutes: 60 },
  });
  const subTicket = await newTicket(subClient, sub);
  expect(valuation(await approve(await record(subTicket.id, 45)))).toEqual([sub, 45, 0, 0, 3_375]);
  expect(valuation(await approve(await record(subTicket.id, 30)))).toEqual([sub, 15, 15, 3_000, 2_250]);
  expect(valuation(await approve(await record(subTicket.id, 10)))).toEqual([sub, 0, 10, 2_000, 750]);
  // Work of an earlier period draws on that period's allowance, not this one's.
  const earlier = await record(subTicket.id, 40, { date: '2025-03-15' });
  expect(valuation(await approve(earlier))).toEqual([sub, 40, 0, 0, 3_000]);

  // A suspended contract applies nothing: the client's rate.
  await call('PATCH', `/contracts/${tm}`, { status: 'suspended' });
  expect(valuation(await approve(await record(tmTicket.id, 30)))).toEqual([null, 0, 30, 2_500, 2_250]);
});

it('an hour bank that refuses overdraft leaves the excess out of contract, priced at the overage rate', async () => {
  const clientId = await newClient('Client à découvert refusé', 5_000);
  const bank = await hourBank(clientId, { roundingMinutes: 15, minimumMinutes: 30, overdraftLimitMinutes: null }, 90, 11_000);
  const ticket = await newTicket(clientId, bank);
  // 50 → 60 from the block (30 left); 40 → 45 of which 30 from the block, 15 out at 110 €/h = 2750 cents.
  expect(valuation(await approve(await record(ticket.id, 50)))).toEqual([bank, 60, 0, 0, 3_750]);
  const second = await approve(await record(ticket.id, 40));
  expect(valuation(second)).toEqual([bank, 30, 15, 2_750, 3_000]);
  // Nothing left: all of it out of contract (20 → 30 by the minimum → 5500 cents), and no ledger row for it.
  const third = await approve(await record(ticket.id, 20));
  expect(valuation(third)).toEqual([bank, 0, 30, 5_500, 1_500]);
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(0);
  expect((await ledgerOf(bank)).map((r: unknown[]) => [r[0], r[1], r[2]])).toEqual([
    ['purchase', 90, 90],
    ['consumption', -60, 30],
    ['consumption', -30, 0],
  ]);

  // Without an overage rate on the contract, the client's rate applies (50 €/h: 30 min → 2500).
  const plainBank = await hourBank(clientId, { roundingMinutes: 15, minimumMinutes: 30 }, 0);
  const other = await newTicket(clientId, plainBank);
  expect(valuation(await approve(await record(other.id, 25)))).toEqual([plainBank, 0, 30, 2_500, 1_875]);
});

it('bulk approval answers per entry: one already approved fails in its slot, the others go through', async () => {
  const clientId = await newClient('Client en lot');
  const bank = await hourBank(clientId, {}, 1_000);
  const ticket = await newTicket(clientId, bank);
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) ids.push(await record(ticket.id, 10 + i));
  await approve(ids[7]!);
  const res = await call('POST', '/time-entries/approve', { ids, comment: 'Semaine validée' }, manager.token);
  expect(res.status).toBe(200);
  const results = res.body.results as { id: string; ok: boolean; entry?: { status: string; decisionComment: string }; error?: string }[];
  expect(results.map((r) => r.id)).toEqual(ids);
  expect(results.filter((r) => !r.ok)).toEqual([{ id: ids[7], ok: false, error: 'the entry is already approved' }]);
  expect(results.filter((r) => r.ok).every((r) => r.entry?.status === 'approved' && r.entry.decisionComment === 'Semaine validée')).toBe(true);
  const total = ids.reduce((sum, _, i) => sum + 10 + i, 0);
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(1_000 - total);
  expect((await call('GET', `/tickets/${ticket.id}`)).body.totalMinutes).toBe(total);
  // Sent again (a lost response), it approves nothing twice: every slot says so.
  const again = await call('POST', '/time-entries/approve', { ids, comment: 'Semaine validée' }, manager.token);
  expect(again.body.results.every((r: { ok: boolean; error?: string }) => !r.ok && r.error === 'the entry is already approved')).toBe(true);
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(1_000 - total);
  const unknown = await call('POST', '/time-entries/approve', { ids: [randomUUID()] }, manager.token);
  expect(unknown.body.results[0]).toMatchObject({ ok: false, error: 'time entry not found' });
  expect((await call('POST', '/time-entries/approve', { ids: [] }, manager.token)).status).toBe(400);
});

it('approval is safe when concurrent and when retried after a lost commit: the hour bank applies an entry once', async () => {
  const clientId = await newClient('Client concurrent');
  const bank = await hourBank(clientId, {}, 600);
  const ticket = await newTicket(clientId, bank);
  const remaining = async () => (await call('GET', `/contracts/${bank}`)).body.remainingMinutes;
  const id = await record(ticket.id, 40);
  const answers = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/time-entries/${id}/approve`, {}, manager.token)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409, 409]);
  expect(await remaining()).toBe(560);
  expect((await ledgerOf(bank)).filter((r: unknown[]) => r[3] === id)).toEqual([['consumption', -40, 560, id]]);
  expect((await call('GET', `/tickets/${ticket.id}`)).body.totalMinutes).toBe(40);
  // Different entries of one hour bank approved at once: each applied once, the balance exact.
  const burst = await Promise.all([11, 12, 13, 14, 15, 16, 17, 18].map((m) => record(ticket.id, m)));
  const approvals = await Promise.all(burst.map((e) => call('POST', `/time-entries/${e}/approve`, {}, manager.token)));
  expect(approvals.map((a) => a.status)).toEqual(burst.map(() => 200));
  expect(await remaining()).toBe(560 - 116);
  expect((await call('GET', `/tickets/${ticket.id}`)).body.totalMinutes).toBe(40 + 116);

  // The workflow applied an entry but the approval's commit was lost: approving again applies nothing twice.
  const ids = { tenantId: admin.user.tenantId, contractId: bank };
  const lost = await record(ticket.id, 30);
  await consumeTime(api.deps.temporal, ids, { timeEntryId: lost, minutes: 30 });
  expect(await remaining()).toBe(414);
  expect(valuation(await approve(lost))).toEqual([bank, 30, 0, 0, 2_250]);
  expect(await remaining()).toBe(414);
  // A pending entry rejected or deleted after such a half-done approval gives its minutes back.
  const rejected = await record(ticket.id, 20);
  await consumeTime(api.deps.temporal, ids, { timeEntryId: rejected, minutes: 20 });
  expect((await call('POST', `/time-entries/${rejected}/reject`, { comment: 'Saisie en double' }, manager.token)).status).toBe(200);
  expect(await remaining()).toBe(414);
  const deleted = await record(ticket.id, 10);
  await consumeTime(api.deps.temporal, ids, { timeEntryId: deleted, minutes: 10 });
  expect((await call('DELETE', `/time-entries/${deleted}`, undefined, manager.token)).status).toBe(204);
  expect(await remaining()).toBe(414);
});

it('rejecting an approved entry reverses it: hour bank, ticket total and pre-billing; invoiced time is a 409', async () => {
  const clientId = await newClient('Client rejeté', 6_000);
  const bank = await hourBank(clientId, { roundingMinutes: 15, minimumMinutes: 30 }, 600);
  const ticket = await newTicket(clientId, bank);
  const id = await record(ticket.id, 50);
  await approve(id);
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(540);
  expect((await call('POST', `/time-entries/${id}/reject`, {}, manager.token)).status).toBe(400);
  const rejected = await call('POST', `/time-entries/${id}/reject`, { comment: 'Doublon de la veille' }, manager.token);
  expect(rejected.status).toBe(200);
  expect(rejected.body).toMatchObject({ status: 'rejected', decisionComment: 'Doublon de la veille', coveredMinutes: 0, priceCents: 0 });
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(600);
  expect((await ledgerOf(bank)).slice(1)).toEqual([
    ['consumption', -60, 540, id],
    ['reversal', 60, 600, id],
  ]);
  expect((await call('GET', `/tickets/${ticket.id}`)).body.totalMinutes).toBe(0);
  expect((await call('POST', `/time-entries/${id}/reject`, { comment: 'encore' }, manager.token)).status).toBe(409);
  expect((await call('POST', `/time-entries/${id}/approve`, {}, manager.token)).status).toBe(409);

  // A rejected pending entry touches nothing.
  const pending = await record(ticket.id, 15);
  expect((await call('POST', `/time-entries/${pending}/reject`, { comment: 'Pas pour ce client' }, manager.token)).body.status).toBe('rejected');
  expect((await call('GET', `/contracts/${bank}`)).body.remainingMinutes).toBe(600);

  // On a closed ticket, approving out-of-contract time queues it for billing at once (time & material, 60 €/h).
  const other = await newClient('Client facturé', 6_000);
  const closed = await newTicket(other, null, 'Déménagement');
  const late = await record(closed.id, 45);
  const toInvoice = await record(closed.id, 30);
  const close = await call('POST', `/tickets/${closed.id}/status`, { status: 'closed', note: 'Fait.' });
  expect(close.body.status).toBe('closed');
  expect((await call('POST', `/tickets/${closed.id}/time-entries`, { date: today(), minutes: 5, description: 'trop tard' }, tech.token)).status).toBe(409);
  expect((await call('POST', `/tickets/${closed.id}/timer/start`, undefined, tech.token)).status).toBe(409);
  expect((await approve(late)).priceCents).toBe(4_500);
  expect((await approve(toInvoice)).priceCents).toBe(3_000);
  const queue = await call('GET', `/billing/pre-billing?clientId=${other}`, undefined, manager.token);
  expect(queue.body.items.map((i: Record<string, unknown>) => [i.timeEntryId, i.ticketNumber, i.clientName, i.minutes, i.unitRateCents, i.amountCents, i.status])).toEqual([
    [late, closed.number, 'Client facturé', 45, 6_000, 4_500, 'pending'],
    [toInvoice, closed.number, 'Client facturé', 30, 6_000, 3_000, 'pending'],
  ]);
  expect((await call('POST', `/time-entries/${late}/reject`, { comment: 'Geste commercial' }, manager.token)).status).toBe(200);
  expect((await call('GET', `/billing/pre-billing?clientId=${other}&status=cancelled`, undefined, manager.token)).body.items.map((i: { timeEntryId: string }) => i.timeEntryId)).toEqual([late]);

  // Once invoiced, rejecting is refused and nothing moves (billing issues a credit note instead).
  await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('pre_billing_items').where({ time_entry_id: toInvoice }).update({ status: 'invoiced' }));
  const refused = await call('POST', `/time-entries/${toInvoice}/reject`, { comment: 'trop tard' }, manager.token);
  expect(refused.status).toBe(409);
  expect(refused.body.detail).toBe('this time is already invoiced; issue a credit note instead of rejecting it');
  expect((await call('GET', `/tickets/${closed.id}`)).body.totalMinutes).toBe(30);
  const list = await call('GET', `/time-entries?ticketId=${closed.id}&status=approved`, undefined, manager.token);
  expect(list.body.items.map((e: { id: string }) => e.id)).toEqual([toInvoice]);
});

it('one timer per technician: start, 409 on another ticket, switch, stop rounded up', async () => {
  const clientId = await newClient('Client chrono');
  const first = await newTicket(clientId, null, 'Messagerie');
  const second = await newTicket(clientId, null, 'Imprimante');
  expect((await call('GET', '/timer', undefined, tech.token)).body).toBeNull();
  const started = await call('POST', `/tickets/${first.id}/timer/start`, undefined, tech.token);
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ ticketId: first.id, ticketNumber: first.number, ticketSubject: 'Messagerie', stoppedEntry: null });
  // It lives in Postgres: a reload (a new session) finds it.
  const relogged = await api.login(tech.email, tech.password);
  expect((await call('GET', '/timer', undefined, relogged.accessToken)).body).toEqual({ ticketId: first.id, ticketNumber: first.number, ticketSubject: 'Messagerie', startedAt: started.body.startedAt });
  // Starting the same ticket again keeps the running timer.
  expect((await call('POST', `/tickets/${first.id}/timer/start`, undefined, tech.token)).body.startedAt).toBe(started.body.startedAt);

  const busy = await call('POST', `/tickets/${second.id}/timer/start`, undefined, tech.token);
  expect(busy.status).toBe(409);
  expect(busy.body.detail).toBe(`a timer is already running on ticket ${first.number}; stop it first, or start with ?switch=true`);
  // Each technician has their own.
  expect((await call('POST', `/tickets/${second.id}/timer/start`, undefined, otherTech.token)).status).toBe(201);

  const switched = await call('POST', `/tickets/${second.id}/timer/start?switch=true`, undefined, tech.token);
  expect(switched.status).toBe(201);
  expect(switched.body).toMatchObject({ ticketId: second.id, stoppedEntry: { ticketId: first.id, technicianId: tech.user.id, minutes: 1, description: 'Timer — Messagerie', status: 'pending', billable: true } });
  expect(switched.body.stoppedEntry.startedAt).toBe(started.body.startedAt);

  // 12 min 30 s later → 13 minutes.
  await withTenant(api.deps.db, admin.user.tenantId, (tx) =>
    tx('running_timers').where({ technician_id: tech.user.id }).update({ started_at: tx.raw(`now() - interval '12 minutes 30 seconds'`) }),
  );
  const stopped = await call('POST', '/timer/stop', { description: 'Pilote réinstallé', billable: false }, tech.token);
  expect(stopped.status).toBe(201);
  expect(stopped.body).toMatchObject({ ticketId: second.id, minutes: 13, description: 'Pilote réinstallé', billable: false, status: 'pending' });
  expect((await call('GET', '/timer', undefined, tech.token)).body).toBeNull();
  const none = await call('POST', '/timer/stop', {}, tech.token);
  expect([none.status, none.body.detail]).toEqual([409, 'no timer is running']);
  expect((await call('GET', '/timer', undefined, otherTech.token)).body.ticketId).toBe(second.id);
  await call('POST', '/timer/stop', {}, otherTech.token);
});

it('technicians record, edit and delete their own pending time, see only theirs, and cannot decide', async () => {
  const clientId = await newClient('Client droits');
  const ticket = await newTicket(clientId);
  const mine = await record(ticket.id, 30);
  const theirs = await record(ticket.id, 45, {}, otherTech.token);
  const forThem = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today(), minutes: 20, description: 'Saisi par le manager', technicianId: otherTech.user.id }, manager.token);
  expect(forThem.body).toMatchObject({ technicianId: otherTech.user.id, technicianName: 'A technician' });
  const forbidden = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today(), minutes: 20, description: 'Pour un autre', technicianId: otherTech.user.id }, tech.token);
  expect(forbidden.status).toBe(403);
  const notStaff = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today(), minutes: 20, description: 'x', technicianId: randomUUID() }, manager.token);
  expect(notStaff.body.errors).toEqual([{ path: 'technicianId', message: 'unknown staff user' }]);
  expect((await call('POST', `/tickets/${ticket.id}/time-entries`, { date: today(), minutes: 0, description: 'x' }, tech.token)).status).toBe(400);
  expect((await call('POST', `/tickets/${randomUUID()}/time-entries`, { date: today(), minutes: 5, description: 'x' }, tech.token)).status).toBe(404);

  // Technicians see their own entries only, in every list and whatever they ask.
  const ids = async (path: string, token: string) => (await call('GET', path, undefined, token)).body.items.map((e: { id: string }) => e.id).sort();
  expect(await ids(`/time-entries?ticketId=${ticket.id}`, tech.token)).toEqual([mine]);
  expect(await ids(`/time-entries?ticketId=${ticket.id}&technicianId=${otherTech.user.id}`, tech.token)).toEqual([]);
  expect(await ids(`/tickets/${ticket.id}/time-entries`, tech.token)).toEqual([mine]);
  expect(await ids(`/tickets/${ticket.id}/time-entries`, manager.token)).toEqual([mine, theirs, forThem.body.id].sort());
  expect(await ids(`/time-entries?ticketId=${ticket.id}&technicianId=me`, otherTech.token)).toEqual([theirs, forThem.body.id].sort());
  expect(await ids(`/time-entries?clientId=${clientId}&from=${today()}&to=${today()}&status=pending`, manager.token)).toHaveLength(3);
  expect(await ids(`/time-entries?clientId=${clientId}&q=${encodeURIComponent('par le manager')}`, manager.token)).toEqual([forThem.body.id]);
  const page = await call('GET', `/time-entries?clientId=${clientId}&limit=2&sort=minutes`, undefined, manager.token);
  expect(page.body.items.map((e: { minutes: number }) => e.minutes)).toEqual([20, 30]);
  const rest = await call('GET', `/time-entries?clientId=${clientId}&limit=2&sort=minutes&cursor=${page.body.nextCursor}`, undefined, manager.token);
  expect(rest.body).toMatchObject({ items: [{ minutes: 45 }], nextCursor: null });

  // Editing and deleting: one's own pending entries; managers any pending one; decided entries are frozen.
  expect((await call('PATCH', `/time-entries/${mine}`, { minutes: 35, description: 'Corrigé' }, tech.token)).body).toMatchObject({ minutes: 35, description: 'Corrigé' });
  expect((await call('PATCH', `/time-entries/${theirs}`, { minutes: 5 }, tech.token)).status).toBe(404);
  expect((await call('DELETE', `/time-entries/${theirs}`, undefined, tech.token)).status).toBe(404);
  expect((await call('PATCH', `/time-entries/${theirs}`, { minutes: 50 }, manager.token)).body.minutes).toBe(50);
  expect((await call('DELETE', `/time-entries/${forThem.body.id}`, undefined, manager.token)).status).toBe(204);
  await approve(mine);
  expect((await call('PATCH', `/time-entries/${mine}`, { minutes: 5 }, tech.token)).status).toBe(409);
  expect((await call('DELETE', `/time-entries/${mine}`, undefined, tech.token)).status).toBe(409);

  // Deciding is for managers and admins.
  expect((await call('POST', `/time-entries/${theirs}/approve`, {}, tech.token)).status).toBe(403);
  expect((await call('POST', `/time-entries/${theirs}/reject`, { comment: 'non' }, tech.token)).status).toBe(403);
  expect((await call('POST', '/time-entries/approve', { ids: [theirs] }, tech.token)).status).toBe(403);
  expect((await call('GET', '/billing/pre-billing', undefined, tech.token)).status).toBe(403);
  expect((await call('PATCH', `/users/${tech.user.id}`, { costRateCents: 1 }, manager.token)).status).toBe(403);
  expect((await call('PATCH', `/clients/${clientId}`, { hourlyRateCents: -1 })).status).toBe(400);
  expect((await call('PATCH', `/clients/${clientId}`, { hourlyRateCents: 9_000 })).body.hourlyRateCents).toBe(9_000);

  const audit = (await call('GET', `/audit-log?entity=time_entry&entityId=${mine}`)).body.items.map((e: { action: string }) => e.action).sort();
  expect(audit).toEqual(['time_entry.approve', 'time_entry.create', 'time_entry.update']);
});

it('a client user gets 403 on every time and pre-billing endpoint', async () => {
  const clientId = await newClient('Client portail');
  const ticket = await newTicket(clientId);
  const entry = await record(ticket.id, 10);
  const email = uniqueEmail('portal');
  expect((await call('POST', '/users', { email, name: 'Portail', role: 'client', clientId, password: 'a long portal password' })).status).toBe(201);
  const portal = (await api.login(email, 'a long portal password')).accessToken;
  const attempts: [string, string, unknown][] = [
    ['GET', `/tickets/${ticket.id}/time-entries`, undefined],
    ['POST', `/tickets/${ticket.id}/time-entries`, { date: today(), minutes: 5, description: 'x' }],
    ['GET', '/time-entries', undefined],
    ['PATCH', `/time-entries/${entry}`, { minutes: 5 }],
    ['DELETE', `/time-entries/${entry}`, undefined],
    ['POST', `/time-entries/${entry}/approve`, {}],
    ['POST', `/time-entries/${entry}/reject`, { comment: 'x' }],
    ['POST', '/time-entries/approve', { ids: [entry] }],
    ['GET', '/timer', undefined],
    ['POST', `/tickets/${ticket.id}/timer/start`, undefined],
    ['POST', '/timer/stop', {}],
    ['GET', '/billing/pre-billing', undefined],
  ];
  const timeRoutes = api.routes.filter((r) => /time-entries|timer|\/billing\/pre-billing/.test(r.path));
  expect(attempts).toHaveLength(timeRoutes.length);
  for (const [method, path, body] of attempts) expect([method, path, (await call(method, path, body, portal)).status]).toEqual([method, path, 403]);
});

it('closing a ticket puts its approved time not covered by a contract into pre-billing, through the ticket workflow', async () => {
  const clientId = await newClient('Clôture facturable', 8_000);
  const bank = await hourBank(clientId, {}, 60);
  const ticket = await newTicket(clientId, bank, 'Migration messagerie');
  // 90 minutes on a 60-minute bank that refuses overdraft: 30 out of contract at the client's 80 €/h.
  const over = await record(ticket.id, 90);
  const free = await record(ticket.id, 15, { billable: false });
  await approve(over);
  await approve(free);
  expect((await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'Migration terminée.' })).status).toBe(200);

  let items: { ticketId: string; timeEntryId: string; minutes: number; unitRateCents: number; amountCents: number; status: string }[] = [];
  for (let i = 0; i < 80 && items.length === 0; i++) {
    items = (await call('GET', `/billing/pre-billing?clientId=${clientId}`, undefined, manager.token)).body.items;
    if (items.length === 0) await new Promise((r) => setTimeout(r, 250));
  }
  expect(items).toEqual([expect.objectContaining({ ticketId: ticket.id, timeEntryId: over, minutes: 30, unitRateCents: 8_000, amountCents: 4_000, status: 'pending' })]);
});
