import fs from 'node:fs';
import path from 'node:path';
import { renewCredentialsResponseSchema, type RenewCredentialsRequest } from '@vigie/core/agent';
import { writeFileAtomic } from './durable-file';
import { formatCreds, readState, STATE_FILES } from './state';
import { callServer, isSuccess, problemDetail, type ServerAnswer } from './http';
import { AGENT_VERSION } from './version';

/** What a renewal attempt ended with; `refused` means the server knows the machine is disabled or gone. */
export type RenewOutcome = { kind: 'renewed'; jwtExpiresAt: Date } | { kind: 'refused'; status: number; detail: string } | { kind: 'failed'; detail: string };

const SEED = /-----BEGIN USER NKEY SEED-----\s*(\S+)\s*------END USER NKEY SEED------/;

/** Renew when less than a third of the credentials' lifetime is left (8 h of 24 h). */
export function renewalDue(jwtExpiresAt: Date, lifetimeMs: number, now = Date.now()): boolean {
  return jwtExpiresAt.getTime() - now < lifetimeMs / 3;
}

/**
 * Asks the server for a new NATS user JWT with the machine token, then replaces the creds file and the
 * recorded expiry atomically. The nkey stays the same: its seed never leaves the machine.
 */
export async function renewCredentials(dataDir: string): Promise<RenewOutcome> {
  const { config, creds } = readState(dataDir);
  const seed = SEED.exec(new TextDecoder().decode(creds))?.[1];
  if (!seed) return { kind: 'failed', detail: `${STATE_FILES.creds} has no nkey seed` };
  const machineToken = fs.readFileSync(path.join(dataDir, STATE_FILES.machineToken), 'utf8').trim();
  const request: RenewCredentialsRequest = { machineToken, agentVersion: AGENT_VERSION };
  let res: ServerAnswer;
  try {
    res = await callServer(new URL('/api/v1/agents/renew', config.serverUrl), { method: 'POST', json: request });
  } catch (err) {
    return { kind: 'failed', detail: `cannot reach ${config.serverUrl}: ${(err as Error).message}` };
  }
  const text = res.text;
  if (res.status === 401 || res.status === 403) return { kind: 'refused', status: res.status, detail: problemDetail(text) };
  if (!isSuccess(res.status)) return { kind: 'failed', detail: `renewal answered ${res.status}: ${problemDetail(text)}` };
  const answer = renewCredentialsResponseSchema.parse(JSON.parse(text));
  writeFileAtomic(path.join(dataDir, STATE_FILES.creds), formatCreds(answer.userJwt, seed), 0o600);
  writeFileAtomic(path.join(dataDir, STATE_FILES.config), `${JSON.stringify({ ...config, jwtExpiresAt: answer.jwtExpiresAt }, null, 2)}\n`, 0o600);
  return { kind: 'renewed', jwtExpiresAt: new Date(answer.jwtExpiresAt) };
}
