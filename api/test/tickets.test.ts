import { randomUUID } from 'node:crypto';
import { ticketsRepo, withTenant } from '@vigie/db';
import { sessionAs, startTestApi, uniqueEmail, type Session, type TestApi } from './support/harness';

/** /tickets through the real API (workflows are started on the real dev server; no worker is needed here). */
let api: TestApi;
let admin: Session;
let tech: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  tech = await sessionAs(api, admin, 'technician');
});
afterAll(() => api?.close());

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

async function clientWithContact(name = 'Boulangerie Petit') {
  const client = (await call('POST', '/clients', { name })).body;
  const contact = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Jeanne Petit', email: uniqueEmail('jeanne') })).body;
  return { client, contact };
}

const timelineOf = async (id: string, token = admin.token) =>
  (await call('GET', `/tickets/${id}/timeline?limit=200`, undefined, token)).body.items as { kind: string; field: string | null; fromValue: string | null; toValue: string | null; actorName: string | null; body: string | null; visibility: string }[];

it('a technician creates, assigns and closes a ticket, and every change is kept with who and from → to', async () => {
  const { client, contact } = await clientWithContact();
  const year = new Date().getUTCFullYear();
  const created = await call('POST', '/tickets', { clientId: client.id, contactId: contact.id, subject: 'Imprimante hors ligne', description: 'Plus rien ne sort.', priority: 'high' }, tech.token);
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ number: `T-${year}-0001`, status: 'open', priority: 'high', source: 'manual', queue: 'support', contactName: 'Jeanne Petit', assigneeId: null });
  const id = created.body.id;

  expect((await call('POST', `/tickets/${id}/assign`, { technicianId: tech.user.id }, tech.token)).body.assigneeName).toBe('A technician');
  expect((await call('POST', `/tickets/${id}/status`, { status: 'in_progress' }, tech.token)).body.status).toBe('in_progress');
  expect((await call('PATCH', `/tickets/${id}`, { priority: 'critical' }, tech.token)).body.priority).toBe('critical');
  const noNote = await call('POST', `/tickets/${id}/status`, { status: 'closed' }, tech.token);
  expect(noNote.status).toBe(400);
  expect(noNote.body.errors).toEqual([{ path: 'note', message: 'a resolution note is required to resolve or close' }]);
  const closed = await call('POST', `/tickets/${id}/status`, { status: 'closed', note: 'Pilote réinstallé.' }, tech.token);
  expect(closed.body).toMatchObject({ status: 'closed', resolutionNote: 'Pilote réinstallé.' });
  expect(closed.body.closedAt).not.toBeNull();
  expect((await call('POST', `/tickets/${id}/status`, { status: 'open' }, tech.token)).status).toBe(409);
  expect((await call('POST', `/tickets/${id}/comments`, { body: 'encore ?' }, tech.token)).status).toBe(409);

  const changes = (await timelineOf(id)).map((e) => [e.kind, e.field, e.fromValue, e.toValue, e.actorName]);
  expect(changes).toEqual([
    ['created', null, null, null, 'A technician'],
    ['change', 'assignee', null, 'A technician', 'A technician'],
    ['change', 'status', 'open', 'in_progress', 'A technician'],
    ['change', 'priority', 'high', 'critical', 'A technician'],
    ['change', 'status', 'in_progress', 'closed', 'A technician'],
  ]);
  const audit = (await call('GET', `/audit-log?entity=ticket&entityId=${id}`)).body.items.map((e: { action: string }) => e.action);
  expect(audit.sort()).toEqual(['ticket.assign', 'ticket.closed', 'ticket.create', 'ticket.in_progress', 'ticket.update']);
});

it('enforces the transitions and resolves before it closes', async () => {
  const { client } = await clientWithContact('Garage Martin');
  const id = (await call('POST', '/tickets', { clientId: client.id, subject: 'Wi-Fi lent' })).body.id;
  expect((await call('POST', `/tickets/${id}/status`, { status: 'resolved', note: 'Canal changé.' })).body).toMatchObject({ status: 'resolved', resolutionNote: 'Canal changé.' });
  // A resolved ticket keeps its note: closing needs no second one; reopening clears the resolution date.
  const reopened = await call('POST', `/tickets/${id}/status`, { status: 'open' });
  expect(reopened.body).toMatchObject({ status: 'open', resolvedAt: null });
  await call('POST', `/tickets/${id}/status`, { status: 'resolved', note: 'Borne remplacée.' });
  expect((await call('POST', `/tickets/${id}/status`, { status: 'closed' })).body).toMatchObject({ status: 'closed', resolutionNote: 'Borne remplacée.' });
  expect((await call('POST', `/tickets/${id}/status`, { status: 'waiting' })).status).toBe(409);
  expect((await call('POST', `/tickets/${id}/status`, { status: 'archived' })).status).toBe(400);
});

it('covers a ticket by the client’s default contract unless it names another of the client’s contracts', async () => {
  const { client } = await clientWithContact('Pharmacie Roy');
  const other = await clientWithContact('Autre');
  const bank = (await call('POST', '/contracts', { type: 'hour_bank', clientId: client.id, name: 'Banque', isDefault: true, hourBank: {} })).body;
  const tm = (await call('POST', '/contracts', { type: 'time_material', clientId: client.id, name: 'Régie', hourlyRateCents: 9_000 })).body;
  const foreign = (await call('POST', '/contracts', { type: 'time_material', clientId: other.client.id, name: 'Ailleurs', hourlyRateCents: 1 })).body;
  expect((await call('POST', '/tickets', { clientId: client.id, subject: 'A' })).body).toMatchObject({ contractId: bank.id, contractName: 'Banque' });
  expect((await call('POST', '/tickets', { clientId: client.id, subject: 'B', contractId: tm.id })).body.contractId).toBe(tm.id);
  expect((await call('POST', '/tickets', { clientId: client.id, subject: 'C', contractId: null })).body.contractId).toBeNull();
  const wrong = await call('POST', '/tickets', { clientId: client.id, subject: 'D', contractId: foreign.id });
  expect(wrong.status).toBe(400);
  expect(wrong.body.errors).toEqual([{ path: 'contractId', message: 'not a contract of this client' }]);
});

it('replies reach the contact by e-mail, notes stay internal, and the first public reply is the first response', async () => {
  const { client, contact } = await clientWithContact('Cabinet Blanc');
  const ticket = (await call('POST', '/tickets', { clientId: client.id, contactId: contact.id, subject: 'Messagerie' })).body;
  expect((await call('POST', `/tickets/${ticket.id}/comments`, { body: 'Vérifier le DNS', visibility: 'internal' })).body).toMatchObject({ kind: 'note', visibility: 'internal' });
  expect((await call('GET', `/tickets/${ticket.id}`)).body.sla.firstRespondedAt).toBeNull();
  const reply = await call('POST', `/tickets/${ticket.id}/comments`, { body: 'Nous regardons cela.' });
  expect(reply.body).toMatchObject({ kind: 'reply', visibility: 'public', via: 'web' });
  expect((await call('GET', `/tickets/${ticket.id}`)).body.sla.firstRespondedAt).toBe(reply.body.createdAt);
  const comments = (await call('GET', `/tickets/${ticket.id}/comments`)).body.items.map((c: { kind: string }) => c.kind);
  expect(comments).toEqual(['note', 'reply']);

  const mails = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('email_outbox').where({ to_address: contact.email }).orderBy('created_at'));
  expect(mails.map((m) => m.subject)).toEqual([`[#${ticket.number}] Messagerie`, `Re: [#${ticket.number}] Messagerie`]);
  expect(mails[1].text).toContain('Nous regardons cela.');
});

it('a client user opens and follows its own tickets in the portal, without internal notes', async () => {
  const { client, contact } = await clientWithContact('Portail SARL');
  const invite = await call('POST', `/contacts/${contact.id}/invite`);
  expect(invite.status).toBeLessThan(300);
  const rows = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('email_outbox').where({ to_address: contact.email }).orderBy('created_at', 'desc'));
  const token = /invitation\?token=([A-Za-z0-9_-]+)/.exec(rows[0].text)![1];
  const accepted = await api.call('POST', '/api/v1/auth/accept-invite', { body: { token, password: 'a long portal password' } });
  const portal = accepted.body.accessToken as string;
  const staffTicket = (await call('POST', '/tickets', { clientId: (await clientWithContact('Autre client')).client.id, subject: 'Pas pour eux' })).body;

  const mine = await call('POST', '/tickets', { subject: 'Ordinateur lent', description: 'Depuis ce matin' }, portal);
  expect(mine.status).toBe(201);
  expect(mine.body).toMatchObject({ clientId: client.id, contactId: contact.id, source: 'portal' });
  expect((await call('POST', '/tickets', { subject: 'X', assigneeId: tech.user.id }, portal)).status).toBe(400);
  expect((await call('GET', '/tickets', undefined, portal)).body.items.map((t: { id: string }) => t.id)).toEqual([mine.body.id]);
  expect((await call('GET', `/tickets/${staffTicket.id}`, undefined, portal)).status).toBe(404);

  await call('POST', `/tickets/${mine.body.id}/comments`, { body: 'Note interne', visibility: 'internal' });
  await call('POST', `/tickets/${mine.body.id}/status`, { status: 'waiting' });
  expect((await call('POST', `/tickets/${mine.body.id}/comments`, { body: 'secret', visibility: 'internal' }, portal)).status).toBe(400);
  expect((await call('POST', `/tickets/${mine.body.id}/comments`, { body: 'Toujours lent' }, portal)).body.via).toBe('portal');
  // The client's answer puts a ticket waiting on them back in the queue.
  expect((await call('GET', `/tickets/${mine.body.id}`, undefined, portal)).body.status).toBe('open');
  const seen = await timelineOf(mine.body.id, portal);
  expect(seen.some((e) => e.body === 'Note interne')).toBe(false);
  expect(seen.every((e) => e.visibility === 'public')).toBe(true);
  expect((await call('POST', `/tickets/${mine.body.id}/status`, { status: 'closed', note: 'fini' }, portal)).status).toBe(403);
  expect((await call('POST', `/tickets/${mine.body.id}/assign`, { technicianId: null }, portal)).status).toBe(403);
});

it('keeps attachments with the ticket, for its client only', async () => {
  const { client } = await clientWithContact('Pièces jointes');
  const id = (await call('POST', '/tickets', { clientId: client.id, subject: 'Capture' })).body.id;
  const upload = await fetch(`${api.url}/api/v1/tickets/${id}/attachments?filename=../erreur.txt`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'text/plain' },
    body: 'Erreur 0x80070005',
  });
  expect(upload.status).toBe(201);
  const doc = (await upload.json()) as { id: string; filename: string; category: string };
  expect(doc).toMatchObject({ filename: 'erreur.txt', category: 'attachment' });
  expect((await call('GET', `/tickets/${id}/attachments`)).body.items.map((d: { id: string }) => d.id)).toEqual([doc.id]);
  const download = await fetch(`${api.url}/api/v1/tickets/${id}/attachments/${doc.id}/content`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(await download.text()).toBe('Erreur 0x80070005');
  const other = (await call('POST', '/tickets', { clientId: client.id, subject: 'Autre' })).body.id;
  expect((await fetch(`${api.url}/api/v1/tickets/${other}/attachments/${doc.id}/content`, { headers: { authorization: `Bearer ${admin.token}` } })).status).toBe(404);
  expect((await timelineOf(id)).map((e) => [e.kind, e.actorName])).toEqual([
    ['created', admin.user.name],
    ['attachment', admin.user.name],
  ]);
});

it('lists the active staff for every staff member, and for nobody else', async () => {
  const staff = (await call('GET', '/staff', undefined, tech.token)).body.items as { id: string; role: string }[];
  expect(staff.map((s) => s.id).sort()).toEqual([admin.user.id, tech.user.id].sort());
  const { client } = await clientWithContact('Annuaire');
  const portal = await call('POST', '/users', { email: uniqueEmail('annuaire'), name: 'Client', role: 'client', clientId: client.id, password: 'a long client password' });
  const login = await api.login(portal.body.email, 'a long client password');
  expect((await call('GET', '/staff', undefined, login.accessToken)).status).toBe(403);
  expect((await call('GET', '/staff')).body.items.some((s: { id: string }) => s.id === portal.body.id)).toBe(false);
});

it('filters and pages the list, and keeps saved views per user', async () => {
  const { client } = await clientWithContact('Filtres');
  const ids: string[] = [];
  for (const [i, priority] of (['low', 'normal', 'high', 'critical', 'normal'] as const).entries()) {
    ids.push((await call('POST', '/tickets', { clientId: client.id, subject: `Filtre ${i}`, priority, ...(i === 0 ? { assigneeId: tech.user.id } : {}) })).body.id);
  }
  const list = (query: string, token = admin.token) => call('GET', `/tickets?clientId=${client.id}&${query}`, undefined, token);
  expect((await list('priority=high,critical')).body.items).toHaveLength(2);
  expect((await list('assigneeId=me', tech.token)).body.items.map((t: { id: string }) => t.id)).toEqual([ids[0]]);
  expect((await list('assigneeId=none')).body.items).toHaveLength(4);
  expect((await list('status=open,waiting&q=filtre%203')).body.items).toHaveLength(1);
  expect((await list('status=nope')).status).toBe(400);
  const first = await list('limit=2');
  const second = await list(`limit=2&cursor=${first.body.nextCursor}`);
  const third = await list(`limit=2&cursor=${second.body.nextCursor}`);
  expect([...first.body.items, ...second.body.items, ...third.body.items].map((t: { id: string }) => t.id)).toEqual([...ids].reverse());

  const view = await call('POST', '/ticket-views', { name: 'Urgents', filters: { priority: 'high,critical' } }, tech.token);
  expect(view.status).toBe(201);
  expect((await call('POST', '/ticket-views', { name: 'Urgents', filters: {} }, tech.token)).status).toBe(409);
  expect((await call('GET', '/ticket-views')).body.items).toEqual([]);
  expect((await call('DELETE', `/ticket-views/${view.body.id}`)).status).toBe(404);
  expect((await call('DELETE', `/ticket-views/${view.body.id}`, undefined, tech.token)).status).toBe(204);
});

it('moves a triaged ticket to its real client, and only a triaged one', async () => {
  const { client } = await clientWithContact('Expéditeur inconnu');
  const real = await clientWithContact('Vrai client');
  const bank = (await call('POST', '/contracts', { type: 'hour_bank', clientId: real.client.id, name: 'Banque du vrai', isDefault: true, hourBank: {} })).body;
  const triaged = (await call('POST', '/tickets', { clientId: client.id, subject: 'Mail inconnu', queue: 'triage' })).body;
  const moved = await call('PATCH', `/tickets/${triaged.id}`, { clientId: real.client.id, contactId: real.contact.id, queue: 'support' });
  expect(moved.body).toMatchObject({ clientId: real.client.id, contactId: real.contact.id, contractId: bank.id, queue: 'support' });
  const normal = (await call('POST', '/tickets', { clientId: client.id, subject: 'Normal' })).body;
  expect((await call('PATCH', `/tickets/${normal.id}`, { clientId: real.client.id })).status).toBe(409);
});

it('opens one ticket per RMM alert, however often and concurrently the alert is reported', async () => {
  const { client } = await clientWithContact('Parc supervisé');
  const alertKey = `disk-full:${randomUUID()}`;
  const open = () =>
    withTenant(api.deps.db, admin.user.tenantId, (tx) =>
      ticketsRepo.openAlertTicket(tx, { tenantId: admin.user.tenantId, alertKey, clientId: client.id, machineId: null, priority: 'high', subject: 'Disque C: plein', description: '98 % utilisé' }),
    );
  const results = await Promise.all([open(), open(), open()]);
  expect(new Set(results.map((r) => r.ticket.id)).size).toBe(1);
  expect(results.filter((r) => r.created)).toHaveLength(1);
  expect(results[0]!.ticket).toMatchObject({ source: 'alert', category: 'alerte', priority: 'high' });
});

it('assigns tickets to teams of technicians, and filters by my teams', async () => {
  const team = await call('POST', '/teams', { name: 'Réseau', memberIds: [tech.user.id] });
  expect(team.status).toBe(201);
  expect(team.body.members).toEqual([{ id: tech.user.id, name: 'A technician' }]);
  expect((await call('POST', '/teams', { name: 'réseau' })).status).toBe(409);
  const { client } = await clientWithContact('Équipes');
  const clientUser = await call('POST', '/users', { email: uniqueEmail('hors-equipe'), name: 'Client', role: 'client', clientId: client.id, password: 'a long client password' });
  const bad = await call('POST', '/teams', { name: 'Mauvaise', memberIds: [clientUser.body.id] });
  expect(bad.status).toBe(400);
  expect((await call('POST', '/teams', { name: 'Pas moi' }, tech.token)).status).toBe(403);
  expect((await call('GET', '/teams', undefined, tech.token)).body.items.map((t: { name: string }) => t.name)).toContain('Réseau');

  const ticket = (await call('POST', '/tickets', { clientId: client.id, subject: 'Switch HS' })).body;
  const assigned = await call('POST', `/tickets/${ticket.id}/assign`, { teamId: team.body.id });
  expect(assigned.body).toMatchObject({ teamId: team.body.id, teamName: 'Réseau', assigneeId: null });
  expect((await call('POST', `/tickets/${ticket.id}/assign`, {})).status).toBe(400);
  expect((await call('GET', `/tickets?teamId=mine&clientId=${client.id}`, undefined, tech.token)).body.items.map((t: { id: string }) => t.id)).toEqual([ticket.id]);
  expect((await call('GET', `/tickets?teamId=mine&clientId=${client.id}`)).body.items).toEqual([]);
  expect((await timelineOf(ticket.id)).at(-1)).toMatchObject({ kind: 'change', field: 'team', fromValue: null, toValue: 'Réseau' });

  expect((await call('DELETE', `/teams/${team.body.id}`)).status).toBe(204);
  expect((await call('GET', `/tickets/${ticket.id}`)).body).toMatchObject({ teamId: null, teamName: null });
});
