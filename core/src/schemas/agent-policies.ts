import { z } from 'zod';
import { listQuerySchema } from './common';
import { ALERT_SCOPE_KINDS, alertScopeSchema, commaList } from './alerts';

/**
 * Agent policies: what the server tells agents to do (how often to sample metrics, which services and processes
 * to watch), scoped like alert rules. The agent fetches the effective policy of its machine.
 */

const isoDate = z.iso.datetime({ offset: true });

/** Metrics sample period a policy may set (the RMM promise: every 1 to 5 min). */
export const AGENT_POLICY_METRICS_SECONDS = { min: 60, max: 300, default: 60 } as const;
/** Bounds that keep a snapshot well under the inventory message's limits (200 entries per list). */
export const MAX_WATCHED_NAMES = 50;
export const MAX_WATCHED_NAME_LENGTH = 128;

/**
 * A service (systemd unit, Windows service) or process name. Spaces are allowed (Windows names have some); path
 * separators, quotes and control characters are not, so a name cannot be read as a path or an option.
 */
export const watchedNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_WATCHED_NAME_LENGTH)
  .regex(/^[\p{L}\p{N}_.@:+ -]+$/u, 'letters, digits, spaces and _ . @ : + - only');

/** Sorted and without duplicates: the same list always has the same version. */
const watchList = z
  .array(watchedNameSchema)
  .max(MAX_WATCHED_NAMES)
  .transform((names) => [...new Set(names)].sort());

const metricsIntervalSeconds = z
  .number()
  .int()
  .min(AGENT_POLICY_METRICS_SECONDS.min)
  .max(AGENT_POLICY_METRICS_SECONDS.max)
  .meta({ description: 'seconds between two metrics samples (60 to 300)' });

const policyName = z.string().trim().min(1).max(200);

export const createAgentPolicyBodySchema = z
  .strictObject({
    name: policyName,
    enabled: z.boolean().default(true),
    scope: alertScopeSchema.default({ kind: 'all' }),
    metricsIntervalSeconds: metricsIntervalSeconds.default(AGENT_POLICY_METRICS_SECONDS.default),
    watchServices: watchList.default([]).meta({ description: 'services whose state the agent reports (systemd units, Windows services)' }),
    watchProcesses: watchList.default([]).meta({ description: 'processes whose presence the agent reports' }),
  })
  .meta({ id: 'CreateAgentPolicyBody' });
export type CreateAgentPolicyBody = z.infer<typeof createAgentPolicyBodySchema>;

export const updateAgentPolicyBodySchema = z
  .strictObject({
    name: policyName.optional(),
    enabled: z.boolean().optional(),
    scope: alertScopeSchema.optional(),
    metricsIntervalSeconds: metricsIntervalSeconds.optional(),
    watchServices: watchList.optional(),
    watchProcesses: watchList.optional(),
  })
  .meta({ id: 'UpdateAgentPolicyBody' });
export type UpdateAgentPolicyBody = z.infer<typeof updateAgentPolicyBodySchema>;

export const agentPolicySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    enabled: z.boolean(),
    scope: alertScopeSchema,
    metricsIntervalSeconds: z.number().int(),
    watchServices: z.array(z.string()),
    watchProcesses: z.array(z.string()),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'AgentPolicy' });
export type AgentPolicy = z.infer<typeof agentPolicySchema>;

export const agentPolicyListQuerySchema = listQuerySchema.extend({
  enabled: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  scopeKind: commaList(ALERT_SCOPE_KINDS).optional(),
});
export type AgentPolicyListQuery = z.infer<typeof agentPolicyListQuerySchema>;

/** What an agent applies: the settings alone, and the version they hash to. */
export const agentSettingsSchema = z.object({
  metricsIntervalSeconds: z.number().int(),
  watchServices: z.array(z.string()),
  watchProcesses: z.array(z.string()),
});
export type AgentSettings = z.infer<typeof agentSettingsSchema>;

export const effectiveAgentPolicySchema = agentSettingsSchema
  .extend({
    version: z.string().meta({ description: 'hash of the settings; also the ETag of GET /agents/policy' }),
    policy: z
      .object({ id: z.uuid(), name: z.string(), scope: alertScopeSchema })
      .nullable()
      .meta({ description: 'the policy the settings come from; null: no enabled policy applies (defaults)' }),
  })
  .meta({ id: 'EffectiveAgentPolicy' });
export type EffectiveAgentPolicy = z.infer<typeof effectiveAgentPolicySchema>;
