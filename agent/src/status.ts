import fs from 'node:fs';
import path from 'node:path';
import { readStoredPolicy } from './policy';
import { isEnrolled, readState, STATE_FILES } from './state';
import { AGENT_VERSION } from './version';

export interface AgentStatus {
  agentVersion: string;
  enrolled: boolean;
  dataDir: string;
  machineId?: string;
  tenantId?: string;
  serverUrl?: string;
  natsUrl?: string;
  enrolledAt?: string;
  credentialsExpireAt?: string;
  credentialsExpired?: boolean;
  /** Telemetry waiting on disk for NATS (bytes of the outbox files). */
  outboxBytes?: number;
  /** The last policy received from the server; absent before the first one (the command line applies). */
  policy?: { name: string | null; metricsSeconds: number; watchServices: string[]; watchProcesses: string[] };
}

/** What `vigie-agent status` prints: read from the data directory only, so it works while the agent runs. */
export function agentStatus(dataDir: string, now = Date.now()): AgentStatus {
  const base = { agentVersion: AGENT_VERSION, dataDir: path.resolve(dataDir) };
  if (!isEnrolled(dataDir)) return { ...base, enrolled: false };
  const { config } = readState(dataDir);
  return {
    ...base,
    enrolled: true,
    machineId: config.machineId,
    tenantId: config.tenantId,
    serverUrl: config.serverUrl,
    natsUrl: config.natsUrl,
    enrolledAt: config.enrolledAt,
    credentialsExpireAt: config.jwtExpiresAt,
    credentialsExpired: Date.parse(config.jwtExpiresAt) <= now,
    outboxBytes: directoryBytes(path.join(dataDir, STATE_FILES.outbox)),
    ...policyStatus(dataDir),
  };
}

function policyStatus(dataDir: string): Pick<AgentStatus, 'policy'> {
  const policy = readStoredPolicy(dataDir, () => {});
  if (!policy) return {};
  return { policy: { name: policy.policy?.name ?? null, metricsSeconds: policy.metricsIntervalSeconds, watchServices: policy.watchServices, watchProcesses: policy.watchProcesses } };
}

function directoryBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() ? fs.statSync(path.join(dir, entry.name)).size : 0), 0);
}
