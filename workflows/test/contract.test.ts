import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createContractActivities, createCrmActivities, createMailer } from '@vigie/activities';
import { contractsRepo, createDb, LocalDiskStorage, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '../src/bundles';
import { queueOf } from '../src/client';
import { adjustBalanceUpdate, buyBlockUpdate, consumeTimeUpdate, contractChangedSignal, contractWorkflow, hourBankQuery } from '../src/contracts/contract.workflow';
import { seedHourBank, type SeededHourBank } from '../../worker/test/support/hour-bank';
import { startSmtpServer } from './support/smtp';
import { installQuietRuntime } from './support/runtime';

/**
 * The contract workflow on a time-skipping server, with real Postgres and a real SMTP server: block expiry
 * by durable timer, thresholds that notify once (in the app, by e-mail to the account manager and the
 * client contact) and open one renewal proposal.
 */
let env: TestWorkflowEnvironment;
let db: Db;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  db = createDb(process.env.DATABASE_URL!, 6);
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
  await smtp?.close();
});

const DAY = 86_400_000;

/** Contract and CRM (e-mail delivery) workers on their real queue names: this server is ours alone. */
async function withWorkers<T>(work: () => Promise<T>): Promise<T> {
  const contracts = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('contracts'),
    workflowBundle: { codePath: bundlePath('contracts') },
    activities: createContractActivities({ db }),
  });
  const crm = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: queueOf('crm'),
    workflowBundle: { codePath: bundlePath('crm') },
    activities: createCrmActivities({ db, mailer: createMailer(smtp.url, 'Vigie <contrats@vigie.test>'), storage: new LocalDiskStorage(process.env.STORAGE_DIR!) }),
  });
  return crm.runUntil(contracts.runUntil(work()));
}

const start = (seed: SeededHourBank) =>
  env.client.workflow.start(contractWorkflow, {
    taskQueue: queueOf('contracts'),
    workflowId: `contract:${seed.tenantId}:${seed.contractId}`,
    args: [{ tenantId: seed.tenantId, contractId: seed.contractId }],
  });

const ledgerOf = (seed: SeededHourBank) =>
  withTenant(db, seed.tenantId, (tx) => tx('hour_ledger').where({ contract_id: seed.contractId }).orderBy('seq').select('kind', 'minutes', 'balance_after'));

const mailsTo = (email: string) => smtp.received.filter((m) => m.to.includes(email));

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

it('records the unused remainder of a block as expired when its timer fires, and not before', async () => {
  const seed = await seedHourBank(db);
  await withWorkers(async () => {
    const handle = await start(seed);
    const now = await env.currentTimeMs();
    await handle.executeUpdate(buyBlockUpdate, {
      args: [{ blockId: randomUUID(), minutes: 600, priceCents: 90_000, expiresAt: new Date(now + 30 * DAY).toISOString(), actorId: seed.managerId }],
    });
    await handle.executeUpdate(buyBlockUpdate, { args: [{ blockId: randomUUID(), minutes: 300, priceCents: 45_000, expiresAt: null, actorId: seed.managerId }] });
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 120 }] });
    expect((await handle.query(hourBankQuery)).remainingMinutes).toBe(780);

    await env.sleep(29 * DAY);
    expect((await handle.query(hourBankQuery)).remainingMinutes).toBe(780);
    await env.sleep(2 * DAY);
    const snapshot = await handle.query(hourBankQuery);
    expect(snapshot).toMatchObject({ remainingMinutes: 300, nextExpiryAt: null });
  });
  expect(await ledgerOf(seed)).toEqual([
    { kind: 'purchase', minutes: 600, balance_after: 600 },
    { kind: 'purchase', minutes: 300, balance_after: 900 },
    { kind: 'consumption', minutes: -120, balance_after: 780 },
    { kind: 'expiry', minutes: -480, balance_after: 300 },
  ]);
  const contract = await withTenant(db, seed.tenantId, (tx) => contractsRepo.findContract(tx, seed.contractId));
  expect(contract?.remainingMinutes).toBe(300);
});

it('notifies each threshold once, in the app and by e-mail to the manager and the client contact, with one renewal proposal', async () => {
  const seed = await seedHourBank(db, { thresholds: [{ kind: 'percent', value: 20 }, { kind: 'minutes', value: 60 }], usualPackMinutes: 600, usualPackPriceCents: 85_000 });
  await withWorkers(async () => {
    const handle = await start(seed);
    await handle.executeUpdate(buyBlockUpdate, { args: [{ blockId: randomUUID(), minutes: 600, priceCents: 85_000, expiresAt: null, actorId: seed.managerId }] });
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 450 }] }); // 150 left: nothing yet
    expect((await handle.query(hourBankQuery)).thresholdsCrossed).toEqual([]);
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 40 }] }); // 110 left: 20 % (120) crossed
    await env.sleep(DAY);
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 20 }] }); // 90: nothing new
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 30 }] }); // 60: 1 h crossed
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 30 }] }); // 30: nothing new
    expect((await handle.query(hourBankQuery)).thresholdsCrossed).toEqual(['minutes:60', 'percent:20']);
    await eventually(async () => mailsTo(seed.managerEmail).length === 2 && mailsTo(seed.contactEmail).length === 2, 'four threshold e-mails');
  });

  const notifications = await withTenant(db, seed.tenantId, (tx) => tx('notifications').where({ user_id: seed.managerId }).orderBy('created_at'));
  expect(notifications.map((n) => n.title)).toEqual([
    "Banque d'heures « Support 2027 » : seuil de 20 % atteint",
    "Banque d'heures « Support 2027 » : seuil de 1 h atteint",
  ]);
  expect(notifications[0]).toMatchObject({ kind: 'contract-threshold', link: `/contracts/${seed.contractId}` });
  expect(mailsTo(seed.managerEmail)[0]!.raw).toContain('Il reste 1,83 h');
  expect(mailsTo(seed.contactEmail)[0]!.raw).toContain('Votre prestataire vous proposera');

  // One renewal proposal however many thresholds: an open opportunity renewing the contract, with a draft quote.
  const renewals = await withTenant(db, seed.tenantId, (tx) =>
    tx('opportunities as o').join('quotes as q', 'q.opportunity_id', 'o.id').where('o.renews_contract_id', seed.contractId).select('o.amount_cents', 'q.status', 'q.total_excl_tax_cents', 'o.owner_id'),
  );
  expect(renewals).toEqual([{ amount_cents: 85_000, status: 'draft', total_excl_tax_cents: 85_000, owner_id: seed.managerId }]);
});

it('re-arms a threshold after a top-up, and refuses impossible requests with a reason', async () => {
  const seed = await seedHourBank(db, { thresholds: [{ kind: 'minutes', value: 60 }], overdraftLimitMinutes: 30 });
  await withWorkers(async () => {
    const handle = await start(seed);
    await handle.executeUpdate(buyBlockUpdate, { args: [{ blockId: randomUUID(), minutes: 120, priceCents: 0, expiresAt: null, actorId: null }] });
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 90 }] }); // 30 left: crossed
    await handle.executeUpdate(buyBlockUpdate, { args: [{ blockId: randomUUID(), minutes: 120, priceCents: 0, expiresAt: null, actorId: null }] }); // 150: re-armed
    expect((await handle.query(hourBankQuery)).thresholdsCrossed).toEqual([]);
    await handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 100 }] }); // 50: crossed again

    const refused = async (p: Promise<unknown>) => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
      return ((err as WorkflowUpdateFailedError).cause as Error).message;
    };
    expect(await refused(handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 0 }] }))).toMatch('whole number of minutes');
    expect(await refused(handle.executeUpdate(adjustBalanceUpdate, { args: [{ adjustmentId: randomUUID(), minutes: -100, reason: 'erreur de saisie', actorId: null }] }))).toBe(
      'the balance would go below -30 minutes',
    );
    await withTenant(db, seed.tenantId, (tx) => contractsRepo.updateContract(tx, seed.contractId, { status: 'suspended' }));
    await handle.signal(contractChangedSignal);
    await eventually(async () => (await handle.query(hourBankQuery)).status === 'suspended', 'the reload');
    expect(await refused(handle.executeUpdate(consumeTimeUpdate, { args: [{ timeEntryId: randomUUID(), minutes: 10 }] }))).toBe(
      'the contract is suspended; only an active contract consumes time',
    );
    // The workflow is still there and consistent after the refusals.
    expect((await handle.query(hourBankQuery)).remainingMinutes).toBe(50);
  });
  const notifications = await withTenant(db, seed.tenantId, (tx) => tx('notifications').where({ user_id: seed.managerId }));
  expect(notifications).toHaveLength(2);
});
