import fs from 'node:fs';
import { createUser, encodeAccount, encodeUser, fromSeed } from '@nats-io/jwt';
import { connect, jwtAuthenticator } from 'nats';
import { activeRevocations, AGENT_JWT_TTL_MS, vigieAccountClaims } from '@vigie/core';
import { machineCredentialsRepo, type Db } from '@vigie/db';

/** The part of the NATS keys file (scripts/src/stack/nats.ts) that re-signing the account needs. */
interface KeysFile {
  operatorSeed: string;
  systemAccountSeed: string;
  vigieAccountSeed: string;
  vigieSigningSeed: string;
}

export interface AccountPublisher {
  /**
   * Re-signs the VIGIE account with every revocation still relevant and pushes it to the NATS server, which
   * closes the revoked agents' live connections at once and refuses their JWTs from then on.
   */
  publish(): Promise<{ revoked: number }>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();
const CLAIMS_UPDATE = '$SYS.REQ.CLAIMS.UPDATE';

export class AccountPublishError extends Error {}

export function createAccountPublisher(opts: { keysFile: string; natsUrl: string; db: Db }): AccountPublisher {
  const keys = JSON.parse(fs.readFileSync(opts.keysFile, 'utf8')) as KeysFile;
  const operator = fromSeed(enc.encode(keys.operatorSeed));
  const system = fromSeed(enc.encode(keys.systemAccountSeed));
  const account = fromSeed(enc.encode(keys.vigieAccountSeed));
  const signingKey = fromSeed(enc.encode(keys.vigieSigningSeed)).getPublicKey();
  // Publishes run one at a time: the server keeps only a newer JWT, so two from one process must not cross.
  let queue: Promise<unknown> = Promise.resolve();
  let lastIssuedAt = 0;

  const publishOnce = async () => {
    const since = new Date(Date.now() - AGENT_JWT_TTL_MS - 2 * 3600 * 1000);
    const revocations = activeRevocations(await machineCredentialsRepo.listRevocationsSince(opts.db, since));
    // The server accepts an account JWT only if it was issued after the one it has (whole seconds).
    const wait = lastIssuedAt * 1000 + 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    lastIssuedAt = Math.floor(Date.now() / 1000);
    const jwt = await encodeAccount('VIGIE', account, vigieAccountClaims(signingKey, revocations), { signer: operator });
    await pushClaims(jwt);
    return { revoked: Object.keys(revocations).length };
  };

  /** Pushes through a short-lived user of the system account, the only one allowed to update claims. */
  const pushClaims = async (accountJwt: string) => {
    const user = createUser();
    const userJwt = await encodeUser('vigie-api-claims', user, system, {}, { exp: Math.floor(Date.now() / 1000) + 120 });
    const nc = await connect({ servers: opts.natsUrl, name: 'vigie-api-claims', authenticator: jwtAuthenticator(userJwt, user.getSeed()), maxReconnectAttempts: 0, timeout: 5000 });
    try {
      const reply = await nc.request(CLAIMS_UPDATE, enc.encode(accountJwt), { timeout: 5000 });
      const answer = JSON.parse(dec.decode(reply.data)) as { data?: { code?: number; message?: string }; error?: { code?: number; description?: string } };
      if (answer.error || answer.data?.code !== 200) throw new AccountPublishError(`NATS refused the account update: ${answer.error?.description ?? answer.data?.message ?? 'no answer'}`);
    } finally {
      await nc.close();
    }
  };

  return {
    publish() {
      const next = queue.then(publishOnce, publishOnce);
      queue = next.catch(() => {});
      return next;
    },
  };
}
