import { interventionsRepo, notificationsRepo, outboxRepo, withTenant, type Db } from '@vigie/db';

export interface PlanningActivityDeps {
  db: Db;
}

export interface InterventionReminderInput {
  tenantId: string;
  interventionId: string;
  /** The start the reminder was timed for (ISO); a moved intervention is not reminded of its old time. */
  startAt: string;
}

const when = (iso: string, timeZone: string) =>
  new Date(iso).toLocaleString('fr-FR', { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' });

/** Activities of the planning workflows. Each is one transaction in the tenant, and safe to run twice. */
export function createPlanningActivities({ db }: PlanningActivityDeps) {
  return {
    /**
     * Tells each technician of an on-site intervention that it is coming (in the app and by a queued
     * e-mail), only if it is still planned, still on site and still starts at `startAt`: Postgres, not the
     * workflow, knows. Keyed by intervention, start and technician, so a retry adds nothing.
     * Returns the queued e-mails for the workflow to hand to their delivery.
     */
    async remindIntervention({ tenantId, interventionId, startAt }: InterventionReminderInput): Promise<{ reminded: boolean; emailIds: string[] }> {
      return withTenant(db, tenantId, async (tx) => {
        const target = await interventionsRepo.reminderTarget(tx, interventionId);
        const i = target?.intervention;
        if (!target || !i || i.status !== 'planned' || i.mode !== 'onsite' || Date.parse(i.startAt) !== Date.parse(startAt)) return { reminded: false, emailIds: [] };
        const settings = (await tx('tenant_settings').first('timezone')) as { timezone: string | null } | undefined;
        const at = when(i.startAt, settings?.timezone ?? 'Europe/Paris');
        const title = `Intervention sur site ${at} : ${i.ticketNumber}`;
        const body = [`${i.clientName} — ${i.ticketSubject}`, `Début : ${at} (${i.durationMinutes} min)`, i.address ? `Adresse : ${i.address}` : null, i.notes || null]
          .filter(Boolean)
          .join('\n');
        const emailIds: string[] = [];
        for (const tech of target.technicians) {
          const key = `intervention-reminder:${interventionId}:${i.startAt}:${tech.id}`;
          await notificationsRepo.notify(tx, { tenantId, userId: tech.id, kind: 'intervention-reminder', title, body, link: `/planning?intervention=${interventionId}`, sourceKey: key });
          emailIds.push(await outboxRepo.enqueueEmail(tx, { tenantId, idempotencyKey: key, to: tech.email, subject: title, text: `Bonjour ${tech.name},\n\n${body}\n` }));
        }
        return { reminded: true, emailIds };
      });
    },
  };
}

export type PlanningActivities = ReturnType<typeof createPlanningActivities>;
