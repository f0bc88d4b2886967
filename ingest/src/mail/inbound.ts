import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { sanitizeFilename, sniffDocumentType, type Ticket } from '@vigie/core';
import {
  auditRepo,
  documentsRepo,
  isUniqueViolation,
  notificationsRepo,
  outboxRepo,
  ticketNoticesRepo,
  ticketsRepo,
  withTenant,
  type Db,
  type DocumentStorage,
  type TenantTx,
} from '@vigie/db';
import { signalTicket, startEmailDelivery, startTicketWorkflow, type TicketChange } from '@vigie/workflows/client';
import { capText, replyText, ticketNumberIn, ticketSubject, type InboundMessage } from './message';

export interface MailDeps {
  db: Db;
  temporal: Client;
  storage: DocumentStorage;
  log: Logger;
  /** DOCUMENT_MAX_BYTES: a larger attachment is left out (and said so on the ticket). */
  maxAttachmentBytes: number;
  /** Our own sending addresses (MAIL_FROM): mail from them is a loop. */
  ownAddresses: string[];
}

export type DeliveryOutcome =
  | { action: 'created'; ticketId: string; number: string; queue: Ticket['queue']; followsClosed: string | null }
  | { action: 'replied'; ticketId: string; number: string; reopened: boolean }
  | { action: 'duplicate'; ticketId: string | null }
  | { action: 'ignored'; reason: 'automatic' | 'loop' };

const UNKNOWN_SENDERS = 'Expéditeurs inconnus';

interface StoredFile {
  id: string;
  key: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

interface AfterCommit {
  start: string | null;
  changes: TicketChange[];
  emailIds: string[];
}

/** The sender as the timeline shows it: "Name <address>", or the address alone. */
const senderName = (from: InboundMessage['from']) => (from.name ? `${from.name} <${from.address}>` : from.address).slice(0, 254);

/** The contacts with this address (any case), primary contacts first. */
async function contactsByEmail(tx: TenantTx, address: string): Promise<{ id: string; clientId: string }[]> {
  const rows = (await tx('contacts')
    .whereRaw('lower(email) = ?', [address])
    .orderBy([{ column: 'is_primary', order: 'desc' }, { column: 'created_at' }])
    .select('id', 'client_id')) as { id: string; client_id: string }[];
  return rows.map((r) => ({ id: r.id, clientId: r.client_id }));
}

/**
 * The tenant's client for mail from unknown senders, made on first use. The settings row is locked,
 * so two mails arriving together make one; its id is remembered there, so a rename keeps it.
 */
async function unknownSendersClient(tx: TenantTx, tenantId: string): Promise<string> {
  const settings = (await tx('tenant_settings').where({ tenant_id: tenantId }).forUpdate().first('unknown_sender_client_id')) as
    | { unknown_sender_client_id: string | null }
    | undefined;
  if (settings?.unknown_sender_client_id) return settings.unknown_sender_client_id;
  const id = randomUUID();
  await tx('clients').insert({
    tenant_id: tenantId,
    id,
    name: UNKNOWN_SENDERS,
    status: 'active',
    notes: 'Créé par Vigie : les tickets reçus par e-mail d’expéditeurs inconnus arrivent ici, dans la file de tri, en attendant d’être rattachés au bon client.',
  });
  await tx('tenant_settings').where({ tenant_id: tenantId }).update({ unknown_sender_client_id: id });
  return id;
}

/** The ticket the mail answers, from the Message-IDs it names (ours or ones we received), most likely first. */
async function ticketByThread(tx: TenantTx, threadIds: string[]): Promise<string | undefined> {
  if (threadIds.length === 0) return undefined;
  const received = (await tx('ticket_events').whereIn('email_message_id', threadIds).select('email_message_id', 'ticket_id')) as { email_message_id: string; ticket_id: string }[];
  const ours = await outboxRepo.ticketIdsByOutgoingMessageIds(tx, threadIds);
  for (const id of threadIds) {
    const found = received.find((r) => r.email_message_id === id)?.ticket_id ?? ours.get(id);
    if (found) return found;
  }
  return undefined;
}

/**
 * The ticket named by `[#T-2026-0001]` in the subject, if the sender may write to it: a ticket number is
 * easy to guess, so only a contact of the ticket's client threads this way (others open a new ticket).
 */
async function ticketBySubject(tx: TenantTx, subject: string, contacts: { clientId: string }[]): Promise<string | undefined> {
  const number = ticketNumberIn(subject);
  if (!number) return undefined;
  const ticket = await ticketsRepo.findTicketByNumber(tx, number);
  return ticket && contacts.some((c) => c.clientId === ticket.clientId) ? ticket.id : undefined;
}

/**
 * Receives one e-mail for one tenant. It answers a ticket (by its headers, else by the ticket number in
 * the subject) and becomes a public reply that puts a waiting or resolved ticket back in the queue, or it
 * opens a ticket: for the client of the contact who wrote, or in triage under "Expéditeurs inconnus".
 * Attachments become documents of the ticket. A Message-ID lands once: a re-delivery changes nothing.
 */
export async function deliverMail(deps: MailDeps, tenantId: string, msg: InboundMessage): Promise<DeliveryOutcome> {
  if (msg.autoReply) return { action: 'ignored', reason: 'automatic' };
  if (deps.ownAddresses.includes(msg.from.address)) return { action: 'ignored', reason: 'loop' };
  const known = await withTenant(deps.db, tenantId, async (tx) => {
    const ticketId = await ticketsRepo.ticketIdByMessageId(tx, [msg.messageId]);
    if (ticketId) return { action: 'duplicate', ticketId } as const;
    const ours = await outboxRepo.ticketIdsByOutgoingMessageIds(tx, [msg.messageId]);
    const support = (await tx('tenant_settings').where({ tenant_id: tenantId }).first('support_email')) as { support_email: string | null } | undefined;
    if (ours.size > 0 || support?.support_email?.toLowerCase() === msg.from.address) return { action: 'ignored', reason: 'loop' } as const;
    return undefined;
  });
  if (known) return known;

  const { stored, refused } = await storeAttachments(deps, tenantId, msg);
  const after: AfterCommit = { start: null, changes: [], emailIds: [] };
  let outcome: DeliveryOutcome;
  try {
    outcome = await withTenant(deps.db, tenantId, (tx) => record(tx, tenantId, msg, stored, refused, after));
  } catch (err) {
    await Promise.all(stored.map((f) => deps.storage.delete(f.key).catch(() => {})));
    // The same mail delivered twice at once: the unique Message-ID let one through.
    if (isUniqueViolation(err)) return { action: 'duplicate', ticketId: null };
    throw err;
  }
  if (outcome.action === 'duplicate') await Promise.all(stored.map((f) => deps.storage.delete(f.key).catch(() => {})));
  else await afterCommit(deps, tenantId, outcome, after);
  return outcome;
}

/** Attachment bytes go to storage before the transaction (keys are fresh ids); kept only if it commits. */
async function storeAttachments(deps: MailDeps, tenantId: string, msg: InboundMessage): Promise<{ stored: StoredFile[]; refused: string[] }> {
  const stored: StoredFile[] = [];
  const refused: string[] = [];
  for (const a of msg.attachments) {
    const filename = sanitizeFilename(a.filename);
    if (a.content.length > deps.maxAttachmentBytes) {
      refused.push(`${filename} (trop volumineux)`);
      continue;
    }
    const contentType = sniffDocumentType(a.content, filename);
    if (!contentType) {
      refused.push(`${filename} (type de fichier non accepté)`);
      continue;
    }
    const id = randomUUID();
    const key = `${tenantId}/${id}`;
    await deps.storage.put(key, a.content);
    stored.push({ id, key, filename, contentType, bytes: a.content });
  }
  return { stored, refused };
}

async function record(tx: TenantTx, tenantId: string, msg: InboundMessage, stored: StoredFile[], refused: string[], after: AfterCommit): Promise<DeliveryOutcome> {
  const existing = await ticketsRepo.ticketIdByMessageId(tx, [msg.messageId]);
  if (existing) return { action: 'duplicate', ticketId: existing };
  const actorName = senderName(msg.from);
  const contacts = await contactsByEmail(tx, msg.from.address);
  const threadId = (await ticketByThread(tx, msg.threadIds)) ?? (await ticketBySubject(tx, msg.subject, contacts));
  const thread = threadId ? await ticketsRepo.lockTicket(tx, threadId) : undefined;

  let outcome: DeliveryOutcome;
  let ticket: Ticket;
  if (thread && thread.status !== 'closed') {
    ticket = thread;
    const event = await ticketsRepo.insertEvent(tx, {
      tenantId,
      ticketId: ticket.id,
      kind: 'reply',
      visibility: 'public',
      actorName,
      via: 'email',
      body: capText(replyText(msg.text)),
      emailMessageId: msg.messageId,
    });
    const reopen = ticket.status === 'waiting' || ticket.status === 'resolved';
    if (reopen) {
      await ticketsRepo.updateTicket(tx, ticket.id, { status: 'open', ...(ticket.status === 'resolved' ? { resolved_at: null } : {}) });
      await ticketsRepo.insertEvent(tx, { tenantId, ticketId: ticket.id, kind: 'change', actorName, via: 'email', field: 'status', fromValue: ticket.status, toValue: 'open' });
      after.changes.push({ kind: 'status', status: 'open', at: event.createdAt });
    }
    if (ticket.assigneeId) {
      await notificationsRepo.notify(tx, {
        tenantId,
        userId: ticket.assigneeId,
        kind: 'ticket-reply',
        title: `${ticket.number} : réponse par e-mail`,
        body: (event.body ?? '').slice(0, 200),
        link: `/tickets/${ticket.id}`,
        sourceKey: `ticket-reply:${event.id}`,
      });
    }
    outcome = { action: 'replied', ticketId: ticket.id, number: ticket.number, reopened: reopen };
  } else {
    // A reply to a closed ticket opens a new one for the same client, saying which one it follows.
    const contact = thread ? contacts.find((c) => c.clientId === thread.clientId) : contacts[0];
    const clientId = thread?.clientId ?? contact?.clientId ?? (await unknownSendersClient(tx, tenantId));
    const queue: Ticket['queue'] = thread ? thread.queue : contact ? 'support' : 'triage';
    const text = thread ? replyText(msg.text) : msg.text;
    ticket = await ticketsRepo.openTicket(tx, {
      tenantId,
      clientId,
      contactId: contact?.id ?? null,
      machineId: null,
      priority: 'normal',
      category: '',
      subject: ticketSubject(msg.subject),
      description: capText(thread ? `Suite du ticket ${thread.number}, fermé.\n\n${text}` : text),
      assigneeId: null,
      queue,
      source: 'email',
      alertKey: null,
      actor: { userId: null, name: actorName, via: 'email' },
      emailMessageId: msg.messageId,
    });
    await auditRepo.recordAudit(tx, {
      tenantId,
      actorId: null,
      actorName,
      action: 'ticket.create',
      entity: 'ticket',
      entityId: ticket.id,
      after: { number: ticket.number, clientId, source: 'email', queue, ...(thread ? { follows: thread.number } : {}) },
      requestId: null,
    });
    const ack = await ticketNoticesRepo.queueTicketNotice(tx, { tenantId, kind: 'created', ticket, cause: 'created' });
    if (ack) after.emailIds.push(ack);
    after.start = ticket.id;
    outcome = { action: 'created', ticketId: ticket.id, number: ticket.number, queue, followsClosed: thread?.number ?? null };
  }

  for (const f of stored) {
    const doc = await documentsRepo.insertDocument(tx, {
      tenantId,
      id: f.id,
      clientId: ticket.clientId,
      category: 'attachment',
      filename: f.filename,
      contentType: f.contentType,
      sizeBytes: f.bytes.length,
      sha256: createHash('sha256').update(f.bytes).digest('hex'),
      storageKey: f.key,
      uploadedBy: null,
      ticketId: ticket.id,
    });
    await ticketsRepo.insertEvent(tx, { tenantId, ticketId: ticket.id, kind: 'attachment', actorName, via: 'email', body: doc.filename, documentId: doc.id });
  }
  if (refused.length) {
    await ticketsRepo.insertEvent(tx, { tenantId, ticketId: ticket.id, kind: 'note', actorName: 'Vigie', via: 'system', body: `Pièces jointes non conservées : ${refused.join(', ')}.` });
  }
  return outcome;
}

/**
 * After the commit: the ticket's workflow starts or hears of the reopening, the acknowledgement goes out.
 * Postgres already holds the mail, so a failure here is logged, not answered with an SMTP error (the
 * re-delivery would be a duplicate); the next change to the ticket signals-with-start its workflow anyway.
 */
async function afterCommit(deps: MailDeps, tenantId: string, outcome: DeliveryOutcome, after: AfterCommit): Promise<void> {
  try {
    if (after.start) await startTicketWorkflow(deps.temporal, { tenantId, ticketId: after.start });
    if (outcome.action === 'replied') for (const change of after.changes) await signalTicket(deps.temporal, { tenantId, ticketId: outcome.ticketId }, change);
    for (const emailId of after.emailIds) await startEmailDelivery(deps.temporal, { tenantId, emailId });
  } catch (err) {
    deps.log.error({ err, tenantId, outcome }, 'mail recorded, but its workflows could not be started or signalled');
  }
}
