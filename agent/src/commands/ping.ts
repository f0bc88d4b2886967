import os from 'node:os';
import { AGENT_VERSION } from '../version';

/** `ping`: proves the agent answers, and tells which version and what clock it has (skew shows up here). */
export interface PingResult {
  agentVersion: string;
  /** The agent's clock, UTC ISO 8601. */
  time: string;
  hostname: string;
  /** Seconds since the agent process started. */
  agentUptimeSeconds: number;
}

export function ping(now: () => Date = () => new Date()): PingResult {
  return {
    agentVersion: AGENT_VERSION,
    time: now().toISOString(),
    hostname: os.hostname(),
    agentUptimeSeconds: Math.floor(process.uptime()),
  };
}
