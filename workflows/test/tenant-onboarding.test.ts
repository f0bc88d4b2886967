import { randomUUID } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DeterminismViolationError } from '@temporalio/workflow';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { createTenantActivities } from '@vigie/activities';
import { createDb, slaRepo, tenantsRepo, withTenant, type Db } from '@vigie/db';
import { bundlePath } from '../src/bundles';
import { onboardingStepsQuery, tenantOnboardingWorkflow } from '../src/tenants/tenant-onboarding.workflow';
import history from './histories/tenant-onboarding-v1.json';
import historyV2 from './histories/tenant-onboarding-v2.json';
import historyV3 from './histories/tenant-onboarding-v3.json';
import { installQuietRuntime } from './support/runtime';

/** Time-skipping tests on the Java test server, with the real activities on the test Postgres. */
let env: TestWorkflowEnvironment;
let db: Db;

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: process.env.TEMPORAL_TEST_SERVER! } },
  });
  db = createDb(process.env.DATABASE_URL!, 4);
});
afterAll(async () => {
  await env?.teardown();
  await db?.destroy();
});

async function newTenant(): Promise<string> {
  const id = randomUUID();
  await withTenant(db, id, (tx) => tenantsRepo.insertTenant(tx, { id, name: 'Onboard Me' }));
  return id;
}

async function run<T>(work: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: bundlePath('tenants') },
    activities: createTenantActivities({ db }),
  });
  return worker.runUntil(work(taskQueue));
}

it('creates default settings, marks the tenant onboarded, and is harmless when run again', async () => {
  const tenantId = await newTenant();
  const first = await run((taskQueue) =>
    env.client.workflow.execute(tenantOnboardingWorkflow, { taskQueue, workflowId: `onboarding-${tenantId}`, args: [{ tenantId }] }),
  );
  expect(first).toEqual({ tenantId, settingsCreated: true });
  const { settings, tenant } = await withTenant(db, tenantId, async (tx) => ({
    settings: await tenantsRepo.getTenantSettings(tx, tenantId),
    tenant: await tx('tenants').where({ id: tenantId }).first(),
  }));
  expect(settings).toMatchObject({ locale: 'fr', currency: 'EUR', timezone: 'Europe/Paris' });
  expect(tenant.onboarded_at).toBeInstanceOf(Date);
  const policies = await withTenant(db, tenantId, (tx) => slaRepo.listPolicies(tx));
  expect(policies).toEqual([
    expect.objectContaining({
      name: 'Standard',
      isDefault: true,
      warningPercent: 75,
      autoCloseDays: 7,
      targets: {
        critical: { firstResponseMinutes: 60, resolutionMinutes: 240 },
        high: { firstResponseMinutes: 120, resolutionMinutes: 480 },
        normal: { firstResponseMinutes: 240, resolutionMinutes: 960 },
        low: { firstResponseMinutes: 480, resolutionMinutes: 2400 },
      },
    }),
  ]);

  const again = await run((taskQueue) =>
    env.client.workflow.execute(tenantOnboardingWorkflow, { taskQueue, workflowId: `onboarding-again-${tenantId}`, args: [{ tenantId }] }),
  );
  expect(again).toEqual({ tenantId, settingsCreated: false });
  expect(await withTenant(db, tenantId, (tx) => slaRepo.listPolicies(tx))).toHaveLength(1);
});

it('reports its completed steps through a query', async () => {
  const tenantId = await newTenant();
  const steps = await run(async (taskQueue) => {
    const handle = await env.client.workflow.start(tenantOnboardingWorkflow, { taskQueue, workflowId: `steps-${tenantId}`, args: [{ tenantId }] });
    await handle.result();
    return handle.query(onboardingStepsQuery);
  });
  expect(steps).toEqual(['settings', 'pipeline', 'sla', 'done']);
});

it('fails fast, without retrying forever, for a tenant that does not exist', async () => {
  const tenantId = randomUUID();
  const error = await run((taskQueue) =>
    env.client.workflow
      .execute(tenantOnboardingWorkflow, { taskQueue, workflowId: `missing-${tenantId}`, args: [{ tenantId }] })
      .then(() => null, (err: unknown) => err),
  );
  expect(error).toBeInstanceOf(WorkflowFailedError);
  expect(String((error as WorkflowFailedError).cause?.cause)).toContain('does not exist');
});

it.each([
  ['v1, recorded before the pipeline step existed (replays through patched())', history],
  ['v2, with the pipeline step (replays through the SLA policy patch)', historyV2],
  ['v3, with the SLA policy step', historyV3],
])('replays a history recorded from a real run without non-determinism: %s', async (_name, recorded) => {
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath('tenants') } }, historyFromJSON(recorded)),
  ).resolves.toBeUndefined();
});

it('detects a workflow change that would break running histories (the replay test can fail)', async () => {
  const tampered = structuredClone(history) as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
  const scheduled = tampered.events.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'someOtherActivity';
  await expect(
    Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath('tenants') } }, historyFromJSON(tampered)),
  ).rejects.toBeInstanceOf(DeterminismViolationError);
});
