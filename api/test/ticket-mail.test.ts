import { randomUUID } from 'node:crypto';
import { withTenant } from '@vigie/db';
import { sessionAs, startTestApi, uniqueEmail, type Session, type TestApi } from './support/harness';

/** Ticket e-mails: the tenant's support address, its own templates, and the threading headers queued with each mail. */
let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup({ tenantName: 'Infogérance Dupont' });
});
afterAll(() => api?.close());

const call = (method: string, path: string, body?: unknown, token = admin.token) =>
  api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });
const outboxOf = (session: Session, ticketId: string) =>
  withTenant(api.deps.db, session.user.tenantId, (tx) => tx('email_outbox').where({ ticket_id: ticketId }).orderBy('created_at'));

async function ticketForContact(session: Session, subject: string) {
  const client = (await call('POST', '/clients', { name: `Client ${randomUUID().slice(0, 6)}` }, session.token)).body;
  const contact = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Jeanne Petit', email: uniqueEmail('jeanne') }, session.token)).body;
  const ticket = (await call('POST', '/tickets', { clientId: client.id, contactId: contact.id, subject }, session.token)).body;
  return { client, contact, ticket };
}

describe('support address', () => {
  it('is a tenant setting, one tenant per address (any case), and can be removed', async () => {
    const address = `support-${randomUUID().slice(0, 8)}@msp.test`;
    const saved = await call('PATCH', '/settings', { supportEmail: address });
    expect(saved.status).toBe(200);
    expect(saved.body.supportEmail).toBe(address);
    expect((await call('GET', '/settings')).body.supportEmail).toBe(address);
    expect((await call('PATCH', '/settings', { supportEmail: address.toUpperCase() })).status).toBe(200);

    const other = await api.signup();
    const taken = await call('PATCH', '/settings', { supportEmail: address.toUpperCase() }, other.token);
    expect(taken.status).toBe(409);
    expect(taken.body.detail).toBe('this support address is used by another organisation');
    expect((await call('GET', '/settings', undefined, other.token)).body.supportEmail).toBeNull();
    expect((await call('PATCH', '/settings', { supportEmail: 'pas une adresse' })).status).toBe(400);
    const tech = await sessionAs(api, admin, 'technician');
    expect((await call('PATCH', '/settings', { supportEmail: `x-${address}` }, tech.token)).status).toBe(403);

    // Removed, the address is free for another organisation.
    expect((await call('PATCH', '/settings', { supportEmail: null })).body.supportEmail).toBeNull();
    expect((await call('PATCH', '/settings', { supportEmail: address }, other.token)).status).toBe(200);
  });
});

describe('templates', () => {
  it('lists the built-in French texts until the tenant writes its own', async () => {
    const res = await call('GET', '/settings/ticket-mail-templates');
    expect(res.status).toBe(200);
    expect(res.body.placeholders).toEqual(['number', 'subject', 'body', 'resolution', 'contactName', 'tenantName']);
    expect(res.body.items.map((t: { kind: string; isDefault: boolean }) => [t.kind, t.isDefault])).toEqual([
      ['created', true],
      ['replied', true],
      ['resolved', true],
    ]);
    expect(res.body.items[0].subject).toBe('[#{{number}}] {{subject}}');
  });

  it('refuses unknown placeholders and multi-line subjects, and lets only an admin write', async () => {
    const bad = await call('PUT', '/settings/ticket-mail-templates/created', { subject: 'Ticket {{numero}}\nX', body: 'Bonjour {{client}} {{ contactName }}' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string; message: string }) => [e.path, e.message.split(';')[0]])).toEqual([
      ['subject', 'unknown placeholder {{numero}}'],
      ['subject', 'one line'],
      ['body', 'unknown placeholder {{client}}'],
    ]);
    expect((await call('PUT', '/settings/ticket-mail-templates/created', { subject: 'x', body: 'y', extra: 1 })).status).toBe(400);
    expect((await call('PUT', '/settings/ticket-mail-templates/archived', { subject: 'x', body: 'y' })).status).toBe(404);
    const manager = await sessionAs(api, admin, 'manager');
    expect((await call('PUT', '/settings/ticket-mail-templates/created', { subject: 'x', body: 'y' }, manager.token)).status).toBe(403);
    expect((await call('GET', '/settings/ticket-mail-templates', undefined, manager.token)).status).toBe(200);
  });

  it('a tenant’s template changes the subject and body of its notices, and only its own', async () => {
    const put = await call('PUT', '/settings/ticket-mail-templates/replied', {
      subject: '{{tenantName}} – réponse sur « {{subject}} »',
      body: 'Bonjour {{contactName}},\n\n{{body}}\n\nL’équipe {{tenantName}} (ticket {{number}})\n',
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ kind: 'replied', isDefault: false });
    const created = await call('PUT', '/settings/ticket-mail-templates/created', { subject: '[#{{number}}] Bien reçu : {{subject}}', body: 'Merci {{contactName}}.' });
    expect(created.status).toBe(200);

    const { ticket, contact } = await ticketForContact(admin, 'Imprimante');
    await call('POST', `/tickets/${ticket.id}/comments`, { body: 'Nous passons demain.' });
    const [ack, reply] = await outboxOf(admin, ticket.id);
    expect(ack).toMatchObject({ to_address: contact.email, subject: `[#${ticket.number}] Bien reçu : Imprimante`, text: 'Merci Jeanne Petit.' });
    // The [#number] tag replies thread by is kept even when the tenant's subject leaves it out.
    expect(reply.subject).toBe(`Infogérance Dupont – réponse sur « Imprimante » [#${ticket.number}]`);
    expect(reply.text).toBe(`Bonjour Jeanne Petit,\n\nNous passons demain.\n\nL’équipe Infogérance Dupont (ticket ${ticket.number})\n`);

    // Another tenant still gets the built-in text.
    const other = await api.signup();
    const theirs = await ticketForContact(other, 'Écran');
    await call('POST', `/tickets/${theirs.ticket.id}/comments`, { body: 'On regarde.' }, other.token);
    const [, theirReply] = await outboxOf(other, theirs.ticket.id);
    expect(theirReply.subject).toBe(`Re: [#${theirs.ticket.number}] Écran`);
    expect(theirReply.text).toBe(`On regarde.\n\n-- \nTicket ${theirs.ticket.number} : répondez à ce message pour nous écrire.\n`);

    // Back to the built-in text.
    expect((await call('DELETE', '/settings/ticket-mail-templates/replied')).body).toMatchObject({ kind: 'replied', isDefault: true, subject: 'Re: [#{{number}}] {{subject}}' });
    const audit = (await call('GET', '/audit-log?entity=tenant')).body.items.map((e: { action: string }) => e.action);
    expect(audit).toEqual(expect.arrayContaining(['settings.ticket_mail_template', 'settings.ticket_mail_template_reset']));
  });
});

describe('threading headers', () => {
  it('gives each ticket mail our Message-ID in the support domain, answering the previous one, with Reply-To: the support address', async () => {
    const session = await api.signup();
    const address = `help-${randomUUID().slice(0, 8)}@client-msp.test`;
    await call('PATCH', '/settings', { supportEmail: address }, session.token);
    const { ticket } = await ticketForContact(session, 'Messagerie');
    await call('POST', `/tickets/${ticket.id}/comments`, { body: 'Première réponse' }, session.token);
    await call('POST', `/tickets/${ticket.id}/status`, { status: 'resolved', note: 'Boîte réparée.' }, session.token);
    const [ack, reply, resolved] = await outboxOf(session, ticket.id);
    const ours = new RegExp(`^<ticket-${ticket.id}-[0-9a-f-]{36}@client-msp\\.test>$`);
    for (const mail of [ack, reply, resolved]) expect(mail).toMatchObject({ message_id_header: expect.stringMatching(ours), reply_to: address });
    expect(ack).toMatchObject({ in_reply_to: null, references_header: null });
    expect(reply).toMatchObject({ in_reply_to: ack.message_id_header, references_header: ack.message_id_header });
    expect(resolved).toMatchObject({ in_reply_to: reply.message_id_header, references_header: `${ack.message_id_header} ${reply.message_id_header}` });
    expect(resolved.text).toContain('Boîte réparée.');
  });

  it('without a support address, leaves the Message-ID to the mailer and sets no Reply-To', async () => {
    const session = await api.signup();
    const { ticket } = await ticketForContact(session, 'Sauvegarde');
    const [ack] = await outboxOf(session, ticket.id);
    expect(ack).toMatchObject({ message_id_header: null, reply_to: null, subject: `[#${ticket.number}] Sauvegarde` });
  });
});
