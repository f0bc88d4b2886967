import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { FLEET_EVENTS, fleetStreamQuerySchema, STAFF_ROLES, type FleetMachine } from '@vigie/core';
import { machinesRepo, withTenant, type Db } from '@vigie/db';
import type { AppDeps } from '../deps';
import { route, type AnyRoute } from '../http/route';

/** How often a tenant's machines are checked while someone watches them. */
const POLL_MS = 3_000;
/** A comment line now and then keeps proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 20_000;
/** Streams end after this long; the browser reconnects with a fresh token, so a revoked session stops too. */
const MAX_AGE_MS = 10 * 60_000;
/** What EventSource-like clients wait before reconnecting (`retry:`). */
const RETRY_MS = 3_000;

type Listener = (machine: FleetMachine) => void;

interface TenantWatch {
  listeners: Set<Listener>;
  /** Database time of the last read: the next one starts there (minus the overlap margin). */
  since: Date | null;
  /** What was last sent per machine: the overlapping windows find the same rows again. */
  sent: Map<string, string>;
  /** The tenant's offline delay at the last read. */
  offlineAfterMs: number | null;
  timer: NodeJS.Timeout | null;
}

/** From the beginning: every machine. */
const EVERYTHING = new Date(0);

/** What the fleet views show of a machine: a change of any of it is worth an event. */
const fingerprint = (m: FleetMachine) => JSON.stringify([m.online, m.lastSeenAt, m.latestMetrics?.at, m.disabledAt, m.hostname, m.agentVersion, m.osName]);

/**
 * One poller per tenant watched in this process, however many browsers watch it: every few seconds it reads
 * the machines seen, enrolled or gone offline since its last read and hands the changed ones to its
 * listeners. It stops when the last listener leaves. Postgres stays the source (no NATS here): every API
 * replica polls for its own watchers.
 */
export class FleetWatcher {
  private readonly tenants = new Map<string, TenantWatch>();

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly pollMs = POLL_MS,
  ) {}

  subscribe(tenantId: string, listener: Listener): () => void {
    let watch = this.tenants.get(tenantId);
    if (!watch) {
      watch = { listeners: new Set(), since: null, sent: new Map(), offlineAfterMs: null, timer: null };
      this.tenants.set(tenantId, watch);
      this.schedule(tenantId, watch, 0);
    }
    watch.listeners.add(listener);
    const current = watch;
    return () => {
      current.listeners.delete(listener);
      if (current.listeners.size > 0) return;
      if (current.timer) clearTimeout(current.timer);
      current.timer = null;
      if (this.tenants.get(tenantId) === current) this.tenants.delete(tenantId);
    };
  }

  private schedule(tenantId: string, watch: TenantWatch, delay: number): void {
    watch.timer = setTimeout(() => void this.poll(tenantId, watch), delay);
    watch.timer.unref();
  }

  private async poll(tenantId: string, watch: TenantWatch): Promise<void> {
    try {
      const { at, offlineAfterMs, machines } = await withTenant(this.db, tenantId, async (tx) => {
        const changes = await machinesRepo.listMachineChanges(tx, watch.since);
        if (watch.offlineAfterMs === null || changes.offlineAfterMs === watch.offlineAfterMs) return changes;
        // The tenant changed its offline delay: any machine may have crossed it, not only those of the window.
        return machinesRepo.listMachineChanges(tx, EVERYTHING);
      });
      watch.since = at;
      watch.offlineAfterMs = offlineAfterMs;
      for (const machine of machines) {
        const print = fingerprint(machine);
        if (watch.sent.get(machine.id) === print) continue;
        watch.sent.set(machine.id, print);
        for (const listener of watch.listeners) listener(machine);
      }
    } catch (err) {
      this.log.warn({ err, tenantId }, 'fleet stream: reading the machines failed; retrying');
    } finally {
      if (this.tenants.get(tenantId) === watch && watch.listeners.size > 0) this.schedule(tenantId, watch, this.pollMs);
    }
  }
}

const sseEvent = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** Holds the response open as an event stream until the client leaves or the stream's time is up. */
function streamFleet(req: Request, watcher: FleetWatcher, tenantId: string, machineId: string | undefined): Promise<void> {
  const res = req.res as Response;
  return new Promise((resolve) => {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx and the like would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const write = (chunk: string) => {
      if (!res.writableEnded && !res.destroyed) res.write(chunk);
    };
    write(`retry: ${RETRY_MS}\n\n`);
    const unsubscribe = watcher.subscribe(tenantId, (machine) => {
      if (!machineId || machine.id === machineId) write(sseEvent(FLEET_EVENTS.machine, machine));
    });
    // After subscribing: a list read once `ready` arrived misses nothing.
    write(sseEvent(FLEET_EVENTS.ready, { at: new Date().toISOString() }));
    const keepAlive = setInterval(() => write(': keep-alive\n\n'), KEEP_ALIVE_MS);
    const maxAge = setTimeout(finish, MAX_AGE_MS);
    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      clearInterval(keepAlive);
      clearTimeout(maxAge);
      unsubscribe();
      if (!res.writableEnded) res.end();
      resolve();
    }
    res.on('close', finish);
  });
}

/**
 * `GET /machines/stream`: the fleet live, as server-sent events. Registered before `/machines/:id` so that
 * `stream` is never read as a machine id. Browsers read it with fetch (EventSource cannot send the bearer token).
 */
export function fleetStreamRoutes(deps: AppDeps): AnyRoute[] {
  const watcher = new FleetWatcher(deps.db, deps.log);
  return [
    route({
      method: 'get',
      path: '/machines/stream',
      tag: 'rmm',
      summary:
        'The fleet live (server-sent events): `ready` once subscribed, then `machine` (a FleetMachine) whenever a machine’s online state, last contact or latest sample changes; checked every few seconds. Ends after 10 minutes: reconnect.',
      auth: STAFF_ROLES,
      query: fleetStreamQuerySchema,
      produces: 'text/event-stream',
      handler: ({ req, actor, query }) => streamFleet(req, watcher, actor.tenantId, query.machineId),
    }),
  ];
}
