import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { contractsRepo, createDb, withTenant, type Db } from '@vigie/db';
import { buyBlock, consumeTime, contractWorkflowId, HourBankRefusal, reverseTime } from '@vigie/workflows/client';
import { seedHourBank, type SeededHourBank } from './support/hour-bank';
import { startTestWorker } from './support/worker';

/**
 * Hour banks through the real dev server (its history limit lowered so continueAsNew happens), the real
 * contract worker and Postgres: concurrent approvals, idempotency, reversals and the database's guards.
 */
let db: Db;
let client: Client;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  db = createDb(process.env.DATABASE_URL!, 6);
  client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  worker = await startTestWorker(['contracts', 'crm']);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
  await db?.destroy();
});

const ids = (seed: SeededHourBank) => ({ tenantId: seed.tenantId, contractId: seed.contractId });

async function ledger(seed: SeededHourBank) {
  return withTenant(db, seed.tenantId, (tx) => tx('hour_ledger').where({ contract_id: seed.contractId }).orderBy('seq').select('seq', 'kind', 'minutes', 'balance_after', 'time_entry_id'));
}

async function runsOf(workflowId: string): Promise<string[]> {
  const statuses: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) statuses.push(wf.status.name);
  return statuses;
}

it('50 approvals fired at once against one contract end with the exact balance and 50 ledger rows', async () => {
  const seed = await seedHourBank(db);
  await buyBlock(client, ids(seed), { blockId: randomUUID(), minutes: 6000, priceCents: 500_000, expiresAt: null, actorId: seed.managerId });
  const entries = Array.from({ length: 50 }, (_, i) => ({ timeEntryId: randomUUID(), minutes: 10 + i }));
  const results = await Promise.all(entries.map((entry) => consumeTime(client, ids(seed), entry)));
  const used = entries.reduce((sum, e) => sum + e.minutes, 0); // 1725

  expect(results.every((r, i) => r.timeEntryId === entries[i]!.timeEntryId && r.chargedMinutes === entries[i]!.minutes && r.outOfContractMinutes === 0)).toBe(true);
  const rows = await ledger(seed);
  expect(rows.filter((r) => r.kind === 'consumption')).toHaveLength(50);
  // Each row follows from the one before it, and the last one is the contract's balance.
  rows.forEach((row, i) => expect(row.balance_after).toBe((i === 0 ? 0 : rows[i - 1]!.balance_after) + row.minutes));
  const contract = await withTenant(db, seed.tenantId, (tx) => contractsRepo.findContract(tx, seed.contractId));
  expect(contract?.remainingMinutes).toBe(6000 - used);
  expect(await withTenant(db, seed.tenantId, (tx) => contractsRepo.ledgerSum(tx, seed.contractId))).toBe(6000 - used);

  // ~50 updates are far beyond the lowered history limit: the workflow continued as new on the way.
  let runs: string[] = [];
  for (let i = 0; i < 40 && !runs.includes('CONTINUED_AS_NEW'); i++) {
    runs = await runsOf(contractWorkflowId(seed.tenantId, seed.contractId));
    if (!runs.includes('CONTINUED_AS_NEW')) await new Promise((r) => setTimeout(r, 250));
  }
  expect(runs).toContain('CONTINUED_AS_NEW');
  expect(runs.filter((s) => s === 'RUNNING')).toHaveLength(1);
}, 120_000);

it('applies an entry once however often it is sent, and a reversal gives the minutes back once', async () => {
  const seed = await seedHourBank(db, { roundingMinutes: 15, minimumMinutes: 30 });
  await buyBlock(client, ids(seed), { blockId: randomUUID(), minutes: 600, priceCents: 0, expiresAt: null, actorId: null });
  const entry = { timeEntryId: randomUUID(), minutes: 20 };
  const [first, again] = await Promise.all([consumeTime(client, ids(seed), entry), consumeTime(client, ids(seed), entry)]);
  const third = await consumeTime(client, ids(seed), entry);
  expect(first).toEqual({ timeEntryId: entry.timeEntryId, chargedMinutes: 30, blockMinutes: 30, overdraftMinutes: 0, outOfContractMinutes: 0, balanceAfter: 570, reversed: false });
  expect(again.chargedMinutes).toBe(30);
  expect(third.chargedMinutes).toBe(30);

  const reversed = await reverseTime(client, ids(seed), { timeEntryId: entry.timeEntryId });
  await reverseTime(client, ids(seed), { timeEntryId: entry.timeEntryId });
  expect(reversed).toMatchObject({ reversed: true, balanceAfter: 600 });
  expect((await ledger(seed)).map((r) => [r.kind, r.minutes, r.balance_after])).toEqual([
    ['purchase', 600, 600],
    ['consumption', -30, 570],
    ['reversal', 30, 600],
  ]);
  const mark = await withTenant(db, seed.tenantId, (tx) => contractsRepo.findConsumption(tx, entry.timeEntryId));
  expect(mark).toMatchObject({ rawMinutes: 20, chargedMinutes: 30, reversed: true });
});

it('sends the excess out of contract when overdraft is refused, and refuses an entry already applied elsewhere', async () => {
  const seed = await seedHourBank(db);
  await buyBlock(client, ids(seed), { blockId: randomUUID(), minutes: 60, priceCents: 0, expiresAt: null, actorId: null });
  const entry = { timeEntryId: randomUUID(), minutes: 90 };
  expect(await consumeTime(client, ids(seed), entry)).toMatchObject({ blockMinutes: 60, overdraftMinutes: 0, outOfContractMinutes: 30, balanceAfter: 0 });

  // A second hour bank of the same client tries to take the same entry.
  const second = await withTenant(db, seed.tenantId, async (tx) => {
    const id = randomUUID();
    const base = await contractsRepo.findContract(tx, seed.contractId);
    await tx('contracts').insert({ tenant_id: seed.tenantId, id, client_id: base!.clientId, type: 'hour_bank', name: 'Second', status: 'active', start_date: '2027-01-01', rounding_minutes: 0, minimum_minutes: 0, thresholds: '[]' });
    return id;
  });
  const err = await consumeTime(client, { tenantId: seed.tenantId, contractId: second }, entry).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(HourBankRefusal);
  expect((err as HourBankRefusal).reason).toBe('this time entry was already applied to another contract');
});

it('the database keeps the ledger append-only and the balance in step with it', async () => {
  const seed = await seedHourBank(db);
  await buyBlock(client, ids(seed), { blockId: randomUUID(), minutes: 120, priceCents: 0, expiresAt: null, actorId: null });
  const attempt = (work: (tx: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<unknown>) =>
    withTenant(db, seed.tenantId, work).then(
      () => 'accepted',
      (e: Error) => e.message,
    );
  expect(await attempt((tx) => tx('contracts').where({ id: seed.contractId }).update({ balance_minutes: 9999 }))).toMatch('changes only through its ledger');
  expect(await attempt((tx) => tx('hour_ledger').where({ contract_id: seed.contractId }).update({ minutes: 1 }))).toMatch('permission denied');
  expect(await attempt((tx) => tx('hour_ledger').where({ contract_id: seed.contractId }).delete())).toMatch('permission denied');
  expect(
    await attempt((tx) =>
      tx('hour_ledger').insert({ tenant_id: seed.tenantId, id: randomUUID(), contract_id: seed.contractId, seq: 0, kind: 'adjustment', minutes: 10, balance_after: 500, reason: 'fraude' }),
    ),
  ).toMatch('ledger row out of step');
  // Below the overdraft limit (none here) even in step with the ledger.
  expect(
    await attempt((tx) =>
      tx('hour_ledger').insert({ tenant_id: seed.tenantId, id: randomUUID(), contract_id: seed.contractId, seq: 0, kind: 'adjustment', minutes: -200, balance_after: -80, reason: 'trop' }),
    ),
  ).toMatch('contracts_overdraft');
  const contract = await withTenant(db, seed.tenantId, (tx) => contractsRepo.findContract(tx, seed.contractId));
  expect(contract?.remainingMinutes).toBe(120);
});
