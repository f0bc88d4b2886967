import fs from 'node:fs';
import path from 'node:path';
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
  };
}

function directoryBytes(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isFile() ? fs.statSync(path.join(dir, entry.name)).size : 0), 0);
}
