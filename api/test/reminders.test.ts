import { Client, Connection } from '@temporalio/client';
import { notificationsRepo, withTenant } from '@vigie/db';
import { reminderId } from '@vigie/workflows/client';
import { startTestApi, sessionAs, type Session, type TestApi } from './support/harness';

let api: TestApi;
let manager: Session;
let admin: Session;
let temporal: Client;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  manager = await sessionAs(api, admin, 'manager');
  temporal = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
});
afterAll(async () => {
  await temporal?.connection.close();
  await api.close();
});

const call = (method: string, path: string, token: string, body?: unknown) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });
const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();

it('creates a reminder and its durable workflow, then records snooze and done, signalling the workflow', async () => {
  const clientId = (await call('POST', '/clients', admin.token, { name: 'Relances SA' })).body.id;
  const created = await call('POST', '/reminders', manager.token, { title: 'Rappeler le DSI', dueAt: inOneDay(), clientId });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ status: 'pending', ownerId: manager.user.id, clientId, firedCount: 0 });
  const handle = temporal.workflow.getHandle(reminderId(manager.user.tenantId, created.body.id));
  expect((await handle.describe()).status.name).toBe('RUNNING');

  const until = new Date(Date.now() + 3 * 86_400_000).toISOString();
  const snoozed = await call('POST', `/reminders/${created.body.id}/snooze`, manager.token, { until });
  expect(snoozed.body).toMatchObject({ status: 'pending', dueAt: until });
  const done = await call('POST', `/reminders/${created.body.id}/done`, manager.token);
  expect(done.body.status).toBe('done');
  expect((await call('POST', `/reminders/${created.body.id}/done`, manager.token)).status).toBe(409);

  const signals = [];
  for (const event of (await handle.fetchHistory()).events ?? []) {
    if (event.workflowExecutionSignaledEventAttributes) signals.push(event.workflowExecutionSignaledEventAttributes.signalName);
  }
  expect(signals).toEqual(['snoozeReminder', 'completeReminder']);
});

it('shows technicians only their own reminders; managers may see anyone’s', async () => {
  const tech = await sessionAs(api, admin, 'technician');
  const mine = await call('POST', '/reminders', tech.token, { title: 'À moi', dueAt: inOneDay() });
  const theirs = await call('POST', '/reminders', manager.token, { title: 'Au manager', dueAt: inOneDay() });
  const seenByTech = (await call('GET', '/reminders', tech.token)).body.items.map((r: { id: string }) => r.id);
  expect(seenByTech).toContain(mine.body.id);
  expect(seenByTech).not.toContain(theirs.body.id);
  expect((await call('GET', `/reminders/${theirs.body.id}`, tech.token)).status).toBe(404);
  expect((await call('GET', `/reminders?ownerId=${tech.user.id}`, manager.token)).body.items.map((r: { id: string }) => r.id)).toEqual([mine.body.id]);
});

it('refuses bad input without writing', async () => {
  const other = await api.signup();
  const before = (await call('GET', '/reminders', manager.token)).body.items.length;
  expect((await call('POST', '/reminders', manager.token, { title: 'X', dueAt: 'tomorrow' })).status).toBe(400);
  expect((await call('POST', '/reminders', manager.token, { title: 'X', dueAt: inOneDay(), ownerId: other.user.id })).status).toBe(400);
  expect((await call('POST', '/reminders', manager.token, { title: 'X', dueAt: inOneDay(), clientId: '00000000-0000-4000-8000-000000000000' })).status).toBe(400);
  expect((await call('GET', '/reminders', manager.token)).body.items.length).toBe(before);
});

it('lists your notifications with the unread count and marks them read', async () => {
  // One transaction each: now() is the transaction's start, and the order is by creation time.
  for (const n of [1, 2]) {
    await new Promise((r) => setTimeout(r, 5)); // distinct milliseconds (timestamps keep 3 digits)
    await withTenant(api.deps.db, manager.user.tenantId, (tx) =>
      notificationsRepo.notify(tx, { tenantId: manager.user.tenantId, userId: manager.user.id, kind: 'reminder', title: `Rappel ${n}`, body: '', link: null, sourceKey: `t:${manager.user.id}:${n}` }),
    );
  }
  const list = await call('GET', '/notifications', manager.token);
  expect(list.body).toMatchObject({ unreadCount: 2 });
  expect(list.body.items.map((n: { title: string }) => n.title)).toEqual(['Rappel 2', 'Rappel 1']);
  expect((await call('POST', `/notifications/${list.body.items[0].id}/read`, manager.token)).status).toBe(204);
  expect((await call('GET', '/notifications?unread=true', manager.token)).body).toMatchObject({ unreadCount: 1, items: [{ title: 'Rappel 1' }] });
  // Someone else's notification is not yours to read.
  expect((await call('POST', `/notifications/${list.body.items[1].id}/read`, admin.token)).status).toBe(404);
  await call('POST', '/notifications/read-all', manager.token);
  expect((await call('GET', '/notifications', manager.token)).body.unreadCount).toBe(0);
});
