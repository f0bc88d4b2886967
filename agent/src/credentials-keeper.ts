import { AGENT_JWT_TTL_MS } from '@vigie/core/agent';
import { renewalDue, renewCredentials, type RenewOutcome } from './renew';
import { readState } from './state';

export interface CredentialsKeeperOptions {
  dataDir: string;
  /** How often the expiry is checked. Default 10 min. */
  checkEveryMs?: number;
  /** Pause between two renewals forced by NATS refusing us (revoked, expired). Default 30 s. */
  retryAfterRefusalMs?: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}

export interface CredentialsKeeper {
  /** NATS refused our credentials (expired or revoked): try a renewal now, at most once per retry period. */
  onAuthRefused(): void;
  stop(): void;
}

/**
 * Keeps the agent's NATS credentials fresh: renews them when a third of their life is left, and at once when
 * NATS refuses them (a machine enabled again after being disabled gets in this way). The NATS client reads
 * the creds file on every (re)connect, so a renewal takes effect at the next connection.
 */
export function keepCredentials(opts: CredentialsKeeperOptions): CredentialsKeeper {
  const checkEveryMs = opts.checkEveryMs ?? 10 * 60 * 1000;
  const retryAfterRefusalMs = opts.retryAfterRefusalMs ?? 30_000;
  let running: Promise<void> | undefined;
  let lastForcedAt = 0;
  let stopped = false;

  const report = (outcome: RenewOutcome) => {
    if (outcome.kind === 'renewed') opts.log('NATS credentials renewed', { jwtExpiresAt: outcome.jwtExpiresAt.toISOString() });
    else if (outcome.kind === 'refused') opts.log('credential renewal refused by the server', { status: outcome.status, detail: outcome.detail });
    else opts.log('credential renewal failed; will retry', { detail: outcome.detail });
  };
  const renew = () => {
    running ??= renewCredentials(opts.dataDir)
      .then(report, (err: unknown) => opts.log('credential renewal failed; will retry', { detail: (err as Error).message }))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const check = () => {
    if (stopped) return;
    const expiresAt = new Date(readState(opts.dataDir).config.jwtExpiresAt);
    if (renewalDue(expiresAt, AGENT_JWT_TTL_MS)) void renew();
  };
  check();
  const timer = setInterval(check, checkEveryMs);
  return {
    onAuthRefused() {
      if (stopped || Date.now() - lastForcedAt < retryAfterRefusalMs) return;
      lastForcedAt = Date.now();
      void renew();
    },
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** NATS status data that means our credentials were refused rather than the network failing. */
export function isAuthRefusal(data: unknown): boolean {
  return /authorization[ _]violation|authentication[ _](expired|revoked)/i.test(String(data));
}
