import type { AlertScope, AlertScopeKind } from '../schemas/alerts';
import { AGENT_POLICY_METRICS_SECONDS, type AgentPolicy, type AgentSettings, type EffectiveAgentPolicy } from '../schemas/agent-policies';
import { ruleApplies, type MachineScope } from './alert-rules';

/**
 * Which agent policy a machine follows, without I/O: the most specific enabled policy that applies to it wins,
 * so a policy for one server overrides its site's, which overrides its client's, then a tag's, then the
 * tenant-wide one. Among equals the most recently changed wins (the one an admin just wrote is the one meant).
 */

/** Higher is more specific. */
export const SCOPE_SPECIFICITY: Record<AlertScopeKind, number> = { machine: 4, site: 3, client: 2, tag: 1, all: 0 };

/** What resolution reads of a policy. */
export type PolicyCandidate = Pick<AgentPolicy, 'id' | 'enabled' | 'scope' | 'updatedAt'>;

/** Positive when `a` wins over `b`; the id breaks exact ties so the result never depends on the input order. */
function precedence(a: PolicyCandidate, b: PolicyCandidate): number {
  return SCOPE_SPECIFICITY[a.scope.kind] - SCOPE_SPECIFICITY[b.scope.kind] || Date.parse(a.updatedAt) - Date.parse(b.updatedAt) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The policy the machine follows, or null when no enabled policy applies to it. */
export function resolveAgentPolicy<P extends PolicyCandidate>(policies: readonly P[], machine: MachineScope): P | null {
  let winner: P | null = null;
  for (const p of policies) {
    if (!p.enabled || !ruleApplies(p, machine)) continue;
    if (!winner || precedence(p, winner) > 0) winner = p;
  }
  return winner;
}

/** What a machine without policy does: the agent's own defaults. */
export const DEFAULT_AGENT_SETTINGS: AgentSettings = { metricsIntervalSeconds: AGENT_POLICY_METRICS_SECONDS.default, watchServices: [], watchProcesses: [] };

/** FNV-1a, 64 bits, over UTF-16 code units: pure JS (core runs in the browser too), stable across processes. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}

/**
 * The version of what an agent is told: equal settings, equal version, whichever policy they come from (the agent
 * has nothing to change then); names are sorted first, so their order does not matter either. Whether a policy
 * applies at all is part of it: an agent without any keeps its own command-line settings, so the first policy
 * must look new to it even when its settings equal the defaults.
 */
export function agentSettingsVersion(settings: AgentSettings, fromPolicy: boolean): string {
  const canonical = JSON.stringify([fromPolicy, settings.metricsIntervalSeconds, [...settings.watchServices].sort(), [...settings.watchProcesses].sort()]);
  return `v1-${fnv1a64(canonical)}`;
}

/** The settings of the winning policy (or the defaults), with their version and where they come from. */
export function effectiveAgentPolicy(policy: (PolicyCandidate & AgentSettings & { name: string; scope: AlertScope }) | null): EffectiveAgentPolicy {
  const settings: AgentSettings = policy
    ? { metricsIntervalSeconds: policy.metricsIntervalSeconds, watchServices: [...policy.watchServices], watchProcesses: [...policy.watchProcesses] }
    : { ...DEFAULT_AGENT_SETTINGS };
  return { ...settings, version: agentSettingsVersion(settings, policy !== null), policy: policy ? { id: policy.id, name: policy.name, scope: policy.scope } : null };
}
