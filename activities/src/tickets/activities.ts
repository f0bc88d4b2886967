import type { BusinessCalendar, SlaPolicy, TicketPriority, TicketStatus } from '@vigie/core';
import { notificationsRepo, outboxRepo, slaRepo, staffRepo, withTenant, type Db, type SlaColumns, type TicketSlaRow } from '@vigie/db';

export interface TicketActivityDeps {
  db: Db;
}

export interface TicketIds {
  tenantId: string;
  ticketId: string;
}

/** What the ticket workflow needs to run its SLA clocks, read from Postgres. */
export interface TicketSlaInputs {
  status: TicketStatus;
  priority: TicketPriority;
  createdAt: string;
  firstRespondedAt: string | null;
  resolvedAt: string | null;
  /** Status changes from the ticket's timeline, oldest first (a workflow started late replays them). */
  statusHistory: { status: TicketStatus; at: string }[];
  /** Targets per priority of the ticket's policy (or the tenant's default); null without any policy. */
  targets: SlaPolicy['targets'] | null;
  warningPercent: number;
  autoCloseDays: number;
  calendar: BusinessCalendar;
}

export type SlaLevel = 'warning' | 'breached';

/** A target crossing its warning or breach instant: recorded, notified and mailed once. */
export interface SlaCrossing {
  target: 'firstResponse' | 'resolution';
  level: SlaLevel;
  /** The breach instant of the target. */
  dueAt: string;
  /** When the workflow's timer fired (the event's time on the timeline). */
  at: string;
}

const TARGET_LABEL = { firstResponse: 'première réponse', resolution: 'résolution' } as const;

function crossingMessage(ticket: TicketSlaRow, c: SlaCrossing): { title: string; body: string } {
  const due = new Date(c.dueAt).toLocaleString('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
  const what = TARGET_LABEL[c.target];
  return c.level === 'warning'
    ? { title: `SLA bientôt dépassé : ${what} du ticket ${ticket.number}`, body: `Le délai de ${what} du ticket ${ticket.number} « ${ticket.subject} » expire le ${due}.` }
    : { title: `SLA dépassé : ${what} du ticket ${ticket.number}`, body: `Le délai de ${what} du ticket ${ticket.number} « ${ticket.subject} » a expiré le ${due}.` };
}

/** Activities of the ticket workflow. Each is one transaction in the tenant, and safe to run twice. */
export function createTicketActivities({ db }: TicketActivityDeps) {
  return {
    /** The ticket's SLA inputs; null when the ticket does not exist (any more). */
    async loadTicketSla({ tenantId, ticketId }: TicketIds): Promise<TicketSlaInputs | null> {
      return withTenant(db, tenantId, async (tx) => {
        const ticket = await slaRepo.findTicketSla(tx, ticketId);
        if (!ticket) return null;
        // Tenants from before SLA policies get the standard one on first use.
        await slaRepo.ensureDefaultPolicy(tx, tenantId);
        const policy = (ticket.slaPolicyId ? await slaRepo.findPolicy(tx, ticket.slaPolicyId) : undefined) ?? (await slaRepo.findDefaultPolicy(tx));
        return {
          status: ticket.status,
          priority: ticket.priority,
          createdAt: ticket.createdAt,
          firstRespondedAt: ticket.firstRespondedAt,
          resolvedAt: ticket.resolvedAt,
          statusHistory: await slaRepo.statusHistory(tx, ticketId),
          targets: policy?.targets ?? null,
          warningPercent: policy?.warningPercent ?? 75,
          autoCloseDays: policy?.autoCloseDays ?? 7,
          calendar: await slaRepo.effectiveCalendar(tx, tenantId),
        };
      });
    },

    /**
     * Records the SLA on the ticket (states, due dates, the worst state). With a crossing, also in the same
     * transaction: an `sla` event on the timeline, an in-app notification to the assignee (else the
     * tenant's admins and managers) and a queued e-mail to each, all keyed so a retry adds nothing.
     * Returns the queued e-mails for the workflow to hand to their delivery.
     */
    async saveTicketSla({ tenantId, ticketId, sla, crossing }: TicketIds & { sla: SlaColumns; crossing?: SlaCrossing }): Promise<{ emailIds: string[] }> {
      return withTenant(db, tenantId, async (tx) => {
        const ticket = await slaRepo.findTicketSla(tx, ticketId);
        if (!ticket) return { emailIds: [] };
        await slaRepo.saveSlaColumns(tx, ticketId, sla);
        if (!crossing) return { emailIds: [] };
        const key = `ticket-sla:${ticketId}:${crossing.target}:${crossing.level}`;
        const message = crossingMessage(ticket, crossing);
        await slaRepo.insertSystemEvent(tx, { tenantId, ticketId, key, kind: 'sla', field: crossing.target, toValue: crossing.level, body: message.body, at: crossing.at });
        const emailIds: string[] = [];
        for (const user of await staffRepo.noticeRecipients(tx, ticket.assigneeId)) {
          await notificationsRepo.notify(tx, { tenantId, userId: user.id, kind: 'ticket-sla', title: message.title, body: message.body, link: `/tickets/${ticketId}`, sourceKey: `${key}:${user.id}` });
          emailIds.push(await outboxRepo.enqueueEmail(tx, { tenantId, idempotencyKey: `${key}:${user.email}`, to: user.email, subject: message.title, text: `${message.body}\n` }));
        }
        return { emailIds };
      });
    },

    /**
     * The auto-close: closes the ticket if it is still resolved and was resolved at or before
     * `resolvedBefore`. Otherwise changes nothing and says what the ticket is now, so the workflow can
     * catch up (reopened, or resolved again later than it knew).
     */
    async autoCloseTicket({ tenantId, ticketId, at, resolvedBefore }: TicketIds & { at: string; resolvedBefore: string }): Promise<{ closed: boolean; status: TicketStatus | null; resolvedAt: string | null }> {
      return withTenant(db, tenantId, async (tx) => {
        const closed = await slaRepo.closeResolvedTicket(tx, tenantId, ticketId, at, resolvedBefore);
        const ticket = await slaRepo.findTicketSla(tx, ticketId);
        return { closed, status: ticket?.status ?? null, resolvedAt: ticket?.resolvedAt ?? null };
      });
    },

    /** A closed ticket's approved time outside any contract, into the pre-billing queue (once per time entry). */
    async queueTicketPreBilling({ tenantId, ticketId }: TicketIds): Promise<{ queued: number }> {
      return withTenant(db, tenantId, async (tx) => ({ queued: await slaRepo.queuePreBilling(tx, tenantId, ticketId) }));
    },
  };
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
