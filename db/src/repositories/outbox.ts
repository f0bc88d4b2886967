import { randomUUID } from 'node:crypto';
import type { TenantTx } from '../tenancy';

/** The headers that keep a ticket's e-mails in one conversation (RFC 5322 threading). */
export interface ThreadHeaders {
  /** Our Message-ID, angle brackets included; null → the mailer picks one when it sends. */
  messageId: string | null;
  inReplyTo: string | null;
  /** Message-IDs separated by spaces, oldest first. */
  references: string | null;
  replyTo: string | null;
}

export interface OutboxEmail extends ThreadHeaders {
  id: string;
  to: string;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed' | 'bounced';
  attempts: number;
  ticketId: string | null;
  /** Documents sent as attachments (an invoice's PDF). */
  attachmentDocumentIds: string[];
}

export interface NewOutboxEmail {
  tenantId: string;
  idempotencyKey: string;
  to: string;
  subject: string;
  text: string;
  /** A ticket's e-mail: threaded with the ticket's other messages. */
  ticket?: {
    id: string;
    /** The domain of our Message-ID (`<ticket-<ticketId>-<outboxId>@domain>`); null → chosen when sent. */
    messageIdDomain: string | null;
    inReplyTo: string | null;
    references: string | null;
    replyTo: string | null;
  };
  /** An invoice's e-mail, with its PDF attached. */
  invoice?: { id: string; attachmentDocumentIds: string[] };
}

/** Queues an e-mail once per idempotency key; returns the outbox id (existing or new). */
export async function enqueueEmail(tx: TenantTx, mail: NewOutboxEmail): Promise<string> {
  const id = randomUUID();
  const t = mail.ticket;
  await tx('email_outbox')
    .insert({
      tenant_id: mail.tenantId,
      id,
      idempotency_key: mail.idempotencyKey,
      to_address: mail.to,
      subject: mail.subject,
      text: mail.text,
      ...(t
        ? {
            ticket_id: t.id,
            message_id_header: t.messageIdDomain ? `<ticket-${t.id}-${id}@${t.messageIdDomain}>` : null,
            in_reply_to: t.inReplyTo,
            references_header: t.references,
            reply_to: t.replyTo,
          }
        : {}),
      ...(mail.invoice ? { invoice_id: mail.invoice.id, attachment_document_ids: mail.invoice.attachmentDocumentIds } : {}),
    })
    .onConflict(['tenant_id', 'idempotency_key'])
    .ignore();
  const row = await tx('email_outbox').where({ idempotency_key: mail.idempotencyKey }).first('id');
  return (row as { id: string }).id;
}

interface OutboxRow {
  id: string;
  to_address: string;
  subject: string;
  text: string;
  status: OutboxEmail['status'];
  attempts: number;
  ticket_id: string | null;
  message_id_header: string | null;
  in_reply_to: string | null;
  references_header: string | null;
  reply_to: string | null;
  attachment_document_ids: string[];
}

/** Locks the row: two concurrent attempts cannot both send. */
export async function lockEmail(tx: TenantTx, id: string): Promise<OutboxEmail | undefined> {
  const row = (await tx('email_outbox').where({ id }).forUpdate().first()) as OutboxRow | undefined;
  if (!row) return undefined;
  return {
    id: row.id,
    to: row.to_address,
    subject: row.subject,
    text: row.text,
    status: row.status,
    attempts: row.attempts,
    ticketId: row.ticket_id,
    messageId: row.message_id_header,
    inReplyTo: row.in_reply_to,
    references: row.references_header,
    replyTo: row.reply_to,
    attachmentDocumentIds: row.attachment_document_ids,
  };
}

export async function markEmailSent(tx: TenantTx, id: string, messageId: string): Promise<void> {
  await tx('email_outbox').where({ id }).update({ status: 'sent', sent_at: tx.fn.now(), message_id: messageId, attempts: tx.raw('attempts + 1') });
}

/** The server refused the recipient for good (5xx): no retry, the sender sees it bounced. */
export async function markEmailBounced(tx: TenantTx, id: string, error: string): Promise<void> {
  await tx('email_outbox').where({ id }).update({ status: 'bounced', attempts: tx.raw('attempts + 1'), last_error: error.slice(0, 2000) });
}

export async function markEmailAttemptFailed(tx: TenantTx, id: string, error: string): Promise<void> {
  await tx('email_outbox').where({ id }).update({ attempts: tx.raw('attempts + 1'), last_error: error.slice(0, 2000) });
}

/** The Message-IDs of a ticket's e-mails, ours and those we received, oldest first. */
export async function ticketMessageIds(tx: TenantTx, ticketId: string): Promise<string[]> {
  const { rows } = await tx.raw(
    `select message_id from (
       select email_message_id as message_id, created_at from ticket_events where ticket_id = ? and email_message_id is not null
       union all
       select coalesce(message_id_header, message_id), created_at from email_outbox where ticket_id = ? and coalesce(message_id_header, message_id) is not null
     ) m order by created_at`,
    [ticketId, ticketId],
  );
  return (rows as { message_id: string }[]).map((r) => r.message_id);
}

/** The ticket one of our own e-mails was about, from its Message-ID (chosen by us or by the mailer). */
export async function ticketIdsByOutgoingMessageIds(tx: TenantTx, messageIds: string[]): Promise<Map<string, string>> {
  if (messageIds.length === 0) return new Map();
  const rows = (await tx('email_outbox')
    .whereNotNull('ticket_id')
    .where((w) => w.whereIn('message_id_header', messageIds).orWhereIn('message_id', messageIds))
    .select('ticket_id', 'message_id_header', 'message_id')) as { ticket_id: string; message_id_header: string | null; message_id: string | null }[];
  const found = new Map<string, string>();
  for (const r of rows) for (const id of [r.message_id_header, r.message_id]) if (id && messageIds.includes(id)) found.set(id, r.ticket_id);
  return found;
}
