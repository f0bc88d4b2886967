import { alertSubject, describeCondition, priorityForSeverity, type AlertReading, type AlertRule, type AlertSeverity } from '@vigie/core';
import { alertsRepo, ticketNoticesRepo, ticketsRepo, withTenant, type Db, type MachineFacts } from '@vigie/db';

export interface RmmActivityDeps {
  db: Db;
}

export interface AlertIds {
  tenantId: string;
  alertId: string;
}

export interface OpenAlertInput {
  tenantId: string;
  machineId: string;
  ruleId: string;
  /** Chosen by the workflow (uuid4), so a retried activity finds the alert it opened. */
  alertId: string;
  at: string;
  reading: AlertReading | null;
}

export interface OpenedAlert {
  alertId: string;
  openedAt: string;
  occurrences: number;
  ticketId: string | null;
  ticketNumber: string | null;
  /** The ticket is not closed: its workflow should run. */
  ticketOpen: boolean;
}

export interface ResolvedAlert {
  ticketId: string | null;
  /** When the ticket was resolved by this alert (its workflow is told); null if it was not. */
  ticketResolvedAt: string | null;
  emailIds: string[];
}

const SEVERITY_LABEL: Record<AlertSeverity, string> = { critical: 'critique', warning: 'avertissement', info: 'information' };

/** What the technician reads first: the rule, the machine, the condition, what was measured and when. */
export function alertTicketDescription(rule: AlertRule, machine: MachineFacts, reading: AlertReading | null, at: string, offlineAfterSeconds: number): string {
  return [
    `Alerte « ${rule.name} » (sévérité : ${SEVERITY_LABEL[rule.severity]})`,
    `Machine : ${machine.hostname} (${`${machine.osName} ${machine.osVersion}`.trim()})`,
    `Condition : ${describeCondition(rule, { offlineAfterSeconds })}`,
    `Mesure : ${reading?.detail ?? 'non disponible'} — ${at}`,
    '',
    rule.autoResolveTicket
      ? 'Ouvert par la supervision Vigie ; l’alerte et ce ticket seront résolus quand la condition ne sera plus remplie.'
      : 'Ouvert par la supervision Vigie ; l’alerte sera résolue quand la condition ne sera plus remplie (ce ticket reste à clore).',
  ].join('\n');
}

const alertKeyOf = (machineId: string, ruleId: string, alertId: string) => `${machineId}:${ruleId}:${alertId}`;

/** Activities of the alert workflow. Each is one transaction in the tenant, and safe to run twice. */
export function createRmmActivities({ db }: RmmActivityDeps) {
  return {
    /**
     * Opens the alert (or joins the one already open for the machine and rule) and its pre-filled ticket:
     * client, machine, the client's default contract, priority from the severity, the reading that fired it.
     * Null when the rule is gone or disabled, or the machine is gone or disabled: nothing to open.
     */
    async openAlert(input: OpenAlertInput): Promise<OpenedAlert | null> {
      const { tenantId, machineId, ruleId } = input;
      return withTenant(db, tenantId, async (tx) => {
        const rule = await alertsRepo.findRule(tx, ruleId);
        const [machine] = await alertsRepo.machineFacts(tx, [machineId]);
        if (!rule?.enabled || !machine || machine.disabled) return null;
        const reading = input.reading ?? { value: null, unit: '', subject: null, detail: 'non disponible' };
        const alert = await alertsRepo.openAlert(tx, { tenantId, id: input.alertId, ruleId, machineId, reading, at: input.at });
        const existing = alert.ticket_id ? await ticketsRepo.findTicket(tx, alert.ticket_id) : undefined;
        const ticket =
          existing ??
          (
            await ticketsRepo.openAlertTicket(tx, {
              tenantId,
              alertKey: alertKeyOf(machineId, ruleId, alert.id),
              clientId: machine.clientId,
              machineId,
              priority: priorityForSeverity(rule.severity),
              subject: alertSubject(rule, machine.hostname),
              description: alertTicketDescription(rule, machine, input.reading, input.at, await alertsRepo.offlineAfterSeconds(tx)),
            })
          ).ticket;
        if (!existing) await alertsRepo.setAlertTicket(tx, alert.id, ticket.id);
        return {
          alertId: alert.id,
          openedAt: alert.opened_at.toISOString(),
          occurrences: alert.occurrences,
          ticketId: ticket.id,
          ticketNumber: ticket.number,
          ticketOpen: ticket.status !== 'closed',
        };
      });
    },

    /** A breach that holds: counted with its reading, and noted on the ticket when `note` (unless the ticket is closed). */
    async recordAlertRepeat(input: AlertIds & { occurrences: number; at: string; reading: AlertReading | null; note: boolean }): Promise<{ noted: boolean }> {
      const { tenantId, alertId } = input;
      return withTenant(db, tenantId, async (tx) => {
        const reading = input.reading ?? { value: null, unit: '', subject: null, detail: 'non disponible' };
        const alert = await alertsRepo.recordRepeat(tx, alertId, { occurrences: input.occurrences, reading, at: input.at });
        if (!alert?.ticket_id || !input.note) return { noted: false };
        const ticket = await ticketsRepo.findTicket(tx, alert.ticket_id);
        if (!ticket || ticket.status === 'closed') return { noted: false };
        const body = `Alerte toujours active (occurrence ${input.occurrences}) : ${reading.detail} — ${input.at}`;
        return { noted: await alertsRepo.addAlertNote(tx, { tenantId, ticketId: ticket.id, key: `alert:${alertId}:repeat:${input.occurrences}`, body }) };
      });
    },

    /**
     * Resolves the alert with what cleared it, notes it on the ticket, and resolves the ticket too when the
     * rule says so and it is still being worked on. The ticket's notice e-mail (to its contact, if any) is
     * queued and returned for delivery.
     */
    async resolveAlert(input: AlertIds & { at: string; reading: AlertReading | null; reason: string | null }): Promise<ResolvedAlert> {
      const { tenantId, alertId } = input;
      return withTenant(db, tenantId, async (tx) => {
        const alert = await alertsRepo.findAlertRow(tx, alertId, true);
        if (!alert) return { ticketId: null, ticketResolvedAt: null, emailIds: [] };
        await alertsRepo.resolveAlertRow(tx, alertId, { reading: input.reading, at: input.at });
        if (!alert.ticket_id) return { ticketId: null, ticketResolvedAt: null, emailIds: [] };
        const ticket = await ticketsRepo.findTicket(tx, alert.ticket_id);
        if (!ticket || ticket.status === 'closed') return { ticketId: alert.ticket_id, ticketResolvedAt: null, emailIds: [] };
        const note = `Alerte résolue : ${input.reason ?? input.reading?.detail ?? 'la condition n’est plus remplie'} — ${input.at}`;
        await alertsRepo.addAlertNote(tx, { tenantId, ticketId: ticket.id, key: `alert:${alertId}:resolved`, body: note });
        const rule = await alertsRepo.findRule(tx, alert.rule_id);
        if (!rule?.autoResolveTicket) return { ticketId: ticket.id, ticketResolvedAt: null, emailIds: [] };
        const result = await alertsRepo.resolveAlertTicket(tx, { tenantId, ticketId: ticket.id, key: `alert:${alertId}:resolve-ticket`, note });
        if (!result?.resolvedByAlert || !result.ticket.resolvedAt) return { ticketId: ticket.id, ticketResolvedAt: null, emailIds: [] };
        const emailId = await ticketNoticesRepo.queueTicketNotice(tx, { tenantId, kind: 'resolved', ticket: result.ticket, cause: result.ticket.resolvedAt });
        return { ticketId: ticket.id, ticketResolvedAt: result.ticket.resolvedAt, emailIds: emailId ? [emailId] : [] };
      });
    },
  };
}

export type RmmActivities = ReturnType<typeof createRmmActivities>;
