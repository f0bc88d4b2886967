import fs from 'node:fs';
import os from 'node:os';
import { nkeys } from 'nats';
import { enrollResponseSchema, type EnrollRequest } from '@vigie/core/agent';
import { formatCreds, isEnrolled, writeState, type AgentConfig } from './state';
import { callServer, isSuccess, problemDetail, type ServerAnswer } from './http';
import { AGENT_VERSION } from './version';

export interface EnrollOptions {
  /** The Vigie server, e.g. https://vigie.example.com (the API is under /api/v1). */
  url: string;
  token: string;
  dataDir: string;
  /** Replace an existing enrollment in dataDir. */
  force?: boolean;
}

/** `NAME="Debian GNU/Linux"`, `VERSION_ID="12"` from /etc/os-release, else what Node knows. */
function osInfo(): { name: string; version: string } {
  try {
    const text = fs.readFileSync('/etc/os-release', 'utf8');
    const field = (key: string) => new RegExp(`^${key}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
    const name = field('NAME');
    if (name) return { name, version: field('VERSION_ID') ?? os.release() };
  } catch {
    // not Linux, or no os-release
  }
  return { name: os.type(), version: os.release() };
}

export function inventorySummary(): Omit<EnrollRequest, 'token' | 'nkeyPublic'> {
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    os: osInfo(),
    hardware: { cpuModel: cpus[0]?.model.trim() ?? '', cpuCores: cpus.length, ramTotalBytes: os.totalmem() },
    agentVersion: AGENT_VERSION,
  };
}

export class EnrollError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'EnrollError';
  }
}

/**
 * Enrolls this machine: creates its own nkey (the seed never leaves the machine), sends only the public key
 * with the enrollment token and an inventory summary, and stores the answer (NATS credentials, machine token,
 * subjects) in the data directory, readable by the agent's user only.
 */
export async function enroll(opts: EnrollOptions): Promise<AgentConfig> {
  if (isEnrolled(opts.dataDir) && !opts.force) throw new EnrollError(`${opts.dataDir} is already enrolled (use --force to enroll again)`);
  const user = nkeys.createUser();
  const nkeyPublic = user.getPublicKey();
  const request: EnrollRequest = { token: opts.token, nkeyPublic, ...inventorySummary() };
  const endpoint = new URL('/api/v1/agents/enroll', opts.url);
  let res: ServerAnswer;
  try {
    res = await callServer(endpoint, { method: 'POST', json: request });
  } catch (err) {
    throw new EnrollError(`cannot reach ${endpoint.origin}: ${(err as Error).message}`);
  }
  const text = res.text;
  if (!isSuccess(res.status)) throw new EnrollError(`enrollment refused (${res.status}): ${problemDetail(text)}`, res.status);
  const answer = enrollResponseSchema.parse(JSON.parse(text));
  const config: AgentConfig = {
    version: 1,
    serverUrl: opts.url,
    natsUrl: answer.natsUrl,
    tenantId: answer.tenantId,
    machineId: answer.machineId,
    nkeyPublic,
    jwtExpiresAt: answer.jwtExpiresAt,
    subjects: answer.subjects,
    enrolledAt: new Date().toISOString(),
  };
  writeState(opts.dataDir, config, formatCreds(answer.userJwt, new TextDecoder().decode(user.getSeed())), answer.machineToken);
  return config;
}
