import { AGENT_POLICY_METRICS_SECONDS, MAX_WATCHED_NAMES, watchedNameSchema, type AgentPolicy, type CreateAgentPolicyBody } from '@vigie/core';
import { scopeFields, scopeOf, type ScopeDraft } from './alert-rule-form';

/** What the policy editor edits: the body's fields, the scope split for RuleScopeFields. */
export interface PolicyDraft extends ScopeDraft {
  name: string;
  enabled: boolean;
  metricsIntervalSeconds: number;
  watchServices: string[];
  watchProcesses: string[];
}

export function draftFromPolicy(policy: AgentPolicy | null): PolicyDraft {
  const blank: PolicyDraft = {
    name: '',
    enabled: true,
    metricsIntervalSeconds: AGENT_POLICY_METRICS_SECONDS.default,
    watchServices: [],
    watchProcesses: [],
    scopeKind: 'all',
    scopeId: null,
    siteClientId: null,
    scopeTag: '',
  };
  if (!policy) return blank;
  return {
    ...blank,
    name: policy.name,
    enabled: policy.enabled,
    metricsIntervalSeconds: policy.metricsIntervalSeconds,
    watchServices: [...policy.watchServices],
    watchProcesses: [...policy.watchProcesses],
    ...scopeFields(policy.scope),
  };
}

/** The body of `POST /agent-policies` (checked by its schema before it is sent); a PATCH sends the same fields. */
export function preparePolicy(d: PolicyDraft): CreateAgentPolicyBody {
  return {
    name: d.name,
    enabled: d.enabled,
    scope: scopeOf(d) as CreateAgentPolicyBody['scope'],
    metricsIntervalSeconds: d.metricsIntervalSeconds,
    watchServices: d.watchServices,
    watchProcesses: d.watchProcesses,
  };
}

/** The periods offered: every minute from 1 to 5, and a policy's own value when it is another (set through the API). */
export function intervalOptions(current: number): number[] {
  const minutes = [60, 120, 180, 240, 300];
  return minutes.includes(current) || current < AGENT_POLICY_METRICS_SECONDS.min || current > AGENT_POLICY_METRICS_SECONDS.max ? minutes : [...minutes, current].sort((a, b) => a - b);
}

/**
 * The list after someone typed `typed` in a chips field: added if it is a valid name not there yet. Returns the
 * reason it was not added, for the field's message.
 */
export function addName(list: readonly string[], typed: string): { list: string[]; problem: 'invalid' | 'tooMany' | null } {
  const parsed = watchedNameSchema.safeParse(typed);
  if (!parsed.success) return { list: [...list], problem: 'invalid' };
  if (list.includes(parsed.data)) return { list: [...list], problem: null };
  if (list.length >= MAX_WATCHED_NAMES) return { list: [...list], problem: 'tooMany' };
  return { list: [...list, parsed.data], problem: null };
}

/** Errors of one name (`watchServices.3`) show on its whole chips field. */
export const POLICY_ALIASES: Record<string, string> = Object.fromEntries(
  ['watchServices', 'watchProcesses'].flatMap((field) => Array.from({ length: MAX_WATCHED_NAMES }, (_, i) => [`${field}.${i}`, field])),
);
Object.assign(POLICY_ALIASES, { 'scope.id': 'scopeId', 'scope.tag': 'scopeTag' });

type Translate = (key: string, params?: Record<string, unknown>) => string;

/** "Toutes les 5 minutes", "Chaque minute", "Toutes les 90 secondes". */
export function intervalText(seconds: number, t: Translate): string {
  if (seconds === 60) return t('policies.everyMinute');
  return seconds % 60 === 0 ? t('policies.everyMinutes', { n: seconds / 60 }) : t('policies.everySeconds', { n: seconds });
}
