import { z } from 'zod';
import { listQuerySchema } from './common';
import { businessCalendarSchema } from './tickets';

export const INTERVENTION_MODES = ['remote', 'onsite'] as const;
export const INTERVENTION_STATUSES = ['planned', 'done', 'cancelled'] as const;
export type InterventionStatus = (typeof INTERVENTION_STATUSES)[number];

const duration = z.number().int().min(5).max(24 * 60);
const technicianIds = z.array(z.uuid()).min(1).max(10).refine((ids) => new Set(ids).size === ids.length, 'each technician once');
const leadMinutes = z.number().int().min(0).max(7 * 24 * 60);

export const createInterventionBodySchema = z
  .strictObject({
    ticketId: z.uuid(),
    mode: z.enum(INTERVENTION_MODES),
    startAt: z.iso.datetime({ offset: true }),
    durationMinutes: duration,
    technicianIds,
    siteId: z.uuid().nullable().optional().meta({ description: 'on-site: the client site (its address is copied); default: the client’s billing address' }),
    notes: z.string().max(5000).optional(),
    reminderLeadMinutes: leadMinutes.optional().meta({ description: 'on-site: notify the technicians this long before (default 60)' }),
    force: z.boolean().default(false).meta({ description: 'save despite conflicts (they are returned with a 409 otherwise)' }),
  })
  .meta({ id: 'CreateInterventionBody' });
export type CreateInterventionBody = z.infer<typeof createInterventionBodySchema>;

export const updateInterventionBodySchema = z
  .strictObject({
    mode: z.enum(INTERVENTION_MODES).optional(),
    startAt: z.iso.datetime({ offset: true }).optional(),
    durationMinutes: duration.optional(),
    technicianIds: technicianIds.optional(),
    siteId: z.uuid().nullable().optional(),
    notes: z.string().max(5000).optional(),
    reminderLeadMinutes: leadMinutes.optional(),
    force: z.boolean().default(false),
  })
  .meta({ id: 'UpdateInterventionBody' });
export type UpdateInterventionBody = z.infer<typeof updateInterventionBodySchema>;

export const completeInterventionBodySchema = z
  .strictObject({
    createTimeEntries: z.boolean().default(true).meta({ description: 'one pending time entry per technician, of the intervention’s duration' }),
    description: z.string().trim().min(1).max(2000).optional(),
    billable: z.boolean().default(true),
  })
  .meta({ id: 'CompleteInterventionBody' });

export const conflictSchema = z
  .object({
    kind: z.enum(['overlap', 'absence', 'outside_hours', 'holiday']),
    technicianId: z.uuid(),
    withInterventionId: z.uuid().optional(),
    absenceId: z.uuid().optional(),
    absenceKind: z.string().optional(),
    absenceStatus: z.string().optional(),
    from: z.string().optional(),
    to: z.string().optional(),
    minutesOutside: z.number().int().optional(),
    date: z.string().optional(),
  })
  .meta({ id: 'PlanningConflict' });
export type PlanningConflict = z.infer<typeof conflictSchema>;

export const interventionSchema = z
  .object({
    id: z.uuid(),
    ticketId: z.uuid(),
    ticketNumber: z.string(),
    ticketSubject: z.string(),
    clientId: z.uuid(),
    clientName: z.string(),
    mode: z.enum(INTERVENTION_MODES),
    startAt: z.iso.datetime(),
    endAt: z.iso.datetime(),
    durationMinutes: z.number().int(),
    status: z.enum(INTERVENTION_STATUSES),
    technicians: z.array(z.object({ id: z.uuid(), name: z.string() })),
    siteId: z.uuid().nullable(),
    address: z.string().nullable().meta({ description: 'on-site: where to go' }),
    notes: z.string(),
    reminderLeadMinutes: z.number().int(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Intervention' });
export type Intervention = z.infer<typeof interventionSchema>;

/** A calendar range: at most about three months at once. */
export const rangeQuerySchema = z.strictObject({
  from: z.iso.datetime({ offset: true }),
  to: z.iso.datetime({ offset: true }),
});

export const interventionListQuerySchema = rangeQuerySchema.extend({
  technicianId: z.uuid().optional(),
  teamId: z.uuid().optional(),
  ticketId: z.uuid().optional(),
  status: z.enum(INTERVENTION_STATUSES).optional(),
});
export type InterventionListQuery = z.infer<typeof interventionListQuerySchema>;

// ---------------------------------------------------------------- availability

export const ABSENCE_KIND_VALUES = ['holiday', 'sick', 'training', 'other'] as const;
export const ABSENCE_STATUS_VALUES = ['requested', 'approved', 'rejected'] as const;

export const createAbsenceBodySchema = z
  .strictObject({
    technicianId: z.uuid().optional().meta({ description: 'managers record absences for others; defaults to oneself' }),
    kind: z.enum(ABSENCE_KIND_VALUES),
    startAt: z.iso.datetime({ offset: true }),
    endAt: z.iso.datetime({ offset: true }),
    reason: z.string().trim().max(500).optional(),
  })
  .refine((a) => Date.parse(a.endAt) > Date.parse(a.startAt), { path: ['endAt'], message: 'must be after the start' })
  .meta({ id: 'CreateAbsenceBody' });
export type CreateAbsenceBody = z.infer<typeof createAbsenceBodySchema>;

export const absenceSchema = z
  .object({
    id: z.uuid(),
    technicianId: z.uuid(),
    technicianName: z.string(),
    kind: z.enum(ABSENCE_KIND_VALUES),
    startAt: z.iso.datetime(),
    endAt: z.iso.datetime(),
    status: z.enum(ABSENCE_STATUS_VALUES),
    reason: z.string(),
    decidedBy: z.uuid().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    decisionComment: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Absence' });
export type AbsenceView = z.infer<typeof absenceSchema>;

export const absenceListQuerySchema = listQuerySchema.extend({
  technicianId: z.union([z.uuid(), z.literal('me')]).optional(),
  status: z.enum(ABSENCE_STATUS_VALUES).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const absenceDecisionBodySchema = z.strictObject({ comment: z.string().trim().max(500).optional() }).meta({ id: 'AbsenceDecisionBody' });

/** A technician's working week; without one, the tenant's business calendar applies. */
export const technicianScheduleSchema = z
  .object({
    technicianId: z.uuid(),
    week: businessCalendarSchema.shape.week,
    custom: z.boolean().meta({ description: 'false: the tenant’s business hours' }),
  })
  .meta({ id: 'TechnicianSchedule' });
export const putScheduleBodySchema = z
  .strictObject({ week: businessCalendarSchema.shape.week.nullable().meta({ description: 'null: back to the tenant’s business hours' }) })
  .meta({ id: 'PutScheduleBody' });

export const technicianCalendarSchema = z
  .object({
    technicianId: z.uuid(),
    timeZone: z.string(),
    interventions: z.array(interventionSchema),
    absences: z.array(absenceSchema),
    holidays: z.array(z.iso.date()),
    days: z.array(z.object({ date: z.iso.date(), availableMinutes: z.number().int(), plannedMinutes: z.number().int() })),
  })
  .meta({ id: 'TechnicianCalendar' });

// ---------------------------------------------------------------- capacity

export const capacityQuerySchema = z.strictObject({
  weeks: z.coerce.number().int().min(1).max(26).default(4),
  from: z.iso.date().optional().meta({ description: 'a date in the first week (default: this week)' }),
  teamId: z.uuid().optional(),
});

const figures = { availableMinutes: z.number().int(), plannedMinutes: z.number().int(), ticketMinutes: z.number().int() };
export const capacitySchema = z
  .object({
    weeks: z.array(
      z.object({
        start: z.iso.date(),
        perTechnician: z.array(z.object({ technicianId: z.uuid(), name: z.string(), ...figures })),
        perTeam: z.array(z.object({ teamId: z.uuid(), name: z.string(), ...figures })),
        unassignedTicketMinutes: z.number().int(),
      }),
    ),
    averageByPriority: z.object({ low: z.number().int(), normal: z.number().int(), high: z.number().int(), critical: z.number().int() }),
  })
  .meta({ id: 'CapacityForecast' });

// ---------------------------------------------------------------- calendar feed

export const calendarFeedSchema = z
  .object({ url: z.url().meta({ description: 'secret: whoever has it reads the calendar; shown once' }), createdAt: z.iso.datetime() })
  .meta({ id: 'CalendarFeed' });
