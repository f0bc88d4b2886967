import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './durable-file';

/** What enrollment leaves in the data directory (all files 0600, the directory 0700). */
export const STATE_FILES = {
  config: 'agent.json',
  creds: 'agent.creds',
  machineToken: 'machine-token',
  sequence: 'sequence.json',
  outbox: 'outbox',
} as const;

const agentConfigSchema = z.object({
  version: z.literal(1),
  serverUrl: z.string(),
  natsUrl: z.string(),
  tenantId: z.uuid(),
  machineId: z.uuid(),
  nkeyPublic: z.string(),
  jwtExpiresAt: z.string(),
  subjects: z.object({ telemetry: z.string(), commands: z.string(), inboxPrefix: z.string() }),
  enrolledAt: z.string(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

/** The standard NATS `.creds` layout (JWT, then the nkey seed), read by `credsAuthenticator`. */
export function formatCreds(jwt: string, seed: string): string {
  return `-----BEGIN NATS USER JWT-----
${jwt}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${seed}
------END USER NKEY SEED------

*************************************************************
`;
}

export function writeState(dataDir: string, config: AgentConfig, creds: string, machineToken: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(dataDir, 0o700);
  writeFileAtomic(path.join(dataDir, STATE_FILES.creds), creds, 0o600);
  writeFileAtomic(path.join(dataDir, STATE_FILES.machineToken), `${machineToken}\n`, 0o600);
  // Last: its presence means "enrolled".
  writeFileAtomic(path.join(dataDir, STATE_FILES.config), `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

export function isEnrolled(dataDir: string): boolean {
  return fs.existsSync(path.join(dataDir, STATE_FILES.config));
}

export function readState(dataDir: string): { config: AgentConfig; creds: Uint8Array } {
  const file = path.join(dataDir, STATE_FILES.config);
  if (!fs.existsSync(file)) throw new Error(`${dataDir} is not enrolled (no ${STATE_FILES.config}); run "vigie-agent enroll" first`);
  const config = agentConfigSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  return { config, creds: fs.readFileSync(path.join(dataDir, STATE_FILES.creds)) };
}
