/**
 * The VIGIE NATS account, as claims both the stack set-up (scripts/src/stack/nats.ts) and the API's
 * revocation publisher sign: the two must agree, or a publish would silently change the account's limits.
 */

/** Agents' NATS user JWTs live this long; the agent renews them with its machine token before expiry. */
export const AGENT_JWT_TTL_MS = 24 * 3600 * 1000;

const UNLIMITED = -1;

export function vigieAccountClaims(signingKey: string, revocations: Record<string, number> = {}) {
  return {
    signing_keys: [signingKey],
    limits: {
      subs: UNLIMITED,
      data: UNLIMITED,
      payload: UNLIMITED,
      imports: UNLIMITED,
      exports: UNLIMITED,
      wildcards: true,
      conn: UNLIMITED,
      leaf: UNLIMITED,
      disk_storage: UNLIMITED,
      mem_storage: UNLIMITED,
      streams: UNLIMITED,
      consumer: UNLIMITED,
      max_ack_pending: UNLIMITED,
      mem_max_stream_bytes: UNLIMITED,
      disk_max_stream_bytes: UNLIMITED,
    },
    ...(Object.keys(revocations).length ? { revocations } : {}),
  };
}

/**
 * A revoked nkey must stay in the account's list only while a JWT issued before its revocation could still
 * be valid: beyond the JWT lifetime (plus an hour of clock margin) it can go, which keeps the account small.
 */
export function activeRevocations(rows: { nkeyPublic: string; revokedAt: Date }[], now = Date.now()): Record<string, number> {
  const horizon = now - AGENT_JWT_TTL_MS - 3600 * 1000;
  const out: Record<string, number> = {};
  for (const r of rows) {
    if (r.revokedAt.getTime() < horizon) continue;
    const at = Math.floor(r.revokedAt.getTime() / 1000);
    out[r.nkeyPublic] = Math.max(out[r.nkeyPublic] ?? 0, at);
  }
  return out;
}
