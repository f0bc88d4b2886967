import { randomUUID } from 'node:crypto';
import nodemailer from 'nodemailer';
import pino from 'pino';
import { createCrmActivities, createMailer } from '@vigie/activities';
import { createStorage, withTenant } from '@vigie/db';
import { startTestApi, testConfig, uniqueEmail, type Session, type TestApi } from '../../api/test/support/harness';
import { startSmtpServer } from '../../workflows/test/support/smtp';
import { startInboundMailServer, type InboundMailServer } from '../src/mail/server';
import type { DeliveryOutcome } from '../src/mail/inbound';

/**
 * Tickets by e-mail, end to end: real mail from a real SMTP client (nodemailer) to the ingest's SMTP
 * server, against the test stack's Postgres and Temporal; the API sets the tenant up and answers.
 */
const config = testConfig();
const MAIL_FROM = 'no-reply@vigie.test';
let api: TestApi;
let inbound: InboundMailServer;
let admin: Session;
let support: string;
let client: { id: string; name: string };
let contact: { id: string; name: string; email: string };
const outcomes: DeliveryOutcome[] = [];
/** What the ingest logged at error level (a failed signal or start after the commit would show here). */
const errors: string[] = [];

beforeAll(async () => {
  api = await startTestApi(config);
  inbound = await startInboundMailServer({
    db: api.deps.db,
    temporal: api.deps.temporal,
    storage: createStorage(config),
    log: pino({ level: 'error' }, { write: (line: string) => errors.push(line) }),
    maxAttachmentBytes: 64 * 1024,
    maxMessageBytes: 1024 * 1024,
    ownAddresses: [MAIL_FROM],
    host: '127.0.0.1',
    port: 0,
    onDelivered: (outcome) => outcomes.push(outcome),
  });
  admin = await api.signup();
  support = `support-${randomUUID().slice(0, 8)}@msp.test`;
  expect((await call('PATCH', '/settings', { supportEmail: support.toUpperCase() })).body.supportEmail).toBe(support);
  client = (await call('POST', '/clients', { name: 'Boulangerie Petit' })).body;
  contact = (await call('POST', `/clients/${client.id}/contacts`, { name: 'Jeanne Petit', email: uniqueEmail('jeanne') })).body;
});
afterAll(async () => {
  await inbound?.close();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown) => api.call(method, `/api/v1${path}`, { token: admin.token, ...(body !== undefined ? { body } : {}) });
const db = <T>(work: (tx: Parameters<Parameters<typeof withTenant>[2]>[0]) => Promise<T>) => withTenant(api.deps.db, admin.user.tenantId, work);

type Mail = nodemailer.SendMailOptions;
const smtp = () => nodemailer.createTransport({ host: '127.0.0.1', port: inbound.port, secure: false, ignoreTLS: true });
const newId = () => `<${randomUUID()}@client.example>`;
/** Sends like a mail program would; resolves once the ingest has answered 250. */
const send = (mail: Mail) => smtp().sendMail({ to: support, messageId: newId(), ...mail });
const fromContact = () => `"${contact.name}" <${contact.email.toUpperCase()}>`;

const ticketCount = async () => Number((await db((tx) => tx('tickets').count<{ count: number }[]>('* as count')))[0]!.count);
const eventCount = async () => Number((await db((tx) => tx('ticket_events').count<{ count: number }[]>('* as count')))[0]!.count);
const ticketByMessage = (messageId: string) =>
  db(async (tx) => {
    const event = await tx('ticket_events').where({ email_message_id: messageId }).first('ticket_id', 'kind');
    return event ? { ...(await call('GET', `/tickets/${event.ticket_id}`)).body, eventKind: event.kind } : undefined;
  });
const timeline = async (ticketId: string) => (await call('GET', `/tickets/${ticketId}/timeline?limit=200`)).body.items as { kind: string; via: string; actorName: string; body: string | null; field: string | null; toValue: string | null }[];
const outboxOf = (ticketId: string) => db((tx) => tx('email_outbox').where({ ticket_id: ticketId }).orderBy('created_at'));

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

let first: { id: string; number: string };

it('opens a ticket for the contact’s client from their mail, with its attachment, and acknowledges it in the same thread', async () => {
  const messageId = newId();
  await send({
    from: fromContact(),
    messageId,
    subject: 'Imprimante hors ligne',
    text: 'Bonjour,\n\nPlus rien ne sort de l’imprimante du bureau.\n\nJeanne',
    attachments: [
      { filename: '../../facture mars.pdf', content: PDF, contentType: 'application/octet-stream' },
      { filename: 'outil.exe', content: Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]) },
    ],
  });
  const ticket = await ticketByMessage(messageId);
  expect(ticket).toMatchObject({
    clientId: client.id,
    contactId: contact.id,
    subject: 'Imprimante hors ligne',
    description: 'Bonjour,\n\nPlus rien ne sort de l’imprimante du bureau.\n\nJeanne',
    source: 'email',
    queue: 'support',
    status: 'open',
    eventKind: 'created',
  });
  first = ticket;

  const docs = await db((tx) => tx('documents').where({ ticket_id: ticket.id }));
  expect(docs.map((d) => [d.filename, d.content_type, d.category, d.client_id])).toEqual([['facture mars.pdf', 'application/pdf', 'attachment', client.id]]);
  expect(await createStorage(config).get(docs[0].storage_key)).toEqual(PDF);
  // One transaction, one timestamp: the order of these three is not defined.
  const events = await timeline(ticket.id);
  expect(events.map((e) => [e.kind, e.via, e.actorName, e.body]).sort()).toEqual([
    ['attachment', 'email', `Jeanne Petit <${contact.email}>`, 'facture mars.pdf'],
    ['created', 'email', `Jeanne Petit <${contact.email}>`, ticket.description],
    ['note', 'system', 'Vigie', 'Pièces jointes non conservées : outil.exe (type de fichier non accepté).'],
  ]);

  const [ack] = await outboxOf(ticket.id);
  expect(ack).toMatchObject({
    to_address: contact.email,
    subject: `[#${ticket.number}] Imprimante hors ligne`,
    message_id_header: expect.stringMatching(new RegExp(`^<ticket-${ticket.id}-[0-9a-f-]{36}@msp\\.test>$`)),
    in_reply_to: messageId,
    references_header: messageId,
    reply_to: support,
  });
});

it('threads the contact’s reply to our acknowledgement into the same ticket, and a waiting ticket goes back to open', async () => {
  const [ack] = await outboxOf(first.id);
  expect((await call('POST', `/tickets/${first.id}/status`, { status: 'waiting' })).status).toBe(200);
  const before = await ticketCount();
  const messageId = newId();
  await send({
    from: fromContact(),
    messageId,
    inReplyTo: ack.message_id_header,
    references: [ack.in_reply_to, ack.message_id_header],
    subject: 'Re: quelque chose de tout à fait différent',
    text: 'Elle affiche « erreur 49 ».\n\nLe lun. 3 nov. 2026 à 10:00, Support <support@msp.test> a écrit :\n> Nous avons bien reçu votre demande',
  });
  expect(await ticketCount()).toBe(before);
  expect((await ticketByMessage(messageId))?.id).toBe(first.id);
  const events = await timeline(first.id);
  const reply = events.find((e) => e.kind === 'reply')!;
  expect(reply).toMatchObject({ via: 'email', actorName: `Jeanne Petit <${contact.email}>`, body: 'Elle affiche « erreur 49 ».' });
  expect(events.filter((e) => e.field === 'status').map((e) => [e.toValue, e.via])).toEqual([['waiting', 'web'], ['open', 'email']]);
  expect((await call('GET', `/tickets/${first.id}`)).body.status).toBe('open');
});

it('threads a mail written from scratch by the [#number] tag in its subject', async () => {
  const messageId = newId();
  await send({ from: fromContact(), messageId, subject: `Encore moi [#${first.number}]`, text: 'Le technicien peut passer demain ?' });
  expect((await ticketByMessage(messageId))?.id).toBe(first.id);
  // The tag alone is easy to guess: from someone who is not a contact of that client it opens a new ticket.
  const stranger = newId();
  await send({ from: 'intrus@ailleurs.example', messageId: stranger, subject: `[#${first.number}] Piratage`, text: 'Hello' });
  const other = await ticketByMessage(stranger);
  expect(other.id).not.toBe(first.id);
  expect(other).toMatchObject({ queue: 'triage', eventKind: 'created' });
});

it('changes nothing when the same message is delivered again', async () => {
  const messageId = newId();
  const mail: Mail = { from: fromContact(), messageId, subject: 'Écran noir', text: 'Rien ne s’affiche.', attachments: [{ filename: 'photo.pdf', content: PDF }] };
  await send(mail);
  const counts = [await ticketCount(), await eventCount(), (await db((tx) => tx('documents').count<{ count: number }[]>('* as count')))[0]!.count];
  await send(mail);
  await send({ ...mail, subject: 'Écran noir (renvoi)' });
  expect([await ticketCount(), await eventCount(), (await db((tx) => tx('documents').count<{ count: number }[]>('* as count')))[0]!.count]).toEqual(counts);
  expect(outcomes.at(-1)).toMatchObject({ action: 'duplicate' });
});

it('puts mail from an unknown sender in triage under one “Expéditeurs inconnus” client, HTML read as text', async () => {
  const a = newId();
  const b = newId();
  await send({ from: 'Paul Martin <paul@inconnu.example>', messageId: a, subject: 'TR: Devis', html: '<p>Bonjour,</p><p>Pouvez-vous nous faire un <b>devis</b> ?</p>' });
  await send({ from: 'marie@inconnu.example', messageId: b, subject: '', text: 'Urgent' });
  const [ta, tb] = [await ticketByMessage(a), await ticketByMessage(b)];
  expect(ta).toMatchObject({ queue: 'triage', contactId: null, clientName: 'Expéditeurs inconnus', subject: 'Devis' });
  expect(ta.description).toBe('Bonjour,\n\nPouvez-vous nous faire un devis ?');
  expect(tb).toMatchObject({ queue: 'triage', clientId: ta.clientId, subject: '(sans objet)' });
  // No acknowledgement to an address we do not know (it may be forged).
  expect(await outboxOf(ta.id)).toEqual([]);
  const placeholders = await db((tx) => tx('clients').where({ name: 'Expéditeurs inconnus' }));
  expect(placeholders).toHaveLength(1);
});

it('refuses mail for an address that is no tenant’s support address (550), writing nothing', async () => {
  const before = [await ticketCount(), await eventCount()];
  const refused = await send({ from: fromContact(), to: `personne-${randomUUID().slice(0, 6)}@msp.test`, subject: 'Perdu', text: 'x' }).then(
    () => undefined,
    (err: { responseCode?: number }) => err,
  );
  expect(refused?.responseCode).toBe(550);
  expect([await ticketCount(), await eventCount()]).toEqual(before);
});

it('ignores auto-replies, bulk mail and our own mail coming back', async () => {
  const before = [await ticketCount(), await eventCount()];
  const ids = [newId(), newId(), newId()];
  await send({ from: fromContact(), messageId: ids[0], subject: `Absence [#${first.number}]`, text: 'Je suis absente.', headers: { 'Auto-Submitted': 'auto-replied' } });
  await send({ from: fromContact(), messageId: ids[1], subject: 'Lettre d’information', text: 'Promotions', headers: { Precedence: 'bulk' } });
  await send({ from: `Vigie <${MAIL_FROM}>`, messageId: ids[2], subject: 'Boucle', text: 'x' });
  expect([await ticketCount(), await eventCount()]).toEqual(before);
  expect(outcomes.slice(-3)).toEqual([
    { action: 'ignored', reason: 'automatic' },
    { action: 'ignored', reason: 'automatic' },
    { action: 'ignored', reason: 'loop' },
  ]);
  // Auto-Submitted: no is a person writing.
  const human = newId();
  await send({ from: fromContact(), messageId: human, subject: 'Question', text: 'Une question', headers: { 'Auto-Submitted': 'no' } });
  expect(await ticketByMessage(human)).toBeDefined();
});

it('a reply to a closed ticket opens a new one that names the old', async () => {
  const opened = newId();
  await send({ from: fromContact(), messageId: opened, subject: 'Wi-Fi lent', text: 'Le Wi-Fi rame.' });
  const old = await ticketByMessage(opened);
  expect((await call('POST', `/tickets/${old.id}/status`, { status: 'closed', note: 'Canal changé.' })).status).toBe(200);
  const again = newId();
  await send({ from: fromContact(), messageId: again, inReplyTo: opened, references: opened, subject: 'Re: Wi-Fi lent', text: 'Ça recommence.' });
  const next = await ticketByMessage(again);
  expect(next.id).not.toBe(old.id);
  expect(next).toMatchObject({ clientId: client.id, contactId: contact.id, subject: 'Wi-Fi lent', description: `Suite du ticket ${old.number}, fermé.\n\nÇa recommence.`, eventKind: 'created' });
  expect((await call('GET', `/tickets/${old.id}`)).body.status).toBe('closed');
});

it('a staff reply goes out with headers that bring the contact’s answer back to the ticket', async () => {
  const capture = await startSmtpServer();
  const crm = createCrmActivities({ db: api.deps.db, mailer: createMailer(capture.url, `Vigie <${MAIL_FROM}>`), storage: createStorage(config) });
  try {
    const reply = await call('POST', `/tickets/${first.id}/comments`, { body: 'Nous passons demain à 9 h.' });
    expect(reply.status).toBe(201);
    const mails = await outboxOf(first.id);
    const staff = mails.at(-1)!;
    expect(staff).toMatchObject({ subject: `Re: [#${first.number}] Imprimante hors ligne`, reply_to: support });
    // It answers the latest message of the ticket (the contact's tagged mail) and references the ack.
    expect(staff.references_header.split(' ')).toContain(mails[0].message_id_header);
    expect(await crm.sendEmail({ tenantId: admin.user.tenantId, emailId: staff.id })).toBe('sent');
    const raw = capture.received.find((m) => m.to.includes(contact.email))!.raw;
    const head = raw.split('\r\n\r\n')[0]!.replace(/\r\n[ \t]+/g, ' ');
    const header = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'mi').exec(head)?.[1]?.trim();
    expect(header('Message-ID')).toBe(staff.message_id_header);
    expect(header('In-Reply-To')).toBe(staff.in_reply_to);
    expect(header('References')).toBe(staff.references_header);
    expect(header('Reply-To')).toBe(support);

    // The contact answers from their mail program: In-Reply-To is our Message-ID, the subject says nothing.
    const answer = newId();
    await send({ from: fromContact(), messageId: answer, inReplyTo: header('Message-ID'), references: header('References'), subject: 'Re: votre message', text: 'Parfait, merci.' });
    expect((await ticketByMessage(answer))?.id).toBe(first.id);
  } finally {
    await capture.close();
  }
});

it('logged no error: every ticket workflow start, signal and acknowledgement reached Temporal', () => {
  expect(errors).toEqual([]);
});
