import type { Ticket, TicketMailKind } from '@vigie/core';
import { findContact } from './clients';
import { enqueueEmail, ticketMessageIds } from './outbox';
import { getTemplate, mailIdentity, renderTemplate } from './ticket-mail-templates';
import type { TenantTx } from '../tenancy';

export type TicketNoticeKind = TicketMailKind;

/** RFC 5322 advises keeping the first and the last few IDs when References grows long. */
const MAX_REFERENCES = 10;

/**
 * The threading of a ticket's next e-mail: it answers the latest message of the ticket (ours or the
 * contact's) and references the conversation, so the contact's mail program shows one thread and their
 * reply names one of our Message-IDs.
 */
async function threadOf(tx: TenantTx, ticketId: string): Promise<{ inReplyTo: string | null; references: string | null }> {
  const ids = [...new Set(await ticketMessageIds(tx, ticketId))];
  if (ids.length === 0) return { inReplyTo: null, references: null };
  const kept = ids.length > MAX_REFERENCES ? [ids[0]!, ...ids.slice(-(MAX_REFERENCES - 1))] : ids;
  return { inReplyTo: ids[ids.length - 1]!, references: kept.join(' ') };
}

/**
 * Queues the notice for the ticket's contact (if they have an address), once per cause; returns the
 * outbox id. The text is the tenant's template for this kind (or the built-in French one); the e-mail
 * gets our Message-ID, answers the ticket's previous messages, and says Reply-To: the tenant's support
 * address when it has one.
 */
export async function queueTicketNotice(
  tx: TenantTx,
  n: { tenantId: string; kind: TicketNoticeKind; ticket: Ticket; cause: string; body?: string | null },
): Promise<string | null> {
  if (!n.ticket.contactId) return null;
  const contact = await findContact(tx, n.ticket.contactId);
  if (!contact?.email) return null;
  const identity = await mailIdentity(tx, n.tenantId);
  const template = await getTemplate(tx, n.kind);
  const mail = renderTemplate(template, {
    number: n.ticket.number,
    subject: n.ticket.subject,
    body: n.body ?? '',
    resolution: n.ticket.resolutionNote ?? '',
    contactName: contact.name,
    tenantName: identity.tenantName,
  });
  const thread = await threadOf(tx, n.ticket.id);
  return enqueueEmail(tx, {
    tenantId: n.tenantId,
    idempotencyKey: `ticket:${n.ticket.id}:${n.kind}:${n.cause}`,
    to: contact.email,
    ...mail,
    ticket: {
      id: n.ticket.id,
      // Our Message-IDs are in the support address's domain: the conversation is with that address.
      messageIdDomain: identity.supportEmail?.split('@')[1] ?? null,
      ...thread,
      replyTo: identity.supportEmail,
    },
  });
}
