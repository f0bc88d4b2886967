import type { Ticket } from '@vigie/core';
import { findContact } from './clients';
import { enqueueEmail } from './outbox';
import type { TenantTx } from '../tenancy';

export type TicketNoticeKind = 'created' | 'replied' | 'resolved';

/**
 * The e-mail the client contact receives when their ticket is created, answered or resolved. The ticket
 * number in brackets in the subject threads their reply back to the ticket.
 */
function render(kind: TicketNoticeKind, ticket: Ticket, body: string | null): { subject: string; text: string } {
  const tag = `[#${ticket.number}]`;
  switch (kind) {
    case 'created':
      return {
        subject: `${tag} ${ticket.subject}`,
        text: `Bonjour,\n\nNous avons bien reçu votre demande « ${ticket.subject} », enregistrée sous le numéro ${ticket.number}.\nRépondez à ce message pour compléter votre demande.\n`,
      };
    case 'replied':
      return { subject: `Re: ${tag} ${ticket.subject}`, text: `${body ?? ''}\n\n-- \nTicket ${ticket.number} : répondez à ce message pour nous écrire.\n` };
    case 'resolved':
      return {
        subject: `${tag} Résolu : ${ticket.subject}`,
        text: `Bonjour,\n\nVotre demande ${ticket.number} est résolue.\n\n${ticket.resolutionNote ?? ''}\n\nSi le problème persiste, répondez à ce message : le ticket sera rouvert.\n`,
      };
  }
}

/** Queues the notice for the ticket's contact (if they have an address), once per cause; returns the outbox id. */
export async function queueTicketNotice(
  tx: TenantTx,
  n: { tenantId: string; kind: TicketNoticeKind; ticket: Ticket; cause: string; body?: string | null },
): Promise<string | null> {
  if (!n.ticket.contactId) return null;
  const contact = await findContact(tx, n.ticket.contactId);
  if (!contact?.email) return null;
  const mail = render(n.kind, n.ticket, n.body ?? null);
  return enqueueEmail(tx, { tenantId: n.tenantId, idempotencyKey: `ticket:${n.ticket.id}:${n.kind}:${n.cause}`, to: contact.email, ...mail });
}
