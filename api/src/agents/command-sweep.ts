import { machineCommandsRepo, withTenant } from '@vigie/db';
import type { AppDeps } from '../deps';
import { createCommandPublisher, type CommandPublisher } from './command-publisher';

/**
 * The API's housekeeping of commands, across tenants (through definer functions: the app role has no
 * BYPASSRLS): commands nobody took before their expiry become `expired`, and cancel notices that NATS did not
 * take at cancel time are published again. Every replica runs it; both steps are idempotent (rows being
 * expired elsewhere are skipped, a notice published twice is dropped by JetStream and by the agent).
 */

const SWEEP_EVERY_MS = 30_000;
/** An agent's `running` report sent just before the expiry gets this long to arrive before the row is closed. */
export const EXPIRY_GRACE_SECONDS = 60;

export interface SweepResult {
  expired: number;
  cancelsPublished: number;
}

type SweepDeps = Pick<AppDeps, 'db'>;

/** Publishes the notices one by one; the first failure (NATS away) ends this round, the next sweep goes on. */
async function publishPendingCancels(deps: SweepDeps, publisher: CommandPublisher): Promise<number> {
  const pending = await machineCommandsRepo.listUnpublishedCancels(deps.db);
  for (const target of pending) {
    await publisher.publishCancel(target);
    await withTenant(deps.db, target.tenantId, (tx) => machineCommandsRepo.markCancelPublished(tx, target.commandId));
  }
  return pending.length;
}

/** One sweep; exported so tests run it directly instead of waiting for the interval. */
export async function sweepCommands(deps: SweepDeps, publisher: CommandPublisher, graceSeconds = EXPIRY_GRACE_SECONDS): Promise<SweepResult> {
  const expired = await machineCommandsRepo.expireOverdueCommands(deps.db, graceSeconds);
  return { expired: expired.length, cancelsPublished: await publishPendingCancels(deps, publisher) };
}

/**
 * Sweeps every 30 s (never two at once in one process). The returned stop waits for a sweep under way, so
 * the database pool is not closed under it.
 */
export function startCommandSweeper(deps: AppDeps, everyMs = SWEEP_EVERY_MS): () => Promise<void> {
  const publisher = createCommandPublisher(deps.nats);
  let current: Promise<void> | null = null;
  const tick = () => {
    if (current) return;
    current = sweepCommands(deps, publisher)
      .then(
        (r) => {
          if (r.expired || r.cancelsPublished) deps.log.info(r, 'commands swept');
        },
        (err: unknown) => deps.log.warn({ err }, 'command sweep failed; will retry'),
      )
      .finally(() => (current = null));
  };
  const timer = setInterval(tick, everyMs);
  return async () => {
    clearInterval(timer);
    await current;
  };
}
