import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createTenantActivities } from '@vigie/activities';
import { createDb, tenantsRepo, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '@vigie/workflows/bundles';
import { queueOf, tenantOnboardingId } from '@vigie/workflows/client';
import { startTestApi, type TestApi } from '../../api/test/support/harness';
import { sweepOnboarding } from '../src/sweeps';
import { installQuietRuntime } from '../../workflows/test/support/runtime';

/** Integration on the real dev server: signup starts onboarding, the worker completes it. */
let api: TestApi;
let db: Db;
let client: Client;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  installQuietRuntime();
  api = await startTestApi();
  db = createDb(process.env.DATABASE_URL!, 4);
  client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  worker = await Worker.create({
    connection: await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS! }),
    taskQueue: queueOf('tenants'),
    workflowBundle: { codePath: bundlePath('tenants') },
    activities: createTenantActivities({ db }),
  });
  running = worker.run();
});
afterAll(async () => {
  worker?.shutdown();
  await running;
  await client?.connection.close();
  await db?.destroy();
  await api?.close();
});

const onboardedAt = (tenantId: string) =>
  withTenant(db, tenantId, async (tx) => (await tx('tenants').where({ id: tenantId }).first())?.onboarded_at as Date | null);

it('signup starts the tenant onboarding workflow, tagged with the tenant, and it completes', async () => {
  const session = await api.signup();
  const tenantId = session.user.tenantId;
  const result = await client.workflow.getHandle(tenantOnboardingId(tenantId)).result();
  expect(result).toEqual({ tenantId, settingsCreated: true });
  expect(await onboardedAt(tenantId)).toBeInstanceOf(Date);

  // Visibility: workflows are searchable by tenant (operators, finance in the Web UI).
  let found: string[] = [];
  for (let i = 0; i < 40 && found.length === 0; i++) {
    found = [];
    for await (const wf of client.workflow.list({ query: `TenantId = '${tenantId}'` })) found.push(wf.workflowId);
    if (!found.length) await new Promise((r) => setTimeout(r, 250));
  }
  expect(found).toEqual([tenantOnboardingId(tenantId)]);
});

it('the sweep onboards a tenant whose signup could not reach Temporal', async () => {
  const tenantId = randomUUID();
  // Signed up 20 minutes ago; the sweep takes tenants older than 10: never those other test files are
  // creating right now (the whole suite runs in less), whose own tests expect to onboard them themselves.
  await withTenant(db, tenantId, async (tx) => {
    await tenantsRepo.insertTenant(tx, { id: tenantId, name: 'Missed' });
    await tx('tenants').where({ id: tenantId }).update({ created_at: tx.raw(`now() - interval '20 minutes'`) });
  });
  expect(await sweepOnboarding(db, client, 600)).toContain(tenantId);
  await client.workflow.getHandle(tenantOnboardingId(tenantId)).result();
  expect(await onboardedAt(tenantId)).toBeInstanceOf(Date);
  expect(await sweepOnboarding(db, client, 600)).not.toContain(tenantId);
});
