import { randomUUID } from 'node:crypto';
import { tenantsRepo, withTenant } from '@vigie/db';
import { startTestWorker } from '../../worker/test/support/worker';
import { sessionAs, startTestApi, uniqueEmail, type Session, type TestApi } from './support/harness';

/**
 * /interventions through the real API, with the workers of the domains it signals. The tenant's calendar
 * is the default one (Europe/Paris, Mon–Fri 09:00–12:30 and 13:30–18:00); June 2030 is UTC+2, and
 * Monday 3 June 2030 09:00 in Paris is 07:00Z.
 */
let api: TestApi;
let admin: Session;
let worker: { stop(): Promise<void> };
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  await withTenant(api.deps.db, admin.user.tenantId, (tx) => tenantsRepo.ensureTenantSettings(tx, admin.user.tenantId)); // made by onboarding, whose worker is not running here
  worker = await startTestWorker(['tickets', 'contracts', 'crm', 'planning']);
});
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token, headers?: Record<string, string>) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

const technician = async () => (await sessionAs(api, admin, 'technician')).user.id;

async function ticketFor(billingAddress = { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon' }) {
  const client = (await call('POST', '/clients', { name: `Client ${randomUUID().slice(0, 6)}`, billingAddress })).body;
  const ticket = (await call('POST', '/tickets', { clientId: client.id, subject: 'Serveur à remplacer' })).body;
  return { client, ticket };
}

const plan = (ticketId: string, technicianIds: string[], startAt: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/interventions', { ticketId, mode: 'remote', startAt, durationMinutes: 60, technicianIds, ...extra });

const listFor = async (technicianId: string) =>
  (await call('GET', `/interventions?from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z&technicianId=${technicianId}`)).body.items as { id: string; startAt: string; status: string }[];

it('plans remote and on-site interventions: the site’s address (else the billing address) is copied, the ticket’s timeline and the audit keep it', async () => {
  const tech = await technician();
  const { client, ticket } = await ticketFor();
  const site = (await call('POST', `/clients/${client.id}/sites`, { name: 'Entrepôt', address: { line1: '12 avenue Foch', postalCode: '75016', city: 'Paris' } })).body;

  const remote = await plan(ticket.id, [tech], '2030-06-03T07:00:00Z');
  expect(remote.status).toBe(201);
  expect(remote.body).toMatchObject({
    ticketId: ticket.id,
    ticketNumber: ticket.number,
    ticketSubject: 'Serveur à remplacer',
    clientId: client.id,
    mode: 'remote',
    startAt: '2030-06-03T07:00:00.000Z',
    endAt: '2030-06-03T08:00:00.000Z',
    status: 'planned',
    technicians: [{ id: tech, name: 'A technician' }],
    siteId: null,
    address: null,
    reminderLeadMinutes: 60,
  });
  const onsite = await plan(ticket.id, [tech], '2030-06-03T12:00:00Z', { mode: 'onsite', siteId: site.id, reminderLeadMinutes: 120, notes: 'Badge à l’accueil' });
  expect(onsite.status).toBe(201);
  expect(onsite.body).toMatchObject({ mode: 'onsite', siteId: site.id, address: '12 avenue Foch, 75016 Paris', notes: 'Badge à l’accueil', reminderLeadMinutes: 120 });
  const billing = await plan(ticket.id, [tech], '2030-06-04T07:00:00Z', { mode: 'onsite' });
  expect(billing.body).toMatchObject({ siteId: null, address: '3 rue des Lilas, 69003 Lyon' });
  const foreignSite = await plan(ticket.id, [tech], '2030-06-05T07:00:00Z', { mode: 'onsite', siteId: (await call('POST', `/clients/${(await ticketFor()).client.id}/sites`, { name: 'Ailleurs', address: { city: 'Nice' } })).body.id });
  expect(foreignSite.status).toBe(400);

  expect((await call('GET', `/interventions/${onsite.body.id}`)).body).toEqual(onsite.body);
  expect((await listFor(tech)).map((i) => i.id)).toEqual([remote.body.id, onsite.body.id, billing.body.id]);
  const timeline = (await call('GET', `/tickets/${ticket.id}/timeline?limit=100`)).body.items.filter((e: { field: string }) => e.field === 'intervention');
  expect(timeline).toHaveLength(3);
  expect(timeline[0]).toMatchObject({ kind: 'change', visibility: 'internal', fromValue: null });
  const audit = (await call('GET', `/audit-log?entity=intervention&entityId=${onsite.body.id}`)).body.items;
  expect(audit.map((e: { action: string }) => e.action)).toEqual(['intervention.create']);
});

it('refuses bad input: unknown ticket or technician, closed ticket, client user as technician, a range over 93 days', async () => {
  const tech = await technician();
  const { client, ticket } = await ticketFor();
  expect((await plan(randomUUID(), [tech], '2030-06-03T07:00:00Z')).status).toBe(400);
  expect((await plan(ticket.id, [randomUUID()], '2030-06-03T07:00:00Z')).body.errors[0].path).toBe('technicianIds');
  const portal = (await call('POST', '/users', { email: uniqueEmail('portal'), name: 'Portail', role: 'client', clientId: client.id, password: 'a long portal password' })).body;
  expect((await plan(ticket.id, [portal.id], '2030-06-03T07:00:00Z')).status).toBe(400);
  expect((await plan(ticket.id, [tech], '2030-06-03T07:00:00Z', { durationMinutes: 2 })).status).toBe(400);
  const closed = (await ticketFor()).ticket;
  await call('POST', `/tickets/${closed.id}/status`, { status: 'closed', note: 'Fait.' });
  expect((await plan(closed.id, [tech], '2030-06-03T07:00:00Z')).status).toBe(409);
  expect((await call('GET', '/interventions?from=2030-01-01T00:00:00Z&to=2030-04-05T00:00:00Z')).status).toBe(400);
  expect((await call('GET', '/interventions?from=2030-01-01T00:00:00Z&to=2030-04-04T00:00:00Z')).status).toBe(200);
  expect((await call('GET', '/interventions?from=2030-01-01T00:00:00Z')).status).toBe(400);
});

it('an overlap is a 409 naming the other intervention and saves nothing; check flags it; force saves it', async () => {
  const tech = await technician();
  const other = await technician();
  const { ticket } = await ticketFor();
  const first = (await plan(ticket.id, [tech], '2030-06-03T07:00:00Z')).body;
  // Half-open: one that starts when the first ends does not overlap.
  expect((await plan(ticket.id, [tech], '2030-06-03T08:00:00Z', { durationMinutes: 30 })).status).toBe(201);

  const body = { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-03T07:30:00Z', durationMinutes: 60, technicianIds: [other, tech] };
  const refused = await call('POST', '/interventions', body);
  expect(refused.status).toBe(409);
  expect(refused.headers.get('content-type')).toContain('application/problem+json');
  expect(refused.body).toMatchObject({ type: 'urn:vigie:problem:conflict', status: 409, title: 'Conflict' });
  expect(refused.body.detail).toContain(ticket.number);
  expect(refused.body.detail).toContain(first.id);
  const overlaps = refused.body.conflicts.filter((c: { kind: string }) => c.kind === 'overlap');
  expect(overlaps).toEqual([
    { kind: 'overlap', technicianId: tech, withInterventionId: first.id, from: '2030-06-03T07:30:00.000Z', to: '2030-06-03T08:00:00.000Z' },
    { kind: 'overlap', technicianId: tech, withInterventionId: expect.any(String), from: '2030-06-03T08:00:00.000Z', to: '2030-06-03T08:30:00.000Z' },
  ]);
  expect(await listFor(other)).toEqual([]);
  expect(await listFor(tech)).toHaveLength(2);

  const checked = await call('POST', '/interventions/check', body);
  expect(checked.status).toBe(200);
  expect(checked.body.conflicts).toEqual(refused.body.conflicts);
  expect(await listFor(tech)).toHaveLength(2);

  const forced = await call('POST', '/interventions', { ...body, force: true }, admin.token, { 'Idempotency-Key': `force-${randomUUID()}` });
  expect(forced.status).toBe(201);
  expect(forced.headers.get('planning-conflicts')).toBe('2');
  expect(forced.body.technicians.map((t: { id: string }) => t.id).sort()).toEqual([other, tech].sort());
  expect(await listFor(tech)).toHaveLength(3);
  expect(await listFor(other)).toHaveLength(1);
});

it('flags absences (approved or requested, not rejected), time outside working hours and public holidays', async () => {
  const tech = await technician();
  const { ticket } = await ticketFor();
  const tenantId = admin.user.tenantId;
  const approved = randomUUID();
  await withTenant(api.deps.db, tenantId, (tx) =>
    tx('absences').insert([
      { tenant_id: tenantId, id: approved, user_id: tech, kind: 'training', start_at: '2030-06-04T08:00:00Z', end_at: '2030-06-04T12:00:00Z', status: 'approved' },
      { tenant_id: tenantId, id: randomUUID(), user_id: tech, kind: 'holiday', start_at: '2030-06-05T00:00:00Z', end_at: '2030-06-06T00:00:00Z', status: 'rejected' },
    ]),
  );
  const absent = await plan(ticket.id, [tech], '2030-06-04T07:30:00Z');
  expect(absent.status).toBe(409);
  expect(absent.body.conflicts).toEqual([
    { kind: 'absence', technicianId: tech, absenceId: approved, absenceKind: 'training', absenceStatus: 'approved', from: '2030-06-04T08:00:00.000Z', to: '2030-06-04T08:30:00.000Z' },
  ]);
  expect((await plan(ticket.id, [tech], '2030-06-05T07:30:00Z')).status).toBe(201); // the rejected absence counts for nothing
  const requested = randomUUID();
  await withTenant(api.deps.db, tenantId, (tx) =>
    tx('absences').insert({ tenant_id: tenantId, id: requested, user_id: tech, kind: 'sick', start_at: '2030-06-06T07:00:00Z', end_at: '2030-06-06T09:00:00Z', status: 'requested' }),
  );
  const maybe = await call('POST', '/interventions/check', { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-06T08:00:00Z', durationMinutes: 120, technicianIds: [tech] });
  expect(maybe.body.conflicts).toEqual([
    { kind: 'absence', technicianId: tech, absenceId: requested, absenceKind: 'sick', absenceStatus: 'requested', from: '2030-06-06T08:00:00.000Z', to: '2030-06-06T09:00:00.000Z' },
  ]);

  // 19:00–20:00 in Paris, and a Saturday.
  const late = await call('POST', '/interventions/check', { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-03T17:00:00Z', durationMinutes: 60, technicianIds: [tech] });
  expect(late.body.conflicts).toEqual([{ kind: 'outside_hours', technicianId: tech, minutesOutside: 60 }]);
  const saturday = await plan(ticket.id, [tech], '2030-06-08T08:00:00Z', { durationMinutes: 90 });
  expect(saturday.status).toBe(409);
  expect(saturday.body.conflicts).toEqual([{ kind: 'outside_hours', technicianId: tech, minutesOutside: 90 }]);
  // Straddling lunch (12:30–13:30 Paris): 30 minutes outside.
  expect((await call('POST', '/interventions/check', { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-03T10:00:00Z', durationMinutes: 60, technicianIds: [tech] })).body.conflicts).toEqual([
    { kind: 'outside_hours', technicianId: tech, minutesOutside: 30 },
  ]);

  const calendar = (await call('GET', '/settings/business-calendar')).body;
  expect((await call('PUT', '/settings/business-calendar', { ...calendar, holidays: [...calendar.holidays, '2030-06-10'] })).status).toBe(200);
  const holiday = await plan(ticket.id, [tech], '2030-06-10T07:00:00Z');
  expect(holiday.status).toBe(409);
  expect(holiday.body.conflicts).toEqual([{ kind: 'holiday', technicianId: tech, date: '2030-06-10' }]);

  // A technician's own week replaces the tenant's: working on Saturday mornings.
  const week = { ...calendar.week, 6: [{ start: '09:00', end: '12:00' }] };
  await withTenant(api.deps.db, tenantId, (tx) => tx('technician_schedules').insert({ tenant_id: tenantId, user_id: tech, week: JSON.stringify(week) }));
  expect((await plan(ticket.id, [tech], '2030-06-08T08:00:00Z', { durationMinutes: 90 })).status).toBe(201);
});

it('moves and reassigns with the same rule (never conflicting with itself), and a done or cancelled one no longer changes', async () => {
  const tech = await technician();
  const other = await technician();
  const { ticket } = await ticketFor();
  const a = (await plan(ticket.id, [tech], '2030-06-03T07:00:00Z')).body;
  const b = (await plan(ticket.id, [other], '2030-06-03T09:00:00Z')).body;

  // Resizing in place overlaps only itself.
  const longer = await call('PATCH', `/interventions/${a.id}`, { durationMinutes: 90 });
  expect(longer.status).toBe(200);
  expect(longer.body).toMatchObject({ durationMinutes: 90, endAt: '2030-06-03T08:30:00.000Z' });
  const dragged = { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-03T07:30:00Z', durationMinutes: 90, technicianIds: [tech] };
  expect((await call('POST', `/interventions/check?interventionId=${a.id}`, dragged)).body.conflicts).toEqual([]);

  const reassigned = await call('PATCH', `/interventions/${a.id}`, { startAt: '2030-06-03T08:30:00Z', technicianIds: [other] });
  expect(reassigned.status).toBe(409);
  expect(reassigned.body.conflicts).toEqual([{ kind: 'overlap', technicianId: other, withInterventionId: b.id, from: '2030-06-03T09:00:00.000Z', to: '2030-06-03T10:00:00.000Z' }]);
  expect((await call('GET', `/interventions/${a.id}`)).body).toMatchObject({ startAt: '2030-06-03T07:00:00.000Z', technicians: [{ id: tech }] });

  const moved = await call('PATCH', `/interventions/${a.id}`, { startAt: '2030-06-04T07:00:00Z', technicianIds: [other], mode: 'onsite' });
  expect(moved.status).toBe(200);
  expect(moved.body).toMatchObject({ startAt: '2030-06-04T07:00:00.000Z', technicians: [{ id: other }], mode: 'onsite', address: '3 rue des Lilas, 69003 Lyon' });
  expect(await listFor(tech)).toEqual([]);
  const toRemote = await call('PATCH', `/interventions/${a.id}`, { mode: 'remote' });
  expect(toRemote.body).toMatchObject({ mode: 'remote', address: null, siteId: null });

  expect((await call('POST', `/interventions/${b.id}/cancel`)).body.status).toBe('cancelled');
  // A cancelled intervention no longer takes the time.
  expect((await call('PATCH', `/interventions/${a.id}`, { startAt: '2030-06-03T09:00:00Z' })).status).toBe(200);
  expect((await call('PATCH', `/interventions/${b.id}`, { notes: 'x' })).status).toBe(409);
  expect((await call('POST', `/interventions/${b.id}/complete`, {})).status).toBe(409);
  await call('POST', `/interventions/${a.id}/complete`, { createTimeEntries: false });
  expect((await call('PATCH', `/interventions/${a.id}`, { notes: 'x' })).status).toBe(409);
  expect((await call('POST', `/interventions/${a.id}/cancel`)).status).toBe(409);
  const team = (await call('POST', '/teams', { name: `Équipe ${randomUUID()}`, memberIds: [other] })).body;
  const byTeam = (await call('GET', `/interventions?from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z&teamId=${team.id}`)).body.items;
  expect(byTeam.map((i: { id: string }) => i.id).sort()).toEqual([a.id, b.id].sort());
  expect((await call('GET', `/interventions?from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z&teamId=${team.id}&status=done`)).body.items.map((i: { id: string }) => i.id)).toEqual([a.id]);
});

it('completing creates exactly one pending time entry per technician, of its duration on its date, even when called twice', async () => {
  const tech = await technician();
  const other = await technician();
  const { ticket } = await ticketFor();
  // 00:30 in Paris on 4 June is still 3 June in UTC: the entry is dated in the tenant's time zone.
  const i = (await plan(ticket.id, [tech, other], '2030-06-03T22:30:00Z', { durationMinutes: 75, mode: 'onsite', force: true })).body;
  const first = await call('POST', `/interventions/${i.id}/complete`, {});
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({ status: 'done' });
  expect(first.body.timeEntryIds).toHaveLength(2);
  const again = await call('POST', `/interventions/${i.id}/complete`, {});
  expect(again.status).toBe(200);
  expect(again.body.timeEntryIds).toEqual([]);

  const entries = (await call('GET', `/tickets/${ticket.id}/time-entries?limit=50`)).body.items;
  expect(entries).toHaveLength(2);
  for (const e of entries) expect(e).toMatchObject({ minutes: 75, status: 'pending', date: '2030-06-04', billable: true, description: 'Intervention sur site — Serveur à remplacer' });
  expect(entries.map((e: { technicianId: string }) => e.technicianId).sort()).toEqual([tech, other].sort());
  const linked = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('time_entries').where({ intervention_id: i.id }).count<{ count: string }[]>('* as count'));
  expect(Number(linked[0]!.count)).toBe(2);
  const audit = (await call('GET', `/audit-log?entity=intervention&entityId=${i.id}`)).body.items.map((e: { action: string }) => e.action);
  expect(audit.sort()).toEqual(['intervention.complete', 'intervention.create']);
});

it('is for staff: a technician plans and completes, a client user gets 403 everywhere', async () => {
  const techSession = await sessionAs(api, admin, 'technician');
  const { client, ticket } = await ticketFor();
  const mine = await call('POST', '/interventions', { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-12T07:00:00Z', durationMinutes: 30, technicianIds: [techSession.user.id] }, techSession.token);
  expect(mine.status).toBe(201);
  expect((await call('POST', `/interventions/${mine.body.id}/complete`, { description: 'Mise à jour faite' }, techSession.token)).status).toBe(200);

  const email = uniqueEmail('portal');
  await call('POST', '/users', { email, name: 'Portail', role: 'client', clientId: client.id, password: 'a long portal password' });
  const portal = (await api.login(email, 'a long portal password')).accessToken;
  expect((await call('GET', '/interventions?from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z', undefined, portal)).status).toBe(403);
  expect((await call('GET', `/interventions/${mine.body.id}`, undefined, portal)).status).toBe(403);
  expect((await call('POST', '/interventions', { ticketId: ticket.id, mode: 'remote', startAt: '2030-06-12T07:00:00Z', durationMinutes: 30, technicianIds: [techSession.user.id] }, portal)).status).toBe(403);
  expect((await call('POST', `/interventions/${mine.body.id}/cancel`, undefined, portal)).status).toBe(403);
});
