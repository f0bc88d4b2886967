import type { Router } from 'express';
import type { AppDeps } from '../deps';

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}

type Check = { ok: true } | { ok: false; error: string };

async function check(run: () => Promise<unknown>): Promise<Check> {
  try {
    await withTimeout(run(), 2000);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** `/healthz`: the process is up. `/readyz`: its dependencies answer (503 otherwise, for load balancers). */
export function mountHealth(router: Router, deps: AppDeps): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [postgres, nats, temporal, storage] = await Promise.all([
      check(() => deps.db.raw('select 1')),
      check(async () => {
        const nc = deps.nats();
        if (!nc || nc.isClosed()) throw new Error('not connected');
        await nc.rtt();
      }),
      check(() => deps.temporal.workflowService.getSystemInfo({})),
      // Local disk has nothing to ask; an S3 bucket answers a HEAD.
      check(async () => deps.storage.check?.()),
    ]);
    const ready = postgres.ok && nats.ok && temporal.ok && storage.ok;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { postgres, nats, temporal, storage } });
  });
}
