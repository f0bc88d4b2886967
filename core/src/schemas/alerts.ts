import { z } from 'zod';
import { listQuerySchema } from './common';

const isoDate = z.iso.datetime({ offset: true });

export const ALERT_RULE_KINDS = ['metric_threshold', 'disk_free', 'offline', 'service_stopped', 'antivirus', 'event_pattern'] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];

export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_SCOPE_KINDS = ['all', 'client', 'site', 'machine', 'tag'] as const;
export type AlertScopeKind = (typeof ALERT_SCOPE_KINDS)[number];

export const ALERT_STATUSES = ['open', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** cpu, memory and swap are used percentages; load1 is the one-minute load average. */
export const ALERT_METRICS = ['cpu', 'memory', 'load1', 'swap'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];

export const ALERT_OPERATORS = ['>', '>=', '<', '<='] as const;
export type AlertOperator = (typeof ALERT_OPERATORS)[number];

export const EVENT_SEVERITIES = ['emergency', 'alert', 'critical', 'error'] as const;
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];

/** The tenant's default for "no heartbeat for this long means offline" (DESIGN: 150 s). */
export const DEFAULT_OFFLINE_AFTER_SECONDS = 150;
/** A breach that holds is told to its alertWorkflow again at most this often (each time: a note on the ticket). */
export const ALERT_REPEAT_SECONDS = 300;
/** After a clear, the alert stays open this long: a breach coming back within it continues the same alert. */
export const DEFAULT_ALERT_CLEAR_GRACE_SECONDS = 60;

const durationSeconds = z
  .number()
  .int()
  .min(0)
  .max(7 * 86_400)
  .default(0)
  .meta({ description: 'the condition must hold on every sample for this long before the alert opens; 0: at once' });

const isRegExp = (pattern: string) => {
  try {
    new RegExp(pattern, 'i');
    return true;
  } catch {
    return false;
  }
};

export const metricThresholdConditionSchema = z
  .strictObject({
    metric: z.enum(ALERT_METRICS),
    operator: z.enum(ALERT_OPERATORS).default('>'),
    threshold: z.number().min(0).max(1_000_000),
    durationSeconds,
  })
  .refine((c) => c.metric === 'load1' || c.threshold <= 100, { path: ['threshold'], message: 'a percentage (0 to 100)' })
  .meta({ id: 'MetricThresholdCondition' });
export type MetricThresholdCondition = z.infer<typeof metricThresholdConditionSchema>;

export const diskFreeConditionSchema = z
  .strictObject({
    mountPoint: z.string().min(1).max(4096).nullable().default(null).meta({ description: 'null: any disk of the machine' }),
    minFreePercent: z.number().min(0).max(100).optional().meta({ description: 'fires when the free space is below this percentage' }),
    minFreeBytes: z.number().int().min(0).optional().meta({ description: 'fires when the free space is below this many bytes' }),
    durationSeconds,
  })
  .refine((c) => c.minFreePercent !== undefined || c.minFreeBytes !== undefined, { path: ['minFreePercent'], message: 'minFreePercent or minFreeBytes is required' })
  .meta({ id: 'DiskFreeCondition' });
export type DiskFreeCondition = z.infer<typeof diskFreeConditionSchema>;

export const offlineConditionSchema = z
  .strictObject({
    afterSeconds: z
      .number()
      .int()
      .min(30)
      .max(7 * 86_400)
      .optional()
      .meta({ description: 'no heartbeat for this long; default: the tenant’s setting (150 s unless changed)' }),
  })
  .meta({ id: 'OfflineCondition' });
export type OfflineCondition = z.infer<typeof offlineConditionSchema>;

export const serviceStoppedConditionSchema = z
  .strictObject({
    services: z.array(z.string().trim().min(1).max(256)).min(1).max(50).meta({ description: 'service (systemd unit) or process names; a missing one counts as stopped' }),
    durationSeconds,
  })
  .meta({ id: 'ServiceStoppedCondition' });
export type ServiceStoppedCondition = z.infer<typeof serviceStoppedConditionSchema>;

export const antivirusConditionSchema = z
  .strictObject({
    require: z.enum(['installed', 'running']).default('running').meta({ description: 'installed: fires when none is installed; running: also when none runs' }),
  })
  .meta({ id: 'AntivirusCondition' });
export type AntivirusCondition = z.infer<typeof antivirusConditionSchema>;

export const eventPatternConditionSchema = z
  .strictObject({
    pattern: z.string().min(1).max(200).refine(isRegExp, 'a valid regular expression').meta({ description: 'regular expression matched (case-insensitive) against the message' }),
    source: z.string().trim().min(1).max(200).optional().meta({ description: 'only events of this source (syslog identifier or unit)' }),
    minSeverity: z.enum(EVENT_SEVERITIES).default('error'),
    clearAfterSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .default(3600)
      .meta({ description: 'an event has no end: the alert clears after this long without a matching event' }),
  })
  .meta({ id: 'EventPatternCondition' });
export type EventPatternCondition = z.infer<typeof eventPatternConditionSchema>;

/** The condition schema of each kind (a PATCH of the condition is checked against the rule's kind). */
export const ALERT_CONDITION_SCHEMAS = {
  metric_threshold: metricThresholdConditionSchema,
  disk_free: diskFreeConditionSchema,
  offline: offlineConditionSchema,
  service_stopped: serviceStoppedConditionSchema,
  antivirus: antivirusConditionSchema,
  event_pattern: eventPatternConditionSchema,
} as const;

export type AlertRuleDefinition =
  | { kind: 'metric_threshold'; condition: MetricThresholdCondition }
  | { kind: 'disk_free'; condition: DiskFreeCondition }
  | { kind: 'offline'; condition: OfflineCondition }
  | { kind: 'service_stopped'; condition: ServiceStoppedCondition }
  | { kind: 'antivirus'; condition: AntivirusCondition }
  | { kind: 'event_pattern'; condition: EventPatternCondition };
export type AlertCondition = AlertRuleDefinition['condition'];

export const machineTagSchema = z.string().trim().toLowerCase().min(1).max(50).regex(/^[\p{L}\p{N}_.:/-]+$/u, 'letters, digits and _ . : / - only');

export const alertScopeSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('all') }),
    z.strictObject({ kind: z.literal('client'), id: z.uuid() }),
    z.strictObject({ kind: z.literal('site'), id: z.uuid() }),
    z.strictObject({ kind: z.literal('machine'), id: z.uuid() }),
    z.strictObject({ kind: z.literal('tag'), tag: machineTagSchema }),
  ])
  .meta({ id: 'AlertScope', description: 'which machines the rule watches' });
export type AlertScope = z.infer<typeof alertScopeSchema>;

const ruleFields = {
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  scope: alertScopeSchema.default({ kind: 'all' }),
  severity: z.enum(ALERT_SEVERITIES).default('warning').meta({ description: 'ticket priority: critical → critical, warning → high, info → normal' }),
  autoResolveTicket: z.boolean().default(false).meta({ description: 'resolve the alert’s ticket too when the condition clears' }),
};

/** The condition is typed by the kind, so a CPU rule cannot carry a disk condition. */
export const createAlertRuleBodySchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ ...ruleFields, kind: z.literal('metric_threshold'), condition: metricThresholdConditionSchema }),
    z.strictObject({ ...ruleFields, kind: z.literal('disk_free'), condition: diskFreeConditionSchema }),
    z.strictObject({ ...ruleFields, kind: z.literal('offline'), condition: offlineConditionSchema.default({}) }),
    z.strictObject({ ...ruleFields, kind: z.literal('service_stopped'), condition: serviceStoppedConditionSchema }),
    z.strictObject({ ...ruleFields, kind: z.literal('antivirus'), condition: antivirusConditionSchema.default({ require: 'running' }) }),
    z.strictObject({ ...ruleFields, kind: z.literal('event_pattern'), condition: eventPatternConditionSchema }),
  ])
  .meta({ id: 'CreateAlertRuleBody' });
export type CreateAlertRuleBody = z.infer<typeof createAlertRuleBodySchema>;

export const updateAlertRuleBodySchema = z
  .strictObject({
    name: ruleFields.name.optional(),
    enabled: z.boolean().optional(),
    scope: alertScopeSchema.optional(),
    severity: z.enum(ALERT_SEVERITIES).optional(),
    autoResolveTicket: z.boolean().optional(),
    condition: z.record(z.string(), z.unknown()).optional().meta({ description: 'the whole new condition, of the rule’s kind (the kind cannot change)' }),
  })
  .meta({ id: 'UpdateAlertRuleBody' });
export type UpdateAlertRuleBody = z.infer<typeof updateAlertRuleBodySchema>;

export const alertRuleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    enabled: z.boolean(),
    kind: z.enum(ALERT_RULE_KINDS),
    condition: z.record(z.string(), z.unknown()).meta({ description: 'typed by kind (see the *Condition schemas)' }),
    scope: alertScopeSchema,
    severity: z.enum(ALERT_SEVERITIES),
    autoResolveTicket: z.boolean(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'AlertRule' });
export type AlertRule = AlertRuleDefinition & {
  id: string;
  name: string;
  enabled: boolean;
  scope: AlertScope;
  severity: AlertSeverity;
  autoResolveTicket: boolean;
  createdAt: string;
  updatedAt: string;
};

/** `a,b` in a query string → ['a', 'b'], each one of `values`. */
export const commaList = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(values)).min(1));

export const alertRuleListQuerySchema = listQuerySchema.extend({
  kind: commaList(ALERT_RULE_KINDS).optional(),
  severity: commaList(ALERT_SEVERITIES).optional(),
  enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
export type AlertRuleListQuery = z.infer<typeof alertRuleListQuerySchema>;

/** What a rule measured when it was evaluated: kept on the alert, written into its ticket. */
export const alertReadingSchema = z
  .object({
    value: z.number().nullable(),
    unit: z.string().meta({ description: '%, bytes, s, or empty' }),
    /** What the value is about: a mount point, a service, an event source. */
    subject: z.string().nullable(),
    detail: z.string().meta({ description: 'the reading in words, e.g. « CPU 97,3 % »' }),
  })
  .meta({ id: 'AlertReading' });
export type AlertReading = z.infer<typeof alertReadingSchema>;

export const alertSchema = z
  .object({
    id: z.uuid(),
    ruleId: z.uuid(),
    ruleName: z.string(),
    kind: z.enum(ALERT_RULE_KINDS),
    severity: z.enum(ALERT_SEVERITIES),
    machineId: z.uuid(),
    hostname: z.string(),
    clientId: z.uuid(),
    status: z.enum(ALERT_STATUSES),
    openedAt: isoDate,
    resolvedAt: isoDate.nullable(),
    lastObservedAt: isoDate,
    lastValue: alertReadingSchema.nullable(),
    occurrences: z.number().int(),
    ticketId: z.uuid().nullable(),
    ticketNumber: z.string().nullable(),
  })
  .meta({ id: 'Alert' });
export type Alert = z.infer<typeof alertSchema>;

export const alertListQuerySchema = listQuerySchema.extend({
  status: commaList(ALERT_STATUSES).optional(),
  severity: commaList(ALERT_SEVERITIES).optional(),
  machineId: z.uuid().optional(),
  clientId: z.uuid().optional(),
  ruleId: z.uuid().optional(),
});
export type AlertListQuery = z.infer<typeof alertListQuerySchema>;

export const alertSettingsSchema = z
  .object({
    offlineAfterSeconds: z.number().int().meta({ description: 'a machine without heartbeat for this long is offline' }),
  })
  .meta({ id: 'AlertSettings' });
export type AlertSettings = z.infer<typeof alertSettingsSchema>;

export const updateAlertSettingsBodySchema = z
  .strictObject({ offlineAfterSeconds: z.number().int().min(30).max(86_400) })
  .meta({ id: 'UpdateAlertSettingsBody' });

export const machineTagsBodySchema = z
  .strictObject({ tags: z.array(machineTagSchema).max(50).transform((tags) => [...new Set(tags)].sort()) })
  .meta({ id: 'MachineTagsBody' });
