import { z } from 'zod';
import { listQuerySchema } from './common';

export const TICKET_STATUSES = ['open', 'in_progress', 'waiting', 'resolved', 'closed'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const TICKET_PRIORITIES = ['low', 'normal', 'high', 'critical'] as const;
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];

export const TICKET_SOURCES = ['manual', 'email', 'portal', 'alert'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];

/** Which status may follow which (anything else is a 409). Closed is final; resolved can be reopened. */
export const TICKET_TRANSITIONS: Record<TicketStatus, readonly TicketStatus[]> = {
  open: ['in_progress', 'waiting', 'resolved', 'closed'],
  in_progress: ['open', 'waiting', 'resolved', 'closed'],
  waiting: ['open', 'in_progress', 'resolved', 'closed'],
  resolved: ['open', 'in_progress', 'closed'],
  closed: [],
};

/** Ticket queues: `triage` holds e-mails from unknown senders until someone sorts them. */
export const TICKET_QUEUES = ['support', 'triage'] as const;

/** State of one SLA target: `none` without a target, `met`/`missed` once answered or resolved. */
export const SLA_TARGET_STATES = ['none', 'running', 'paused', 'warning', 'breached', 'met', 'missed'] as const;
export type SlaTargetState = (typeof SLA_TARGET_STATES)[number];
/** The ticket's SLA at a glance (filters, list): the worst of its two targets. */
export const SLA_STATES = ['none', 'ok', 'warning', 'breached'] as const;
export type SlaState = (typeof SLA_STATES)[number];

const subject = z.string().trim().min(1).max(300);
const description = z.string().max(20_000);
const category = z.string().trim().max(80);

export const createTicketBodySchema = z
  .strictObject({
    clientId: z.uuid().optional().meta({ description: 'required for staff; a client user opens tickets for its own client' }),
    contactId: z.uuid().nullable().optional(),
    machineId: z.uuid().nullable().optional(),
    contractId: z.uuid().nullable().optional().meta({ description: 'defaults to the client’s default contract' }),
    priority: z.enum(TICKET_PRIORITIES).default('normal'),
    category: category.optional(),
    subject,
    description: description.default(''),
    assigneeId: z.uuid().nullable().optional(),
    teamId: z.uuid().nullable().optional(),
    queue: z.enum(TICKET_QUEUES).optional(),
  })
  .meta({ id: 'CreateTicketBody' });
export type CreateTicketBody = z.infer<typeof createTicketBodySchema>;

export const updateTicketBodySchema = z
  .strictObject({
    subject: subject.optional(),
    description: description.optional(),
    category: category.optional(),
    priority: z.enum(TICKET_PRIORITIES).optional(),
    contactId: z.uuid().nullable().optional(),
    contractId: z.uuid().nullable().optional(),
    machineId: z.uuid().nullable().optional(),
    queue: z.enum(TICKET_QUEUES).optional(),
    clientId: z.uuid().optional().meta({ description: 'only while the ticket is in triage (an e-mail from an unknown sender)' }),
    estimateMinutes: z.number().int().min(1).max(100_000).nullable().optional(),
  })
  .meta({ id: 'UpdateTicketBody' });
export type UpdateTicketBody = z.infer<typeof updateTicketBodySchema>;

export const assignTicketBodySchema = z
  .strictObject({
    technicianId: z.uuid().nullable().optional().meta({ description: 'null: unassign; absent: unchanged' }),
    teamId: z.uuid().nullable().optional().meta({ description: 'null: no team; absent: unchanged' }),
  })
  .refine((b) => b.technicianId !== undefined || b.teamId !== undefined, 'name a technician, a team or both')
  .meta({ id: 'AssignTicketBody' });
export type AssignTicketBody = z.infer<typeof assignTicketBodySchema>;
export const ticketStatusBodySchema = z
  .strictObject({
    status: z.enum(TICKET_STATUSES),
    note: z.string().trim().min(1).max(20_000).optional().meta({ description: 'the resolution note: required to resolve or close' }),
  })
  .meta({ id: 'TicketStatusBody' });
export type TicketStatusBody = z.infer<typeof ticketStatusBodySchema>;

export const slaTargetSchema = z.object({ dueAt: z.iso.datetime().nullable(), state: z.enum(SLA_TARGET_STATES) });

export const ticketSchema = z
  .object({
    id: z.uuid(),
    number: z.string(),
    clientId: z.uuid(),
    clientName: z.string(),
    contactId: z.uuid().nullable(),
    contactName: z.string().nullable(),
    machineId: z.uuid().nullable(),
    contractId: z.uuid().nullable(),
    contractName: z.string().nullable(),
    slaPolicyId: z.uuid().nullable(),
    status: z.enum(TICKET_STATUSES),
    priority: z.enum(TICKET_PRIORITIES),
    category: z.string(),
    subject: z.string(),
    description: z.string(),
    assigneeId: z.uuid().nullable(),
    assigneeName: z.string().nullable(),
    teamId: z.uuid().nullable(),
    teamName: z.string().nullable(),
    queue: z.enum(TICKET_QUEUES),
    source: z.enum(TICKET_SOURCES),
    resolutionNote: z.string().nullable(),
    sla: z.object({
      state: z.enum(SLA_STATES),
      firstResponse: slaTargetSchema,
      resolution: slaTargetSchema,
      firstRespondedAt: z.iso.datetime().nullable(),
    }),
    totalMinutes: z.number().int().meta({ description: 'approved time on this ticket' }),
    estimateMinutes: z.number().int().nullable().meta({ description: 'expected work, for the capacity forecast' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
    resolvedAt: z.iso.datetime().nullable(),
    closedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'Ticket' });
export type Ticket = z.infer<typeof ticketSchema>;

/** Comma-separated lists are accepted for status and priority (`status=open,in_progress`). */
const csvOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

export const ticketListQuerySchema = listQuerySchema.extend({
  status: csvOf(TICKET_STATUSES).optional(),
  priority: csvOf(TICKET_PRIORITIES).optional(),
  clientId: z.uuid().optional(),
  assigneeId: z.union([z.uuid(), z.literal('me'), z.literal('none')]).optional(),
  teamId: z.union([z.uuid(), z.literal('mine'), z.literal('none')]).optional().meta({ description: 'mine: the teams I belong to' }),
  queue: z.enum(TICKET_QUEUES).optional(),
  slaState: z.enum(SLA_STATES).optional(),
  contractId: z.uuid().optional(),
});
export type TicketListQuery = z.infer<typeof ticketListQuerySchema>;

// ---------------------------------------------------------------- timeline (append-only events)

export const TICKET_EVENT_KINDS = ['created', 'reply', 'note', 'change', 'attachment', 'sla', 'time'] as const;
export type TicketEventKind = (typeof TICKET_EVENT_KINDS)[number];

export const commentBodySchema = z
  .strictObject({
    body: z.string().trim().min(1).max(50_000),
    visibility: z.enum(['public', 'internal']).default('public').meta({ description: 'internal notes are never shown to the client' }),
  })
  .meta({ id: 'CommentBody' });
export type CommentBody = z.infer<typeof commentBodySchema>;

export const ticketEventSchema = z
  .object({
    id: z.uuid(),
    ticketId: z.uuid(),
    kind: z.enum(TICKET_EVENT_KINDS),
    visibility: z.enum(['public', 'internal']),
    actorUserId: z.uuid().nullable(),
    actorName: z.string().nullable().meta({ description: 'user name, or the sender of an e-mail' }),
    via: z.enum(['web', 'email', 'portal', 'system']),
    field: z.string().nullable().meta({ description: 'for a change: status, priority, assignee, contract…' }),
    fromValue: z.string().nullable(),
    toValue: z.string().nullable(),
    body: z.string().nullable(),
    documentId: z.uuid().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'TicketEvent' });
export type TicketEvent = z.infer<typeof ticketEventSchema>;

export const ticketTimelineQuerySchema = listQuerySchema.extend({ kind: z.enum(TICKET_EVENT_KINDS).optional() });

// ---------------------------------------------------------------- SLA policies and the business calendar

const targetMinutes = z.number().int().min(1).max(525_600).nullable().meta({ description: 'business minutes; null: no target' });
export const slaTargetsSchema = z.strictObject({ firstResponseMinutes: targetMinutes, resolutionMinutes: targetMinutes });

export const slaPolicyBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(120),
    isDefault: z.boolean().default(false),
    targets: z.strictObject({ low: slaTargetsSchema, normal: slaTargetsSchema, high: slaTargetsSchema, critical: slaTargetsSchema }),
    warningPercent: z.number().int().min(1).max(99).default(75),
    autoCloseDays: z.number().int().min(1).max(90).default(7).meta({ description: 'a resolved ticket closes after this many days unless reopened' }),
  })
  .meta({ id: 'SlaPolicyBody' });
export type SlaPolicyBody = z.infer<typeof slaPolicyBodySchema>;
export const updateSlaPolicyBodySchema = slaPolicyBodySchema.partial().meta({ id: 'UpdateSlaPolicyBody' });

export const slaPolicySchema = slaPolicyBodySchema
  .extend({ id: z.uuid(), isDefault: z.boolean(), createdAt: z.iso.datetime(), updatedAt: z.iso.datetime() })
  .meta({ id: 'SlaPolicy' });
export type SlaPolicy = z.infer<typeof slaPolicySchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'HH:mm');
const intervals = z.array(z.strictObject({ start: hhmm, end: hhmm })).max(6);
export const businessCalendarSchema = z
  .strictObject({
    timeZone: z.string().min(1).max(64),
    week: z.strictObject({ 1: intervals, 2: intervals, 3: intervals, 4: intervals, 5: intervals, 6: intervals, 7: intervals }),
    holidays: z.array(z.iso.date()).max(500),
  })
  .meta({ id: 'BusinessCalendar', description: 'working hours per ISO weekday (1 = Monday) in local time, and closed dates' });

// ---------------------------------------------------------------- time entries, timer, approval

export const TIME_ENTRY_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type TimeEntryStatus = (typeof TIME_ENTRY_STATUSES)[number];

export const createTimeEntryBodySchema = z
  .strictObject({
    date: z.iso.date().meta({ description: 'the day the work was done' }),
    startedAt: z.iso.datetime().nullable().optional(),
    minutes: z.number().int().min(1).max(24 * 60),
    description: z.string().trim().min(1).max(2000),
    billable: z.boolean().default(true),
    technicianId: z.uuid().optional().meta({ description: 'managers may record time for a technician; defaults to oneself' }),
  })
  .meta({ id: 'CreateTimeEntryBody' });
export type CreateTimeEntryBody = z.infer<typeof createTimeEntryBodySchema>;

export const updateTimeEntryBodySchema = createTimeEntryBodySchema.omit({ technicianId: true }).partial().meta({ id: 'UpdateTimeEntryBody' });
export type UpdateTimeEntryBody = z.infer<typeof updateTimeEntryBodySchema>;

export const timeEntrySchema = z
  .object({
    id: z.uuid(),
    ticketId: z.uuid(),
    ticketNumber: z.string(),
    ticketSubject: z.string(),
    clientId: z.uuid(),
    clientName: z.string(),
    technicianId: z.uuid(),
    technicianName: z.string(),
    date: z.iso.date(),
    startedAt: z.iso.datetime().nullable(),
    minutes: z.number().int(),
    description: z.string(),
    billable: z.boolean(),
    status: z.enum(TIME_ENTRY_STATUSES),
    decidedBy: z.uuid().nullable(),
    decidedAt: z.iso.datetime().nullable(),
    decisionComment: z.string().nullable(),
    contractId: z.uuid().nullable().meta({ description: 'the contract it was applied to at approval' }),
    coveredMinutes: z.number().int().meta({ description: 'taken from the contract (hour bank, included hours)' }),
    outOfContractMinutes: z.number().int().meta({ description: 'billable outside the contract' }),
    costCents: z.number().int().meta({ description: 'internal cost, frozen at approval' }),
    priceCents: z.number().int().meta({ description: 'external price, frozen at approval (0 when included)' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'TimeEntry' });
export type TimeEntry = z.infer<typeof timeEntrySchema>;

export const timeEntryListQuerySchema = listQuerySchema.extend({
  status: z.enum(TIME_ENTRY_STATUSES).optional(),
  technicianId: z.union([z.uuid(), z.literal('me')]).optional(),
  clientId: z.uuid().optional(),
  ticketId: z.uuid().optional(),
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});
export type TimeEntryListQuery = z.infer<typeof timeEntryListQuerySchema>;

export const decisionBodySchema = z.strictObject({ comment: z.string().trim().max(2000).optional() }).meta({ id: 'DecisionBody' });
export const rejectBodySchema = z.strictObject({ comment: z.string().trim().min(1).max(2000) }).meta({ id: 'RejectBody' });
export const bulkApproveBodySchema = z.strictObject({ ids: z.array(z.uuid()).min(1).max(200), comment: z.string().trim().max(2000).optional() }).meta({ id: 'BulkApproveBody' });
export const bulkApproveResultSchema = z
  .object({
    results: z.array(z.object({ id: z.uuid(), ok: z.boolean(), entry: timeEntrySchema.optional(), error: z.string().optional() })),
  })
  .meta({ id: 'BulkApproveResult' });

export const timerSchema = z
  .object({ ticketId: z.uuid(), ticketNumber: z.string(), ticketSubject: z.string(), startedAt: z.iso.datetime() })
  .meta({ id: 'Timer' });
export type Timer = z.infer<typeof timerSchema>;
export const stopTimerBodySchema = z
  .strictObject({ description: z.string().trim().min(1).max(2000).optional(), billable: z.boolean().default(true) })
  .meta({ id: 'StopTimerBody' });

// ---------------------------------------------------------------- pre-billing (consumed by billing)

export const PRE_BILLING_STATUSES = ['pending', 'deferred', 'invoiced', 'cancelled'] as const;
export const preBillingItemSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    clientName: z.string(),
    ticketId: z.uuid(),
    ticketNumber: z.string(),
    timeEntryId: z.uuid(),
    description: z.string(),
    minutes: z.number().int(),
    unitRateCents: z.number().int().meta({ description: 'hourly rate' }),
    amountCents: z.number().int(),
    status: z.enum(PRE_BILLING_STATUSES),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'PreBillingItem' });
export type PreBillingItem = z.infer<typeof preBillingItemSchema>;
export const preBillingQuerySchema = listQuerySchema.extend({ clientId: z.uuid().optional(), status: z.enum(PRE_BILLING_STATUSES).optional() });

// ---------------------------------------------------------------- saved views of the ticket list (per user)

export const ticketViewBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(80),
    filters: z.record(z.string().max(40), z.string().max(200)).refine((f) => Object.keys(f).length <= 20, 'at most 20 filters').meta({ description: 'query parameters of GET /tickets' }),
  })
  .meta({ id: 'TicketViewBody' });
export const ticketViewSchema = ticketViewBodySchema.extend({ id: z.uuid(), createdAt: z.iso.datetime() }).meta({ id: 'TicketView' });
export type TicketView = z.infer<typeof ticketViewSchema>;

// ---------------------------------------------------------------- teams

export const teamBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(80),
    memberIds: z.array(z.uuid()).max(200).default([]).meta({ description: 'staff users in the team' }),
  })
  .meta({ id: 'TeamBody' });
export type TeamBody = z.infer<typeof teamBodySchema>;
export const updateTeamBodySchema = z
  .strictObject({ name: z.string().trim().min(1).max(80).optional(), memberIds: z.array(z.uuid()).max(200).optional() })
  .meta({ id: 'UpdateTeamBody' });
export type UpdateTeamBody = z.infer<typeof updateTeamBodySchema>;
export const teamSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    members: z.array(z.object({ id: z.uuid(), name: z.string() })),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Team' });
export type Team = z.infer<typeof teamSchema>;
