/**
 * What the RMM agent needs from core, and only that. The agent is bundled into one file and runs on every
 * managed machine: loading all of core (every domain's schemas, luxon) would cost it memory for nothing.
 */
export * from './schemas/agents';
export * from './schemas/agent-credentials';
export * from './schemas/agent-policies';
export * from './schemas/commands';
export * from './schemas/machine-state';
export { effectiveAgentPolicy } from './rmm/agent-policies';
export { AGENT_JWT_TTL_MS } from './rmm/nats-account';
