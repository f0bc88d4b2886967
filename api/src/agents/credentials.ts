import fs from 'node:fs';
import { encodeUser, fromSeed } from '@nats-io/jwt';
import { agentSubjects, AppError, commandDelivery } from '@vigie/core';

/** The part of the NATS keys file (see scripts/src/stack/nats.ts) the API needs to sign agents' user JWTs. */
interface KeysFile {
  vigieAccountSeed: string;
  vigieSigningSeed: string;
}

export interface AgentCredentialSigner {
  /** Signs a user JWT for the agent's own public nkey, limited to that machine's subjects. */
  sign(input: { tenantId: string; machineId: string; nkeyPublic: string; expiresAt: Date }): Promise<string>;
}

const enc = new TextEncoder();

/** Reads the keys file once; null when NATS_KEYS_FILE is unset (enrollment then answers 503). */
export function loadAgentSigner(keysFile: string | undefined): AgentCredentialSigner | null {
  if (!keysFile) return null;
  const keys = JSON.parse(fs.readFileSync(keysFile, 'utf8')) as KeysFile;
  const account = fromSeed(enc.encode(keys.vigieAccountSeed)).getPublicKey();
  const signing = fromSeed(enc.encode(keys.vigieSigningSeed));
  return {
    async sign({ tenantId, machineId, nkeyPublic, expiresAt }) {
      const s = agentSubjects(tenantId, machineId);
      return encodeUser(
        `agent:${tenantId}:${machineId}`,
        nkeyPublic,
        account,
        {
          // Publish only its own telemetry (JetStream acks come back on its inbox, no $JS.API needed) and the
          // acks of its own command consumer (delivered under its inbox prefix); receive only its own commands
          // and replies; answer requests (commands) once.
          pub: { allow: [`${s.telemetry}.>`, commandDelivery(tenantId, machineId).ackSubjects] },
          sub: { allow: [`${s.commands}.>`, `${s.inboxPrefix}.>`] },
          resp: { max: 1, ttl: 0 },
        },
        { signer: signing, exp: Math.floor(expiresAt.getTime() / 1000) },
      );
    },
  };
}

function requireSigner(signer: AgentCredentialSigner | null): AgentCredentialSigner {
  if (!signer) throw new AppError('unavailable', 'agent enrollment is not configured on this server (NATS_KEYS_FILE)');
  return signer;
}

/** The signer, its keys read at first use; without NATS_KEYS_FILE, enrollment and renewal answer 503. */
export function lazyAgentSigner(keysFile: string | undefined): () => AgentCredentialSigner {
  let signer: AgentCredentialSigner | null | undefined;
  return () => requireSigner((signer ??= loadAgentSigner(keysFile)));
}

/** An agent's secret (enrollment or machine token) refused: 401 with the reason, so the agent can say what to do. */
export function agentRefused(reason: 'unknown' | 'expired' | 'revoked' | 'disabled', detail: string): AppError {
  return new AppError('unauthenticated', detail, undefined, { reason });
}
