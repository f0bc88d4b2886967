// ical.js is an ES module: typed with an import-mode type import, loaded with a dynamic import().
import type ICALModule from 'ical.js' with { 'resolution-mode': 'import' };
import { randomUUID } from 'node:crypto';
import { withTenant } from '@vigie/db';
import { sessionAs, startTestApi, type Session, type TestApi } from './support/harness';

/**
 * Availability through the real API: absences with a manager's approval, technicians' working weeks,
 * a technician's calendar, the capacity forecast against a hand-computed week, and the secret iCalendar
 * feed read over HTTP by Mozilla's ical.js. Interventions are written straight into Postgres (their
 * own API is another module's).
 */
let ICAL: typeof ICALModule;
let api: TestApi;
let admin: Session;
let manager: Session;
let tech1: Session;
let tech2: Session;

beforeAll(async () => {
  ICAL = (await import('ical.js')).default;
  api = await startTestApi();
  admin = await api.signup({ name: 'Alice Admin' });
  manager = await sessionAs(api, admin, 'manager');
  tech1 = await sessionAs(api, admin, 'technician');
  tech2 = await sessionAs(api, admin, 'technician');
  // The tenant's hours: Monday–Friday 09:00–12:00 and 14:00–18:00 (7 h = 420 min a day), Paris time,
  // Thursday 13 May 2027 a public holiday.
  const week = { 1: office(), 2: office(), 3: office(), 4: office(), 5: office(), 6: [], 7: [] };
  const res = await call('PUT', '/settings/business-calendar', { timeZone: 'Europe/Paris', week, holidays: ['2027-05-13'] });
  expect(res.status).toBe(200);
}, 60_000);
afterAll(() => api?.close());

const office = () => [
  { start: '09:00', end: '12:00' },
  { start: '14:00', end: '18:00' },
];
const mornings = () => [{ start: '08:00', end: '12:00' }];

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

const tenantId = () => admin.user.tenantId;

async function requestAbsence(token: string, body: Record<string, unknown>): Promise<string> {
  const res = await call('POST', '/absences', body, token);
  expect([res.status, res.body.status]).toEqual([201, 'requested']);
  return res.body.id;
}

async function newTicket(clientId: string, subject: string, columns: Record<string, unknown> = {}): Promise<string> {
  const res = await call('POST', '/tickets', { clientId, subject });
  expect(res.status).toBe(201);
  if (Object.keys(columns).length) await withTenant(api.deps.db, tenantId(), (tx) => tx('tickets').where({ id: res.body.id }).update(columns));
  return res.body.id;
}

async function insertIntervention(ticketId: string, startAt: string, durationMinutes: number, technicianIds: string[], extra: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  await withTenant(api.deps.db, tenantId(), async (tx) => {
    await tx('interventions').insert({ tenant_id: tenantId(), id, ticket_id: ticketId, mode: 'remote', start_at: startAt, duration_minutes: durationMinutes, ...extra });
    await tx('intervention_technicians').insert(technicianIds.map((userId) => ({ tenant_id: tenantId(), intervention_id: id, user_id: userId })));
  });
  return id;
}

describe('absences', () => {
  it('are requested by technicians and decided by managers; technicians see only their own', async () => {
    const own = await requestAbsence(tech1.token, { kind: 'training', startAt: '2027-06-01T07:00:00Z', endAt: '2027-06-01T16:00:00Z', reason: 'Formation réseau' });
    const other = await requestAbsence(tech2.token, { kind: 'sick', startAt: '2027-06-02T07:00:00Z', endAt: '2027-06-02T16:00:00Z' });

    // A technician cannot decide, nor record for someone else, nor read someone else's.
    expect((await call('POST', `/absences/${own}/approve`, {}, tech1.token)).status).toBe(403);
    expect((await call('POST', '/absences', { technicianId: tech2.user.id, kind: 'holiday', startAt: '2027-06-03T07:00:00Z', endAt: '2027-06-03T16:00:00Z' }, tech1.token)).status).toBe(403);
    expect((await call('GET', `/absences?technicianId=${tech2.user.id}`, undefined, tech1.token)).status).toBe(403);
    expect((await call('DELETE', `/absences/${other}`, undefined, tech1.token)).status).toBe(404);
    const mine = await call('GET', '/absences', undefined, tech1.token);
    expect(mine.body.items.map((a: { id: string }) => a.id)).toEqual([own]);
    expect(mine.body.items[0]).toMatchObject({ technicianId: tech1.user.id, technicianName: 'A technician', kind: 'training', reason: 'Formation réseau', status: 'requested', decidedBy: null });

    const approved = await call('POST', `/absences/${own}/approve`, { comment: 'OK' }, manager.token);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', decidedBy: manager.user.id, decisionComment: 'OK' });
    expect((await call('POST', `/absences/${own}/approve`, {}, manager.token)).status).toBe(409);
    // Once approved, the technician cannot delete it; a manager can.
    expect((await call('DELETE', `/absences/${own}`, undefined, tech1.token)).status).toBe(409);

    const rejected = await call('POST', `/absences/${other}/reject`, { comment: 'Pas ce jour-là' }, manager.token);
    expect(rejected.body).toMatchObject({ status: 'rejected', decisionComment: 'Pas ce jour-là' });
    expect((await call('POST', `/absences/${other}/approve`, {}, manager.token)).status).toBe(409);

    // Managers see everyone's, filtered.
    const all = await call('GET', '/absences?from=2027-06-01T00:00:00Z&to=2027-06-03T00:00:00Z&sort=startAt', undefined, manager.token);
    expect(all.body.items.map((a: { id: string; status: string }) => [a.id, a.status])).toEqual([
      [own, 'approved'],
      [other, 'rejected'],
    ]);
    expect((await call('GET', '/absences?status=rejected&technicianId=' + tech2.user.id, undefined, manager.token)).body.items.map((a: { id: string }) => a.id)).toEqual([other]);

    // A manager records one for a technician: still requested. A technician deletes their own requested one.
    const recorded = await call('POST', '/absences', { technicianId: tech1.user.id, kind: 'holiday', startAt: '2027-06-10T07:00:00Z', endAt: '2027-06-11T16:00:00Z' }, manager.token);
    expect(recorded.body).toMatchObject({ status: 'requested', technicianId: tech1.user.id });
    expect((await call('DELETE', `/absences/${recorded.body.id}`, undefined, tech1.token)).status).toBe(204);
    expect((await call('DELETE', `/absences/${own}`, undefined, manager.token)).status).toBe(204);

    const audit = await call('GET', '/audit-log?limit=200');
    const actions = audit.body.items.filter((e: { entity: string }) => e.entity === 'absence').map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['absence.create', 'absence.approve', 'absence.reject', 'absence.delete']));
  });

  it('refuse an end before the start', async () => {
    const res = await call('POST', '/absences', { kind: 'sick', startAt: '2027-06-02T16:00:00Z', endAt: '2027-06-02T07:00:00Z' }, tech1.token);
    expect(res.status).toBe(400);
  });
});

describe('working weeks', () => {
  it('are set by managers, validated, and reset to the tenant’s hours', async () => {
    const path = `/technicians/${tech2.user.id}/schedule`;
    expect((await call('GET', path, undefined, tech2.token)).body).toEqual({ technicianId: tech2.user.id, week: { 1: office(), 2: office(), 3: office(), 4: office(), 5: office(), 6: [], 7: [] }, custom: false });
    const week = { 1: mornings(), 2: mornings(), 3: mornings(), 4: mornings(), 5: [], 6: [], 7: [] };
    expect((await call('PUT', path, { week }, tech2.token)).status).toBe(403);

    const backwards = await call('PUT', path, { week: { ...week, 1: [{ start: '12:00', end: '08:00' }] } }, manager.token);
    expect(backwards.status).toBe(400);
    const none = await call('PUT', path, { week: { 1: [], 2: [], 3: [], 4: [], 5: [], 6: [], 7: [] } }, manager.token);
    expect(none.status).toBe(400);
    expect(JSON.stringify(none.body)).toContain('no working time');
    expect((await call('PUT', path, { week: { ...week, 1: [{ start: '8h', end: '12:00' }] } }, manager.token)).status).toBe(400);
    expect((await call('GET', path)).body.custom).toBe(false);

    expect((await call('PUT', path, { week }, manager.token)).body).toEqual({ technicianId: tech2.user.id, week, custom: true });
    expect((await call('GET', path, undefined, tech1.token)).body).toEqual({ technicianId: tech2.user.id, week, custom: true });
    const reset = await call('PUT', path, { week: null }, manager.token);
    expect(reset.body).toMatchObject({ custom: false, week: { 1: office() } });
    expect((await call('GET', path)).body.custom).toBe(false);
    expect((await call('GET', `/technicians/${randomUUID()}/schedule`)).status).toBe(404);
  });
});

describe('the week of Monday 10 May 2027', () => {
  let teamId: string;
  let shared: string;
  beforeAll(async () => {
    // tech2 works mornings, Monday–Thursday 08:00–12:00 (240 min a day).
    const week = { 1: mornings(), 2: mornings(), 3: mornings(), 4: mornings(), 5: [], 6: [], 7: [] };
    expect((await call('PUT', `/technicians/${tech2.user.id}/schedule`, { week }, manager.token)).status).toBe(200);
    const team = await call('POST', '/teams', { name: 'Support', memberIds: [tech1.user.id, tech2.user.id] });
    teamId = team.body.id;

    // tech1 off on Tuesday afternoon (approved), asked for Wednesday (requested: counts for nothing), Friday refused.
    const tuesday = await requestAbsence(tech1.token, { kind: 'holiday', startAt: '2027-05-11T14:00:00+02:00', endAt: '2027-05-11T18:00:00+02:00' });
    expect((await call('POST', `/absences/${tuesday}/approve`, {}, manager.token)).status).toBe(200);
    await requestAbsence(tech1.token, { kind: 'holiday', startAt: '2027-05-12T09:00:00+02:00', endAt: '2027-05-12T18:00:00+02:00' });
    const friday = await requestAbsence(tech1.token, { kind: 'training', startAt: '2027-05-14T09:00:00+02:00', endAt: '2027-05-14T18:00:00+02:00' });
    expect((await call('POST', `/absences/${friday}/reject`, { comment: 'non' }, manager.token)).status).toBe(200);

    const client = await call('POST', '/clients', { name: 'Boulangerie Dupont' });
    const work = await newTicket(client.body.id, 'Migration serveur', { status: 'resolved', resolution_note: 'Fait' });
    // Interventions: tech1 Monday 10:00 for 90 min; tech1 and tech2 Wednesday 09:00 for 60 min; a cancelled one of tech2.
    await insertIntervention(work, '2027-05-10T10:00:00+02:00', 90, [tech1.user.id]);
    shared = await insertIntervention(work, '2027-05-12T09:00:00+02:00', 60, [tech1.user.id, tech2.user.id], { mode: 'onsite', address: '1 place Bellecour, Lyon' });
    await insertIntervention(work, '2027-05-11T08:00:00+02:00', 30, [tech2.user.id], { status: 'cancelled' });

    // Open tickets: tech1's with an estimate of 100; tech2's, high, no estimate (120 by default); the team's,
    // normal, no estimate (60); nobody's, estimate 45; a resolved one of tech1's (not open: nothing).
    await newTicket(client.body.id, 'Estimé', { assignee_id: tech1.user.id, estimate_minutes: 100, priority: 'low' });
    await newTicket(client.body.id, 'Urgent', { assignee_id: tech2.user.id, priority: 'high' });
    await newTicket(client.body.id, 'Équipe', { team_id: teamId, priority: 'normal' });
    await newTicket(client.body.id, 'Personne', { priority: 'low', estimate_minutes: 45 });
    await newTicket(client.body.id, 'Fini', { assignee_id: tech1.user.id, priority: 'critical', status: 'resolved', resolution_note: 'Fait' });
  }, 60_000);

  it('gives the capacity computed by hand', async () => {
    const res = await call('GET', `/capacity?weeks=1&from=2027-05-12&teamId=${teamId}`, undefined, manager.token);
    expect(res.status).toBe(200);
    expect(res.body.averageByPriority).toEqual({ low: 30, normal: 60, high: 120, critical: 180 }); // no closed ticket yet: the defaults
    const [w] = res.body.weeks;
    expect(w.start).toBe('2027-05-10');
    const byId = Object.fromEntries(w.perTechnician.map((t: { technicianId: string }) => [t.technicianId, t]));
    // tech1, the tenant's hours: 5 × 420 = 2100, less Thursday's holiday (420) and Tuesday afternoon (240) = 1440.
    // Planned: 90 (Monday) + 60 (Wednesday) = 150. Tickets: 100 (estimate) + 30 (half the team's 60) = 130.
    expect(byId[tech1.user.id]).toEqual({ technicianId: tech1.user.id, name: 'A technician', availableMinutes: 1440, plannedMinutes: 150, ticketMinutes: 130 });
    // tech2, mornings Monday–Thursday: 4 × 240 = 960, less Thursday's holiday (240) = 720.
    // Planned: 60 (Wednesday; the cancelled 30 does not count). Tickets: 120 (high, no estimate) + 30 = 150.
    expect(byId[tech2.user.id]).toMatchObject({ availableMinutes: 720, plannedMinutes: 60, ticketMinutes: 150 });
    // The team is the sum: 1440 + 720, 150 + 60, 130 + 150. Nobody's ticket is not the team's.
    expect(w.perTeam).toEqual([{ teamId, name: 'Support', availableMinutes: 2160, plannedMinutes: 210, ticketMinutes: 280 }]);
    expect(w.unassignedTicketMinutes).toBe(0);
    expect(w.perTechnician).toHaveLength(2);

    // The whole tenant: the same two (the admin and the manager are neither technicians nor in a team), and nobody's 45 minutes.
    const all = await call('GET', '/capacity?weeks=2&from=2027-05-10');
    expect(all.body.weeks.map((x: { start: string }) => x.start)).toEqual(['2027-05-10', '2027-05-17']);
    const first = all.body.weeks[0];
    expect(first.perTechnician.map((t: { technicianId: string }) => t.technicianId).sort()).toEqual([tech1.user.id, tech2.user.id].sort());
    // Over two weeks each backlog is spread: 45 → 23 + 22; tech1's 100 → 50 + 50, the team's 60 → 15 per cell.
    expect(all.body.weeks.map((x: { unassignedTicketMinutes: number }) => x.unassignedTicketMinutes)).toEqual([23, 22]);
    expect(first.perTeam[0]).toMatchObject({ availableMinutes: 2160, plannedMinutes: 210, ticketMinutes: 50 + 15 + 60 + 15 });
    // The second week has no holiday nor absence: 2100 + 960.
    expect(all.body.weeks[1].perTeam[0]).toMatchObject({ availableMinutes: 3060, plannedMinutes: 0 });

    expect((await call('GET', '/capacity', undefined, tech1.token)).status).toBe(403);
    expect((await call('GET', `/capacity?teamId=${randomUUID()}`)).status).toBe(400);
  });

  it('takes a priority’s average from the tickets closed in the last 180 days', async () => {
    const client = await call('POST', '/clients', { name: 'Historique' });
    const closed = async (closedDaysAgo: number, entries: [number, string][]) => {
      const closedAt = new Date(Date.now() - closedDaysAgo * 86_400_000).toISOString();
      const id = await newTicket(client.body.id, 'Ancien', { status: 'closed', priority: 'high', resolution_note: 'Fait', resolved_at: closedAt, closed_at: closedAt });
      await withTenant(api.deps.db, tenantId(), (tx) =>
        tx('time_entries').insert(entries.map(([minutes, status]) => ({ tenant_id: tenantId(), id: randomUUID(), ticket_id: id, technician_id: tech1.user.id, work_date: '2026-10-01', minutes, description: 'Travail', status }))),
      );
    };
    // High: one ticket of 60 + 30 approved (and 500 rejected), one of 151: (90 + 151) / 2 = 120.5 → 121.
    await closed(10, [[60, 'approved'], [30, 'approved'], [500, 'rejected']]);
    await closed(20, [[151, 'approved']]);
    await closed(200, [[1000, 'approved']]); // closed too long ago
    const res = await call('GET', `/capacity?weeks=1&from=2027-05-10&teamId=${teamId}`);
    expect(res.body.averageByPriority).toEqual({ low: 30, normal: 60, high: 121, critical: 180 });
    // tech2's high ticket without an estimate now counts 121, plus half the team's 60.
    expect(res.body.weeks[0].perTechnician.find((t: { technicianId: string }) => t.technicianId === tech2.user.id).ticketMinutes).toBe(121 + 30);
  });

  it('shows a technician’s calendar day by day', async () => {
    const res = await call('GET', `/technicians/${tech1.user.id}/calendar?from=2027-05-10T00:00:00%2B02:00&to=2027-05-17T00:00:00%2B02:00`, undefined, tech2.token);
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe('Europe/Paris');
    expect(res.body.holidays).toEqual(['2027-05-13']);
    expect(res.body.days).toEqual([
      { date: '2027-05-10', availableMinutes: 420, plannedMinutes: 90 },
      { date: '2027-05-11', availableMinutes: 180, plannedMinutes: 0 }, // 420 less the approved afternoon (240)
      { date: '2027-05-12', availableMinutes: 420, plannedMinutes: 60 }, // the requested absence takes nothing off
      { date: '2027-05-13', availableMinutes: 0, plannedMinutes: 0 }, // public holiday
      { date: '2027-05-14', availableMinutes: 420, plannedMinutes: 0 }, // the training was refused
      { date: '2027-05-15', availableMinutes: 0, plannedMinutes: 0 },
      { date: '2027-05-16', availableMinutes: 0, plannedMinutes: 0 },
    ]);
    expect(res.body.absences.map((a: { status: string }) => a.status)).toEqual(['approved', 'requested']);
    expect(res.body.interventions).toHaveLength(2);
    expect(res.body.interventions[1]).toMatchObject({
      id: shared,
      mode: 'onsite',
      address: '1 place Bellecour, Lyon',
      startAt: '2027-05-12T07:00:00.000Z',
      endAt: '2027-05-12T08:00:00.000Z',
      durationMinutes: 60,
      status: 'planned',
      clientName: 'Boulangerie Dupont',
      ticketSubject: 'Migration serveur',
    });
    expect(res.body.interventions[1].technicians.map((t: { id: string }) => t.id).sort()).toEqual([tech1.user.id, tech2.user.id].sort());

    const tooLong = await call('GET', `/technicians/${tech1.user.id}/calendar?from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z`);
    expect(tooLong.status).toBe(400);
    expect((await call('GET', `/technicians/${tech1.user.id}/calendar`)).body.days).toHaveLength(7); // this week by default
  });
});

describe('the iCalendar feed', () => {
  const fetchFeed = (url: string) => {
    const { pathname, search } = new URL(url);
    return fetch(`${api.url}${pathname}${search}`);
  };

  it('is served over HTTP to whoever has the secret, parsed by ical.js, and revocable', async () => {
    const client = await call('POST', '/clients', { name: 'Cabinet Martin' });
    const ticket = await newTicket(client.body.id, 'Imprimante; bac 2, bloqué');
    const soon = new Date(Date.now() + 2 * 86_400_000);
    soon.setUTCMinutes(0, 0, 0);
    const intervention = await insertIntervention(ticket, soon.toISOString(), 45, [tech1.user.id], { mode: 'onsite', address: '3 rue de la Paix, Paris' });
    const far = await insertIntervention(ticket, new Date(Date.now() + 400 * 86_400_000).toISOString(), 30, [tech1.user.id]); // beyond 180 days
    const past = await insertIntervention(ticket, new Date(Date.now() - 40 * 86_400_000).toISOString(), 30, [tech1.user.id]); // before 30 days ago
    const others = await insertIntervention(ticket, soon.toISOString(), 30, [tech2.user.id]);
    const leave = await requestAbsence(tech1.token, { kind: 'holiday', startAt: new Date(Date.now() + 10 * 86_400_000).toISOString(), endAt: new Date(Date.now() + 12 * 86_400_000).toISOString() });
    const asked = await requestAbsence(tech1.token, { kind: 'sick', startAt: new Date(Date.now() + 20 * 86_400_000).toISOString(), endAt: new Date(Date.now() + 21 * 86_400_000).toISOString() }); // requested only
    expect((await call('POST', `/absences/${leave}/approve`, {}, manager.token)).status).toBe(200);

    // Only the technician themself or an admin makes the URL.
    expect((await call('POST', `/technicians/${tech1.user.id}/calendar-feed`, undefined, manager.token)).status).toBe(403);
    expect((await call('POST', `/technicians/${tech1.user.id}/calendar-feed`, undefined, tech2.token)).status).toBe(403);
    const created = await call('POST', `/technicians/${tech1.user.id}/calendar-feed`, undefined, tech1.token);
    expect(created.status).toBe(201);
    expect(created.body.url).toMatch(/\/api\/v1\/calendar-feed\.ics\?token=[A-Za-z0-9_-]{43}$/);

    const res = await fetchFeed(created.body.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const text = await res.text();
    const calendar = new ICAL.Component(ICAL.parse(text));
    const events = calendar.getAllSubcomponents('vevent').map((c) => new ICAL.Event(c));
    const uids = events.map((e) => e.uid);
    expect(uids).toEqual(expect.arrayContaining([`absence-${leave}@vigie`, `intervention-${intervention}@vigie`]));
    for (const absent of [`absence-${asked}@vigie`, `intervention-${far}@vigie`, `intervention-${past}@vigie`, `intervention-${others}@vigie`]) expect(uids).not.toContain(absent);
    expect(text).toContain('Vigie — A technician');
    const event = events.find((e) => e.uid === `intervention-${intervention}@vigie`)!;
    expect(event.startDate.toJSDate().toISOString()).toBe(soon.toISOString());
    expect(event.endDate.toJSDate().getTime() - soon.getTime()).toBe(45 * 60_000);
    expect(event.location).toBe('3 rue de la Paix, Paris');
    expect(event.summary).toContain('Imprimante; bac 2, bloqué');
    expect(event.summary).toContain('Cabinet Martin');
    expect(String(event.component.getFirstPropertyValue('url'))).toMatch(new RegExp(`/tickets/${ticket}$`));

    // A new secret replaces the old one; a revoked one is gone; an unknown one was never there.
    const renewed = await call('POST', `/technicians/${tech1.user.id}/calendar-feed`, undefined, admin.token);
    expect(renewed.status).toBe(201);
    expect(renewed.body.url).not.toBe(created.body.url);
    expect((await fetchFeed(created.body.url)).status).toBe(404);
    expect((await fetchFeed(renewed.body.url)).status).toBe(200);
    expect((await call('DELETE', `/technicians/${tech1.user.id}/calendar-feed`, undefined, tech1.token)).status).toBe(204);
    expect((await fetchFeed(renewed.body.url)).status).toBe(404);
    expect((await api.call('GET', '/api/v1/calendar-feed.ics?token=nothing-like-a-secret')).status).toBe(404);
    expect((await call('DELETE', `/technicians/${tech1.user.id}/calendar-feed`, undefined, tech1.token)).status).toBe(204);
  });
});
