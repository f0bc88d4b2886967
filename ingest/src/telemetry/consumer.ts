import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, type Db } from '@vigie/db';
import { ensureTelemetryStreamOnly, TELEMETRY_STREAM } from './stream';

/** One telemetry message as the store functions see it (no NATS types, so tests can hand them over directly). */
export interface TelemetryMessage {
  subject: string;
  data: Uint8Array;
  msgId?: string | undefined;
}

/**
 * What became of one message. `failed` means the database refused it for good (e.g. a sample outside every
 * partition): JetStream is told never to redeliver it. Every other outcome is acknowledged.
 */
export interface Stored<O extends string, S> {
  outcome: O | 'failed';
  /** What afterStore receives for this message; unset when there is nothing to evaluate. */
  stored?: S;
}

export interface TelemetryConsumerSpec<O extends string, S> {
  /** For logs: "heartbeats", "metrics"… */
  kind: string;
  durable: string;
  filterSubject: string;
  outcomes: readonly O[];
  /** Outcomes logged as warnings (the message is acked and dropped). */
  dropped: readonly O[];
  /** Stores a batch, one result per message in order. Throws when the database is unavailable (the batch is redelivered). */
  storeBatch(db: Db, messages: TelemetryMessage[], log: Logger): Promise<Stored<O, S>[]>;
  /** Messages per batch at most. */
  batchSize: number;
  /**
   * Batches being stored at once. More than one only where the store does not depend on message order (the
   * statements must tolerate a concurrent batch: upserts with `greatest`, inserts `on conflict do nothing`).
   */
  concurrency: number;
  ackWaitSeconds: number;
}

export interface TelemetryConsumerOptions<S> {
  nc: NatsConnection;
  db: Db;
  log: Logger;
  /** Durable consumer name (tests use their own). */
  consumer?: string | undefined;
  /**
   * Only this tenant's telemetry. For tests that run several ingests side by side on one stream: only the
   * consumer that stores a message first evaluates it, so a test watching its alerts keeps its tenant's to itself.
   */
  tenantId?: string | undefined;
  batchSize?: number | undefined;
  concurrency?: number | undefined;
  /** Called after the ack with what storeBatch set aside for it: alert evaluation hooks in here, and never causes a redelivery. */
  afterStore?: ((stored: S[]) => Promise<unknown>) | undefined;
}

export interface TelemetryConsumer<O extends string> {
  /** Stops consuming; batches being stored finish first. */
  stop(): Promise<void>;
  readonly counts: Record<O | 'failed', number>;
  readonly stats: { batches: number; lastBatchSize: number; lastBatchMs: number };
}

/** How long a database outage holds a batch back before JetStream redelivers it. */
const NAK_DELAY_MS = 5000;

async function ensureConsumer(nc: NatsConnection, name: string, filterSubject: string, ackWaitSeconds: number, maxAckPending: number): Promise<void> {
  const jsm = await ensureTelemetryStreamOnly(nc);
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, name);
  } catch {
    await jsm.consumers
      .add(TELEMETRY_STREAM, {
        durable_name: name,
        filter_subject: filterSubject,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: ackWaitSeconds * 1e9,
        max_ack_pending: maxAckPending,
      })
      .catch(async (err: unknown) => {
        // Another replica created it in between.
        await jsm.consumers.info(TELEMETRY_STREAM, name).catch(() => Promise.reject(err));
      });
  }
}

/** Postgres aborted the transaction because of another one (deadlock, serialization): the batch can simply run again. */
const isTransient = (err: unknown) => ['40P01', '40001'].includes((err as { code?: string } | undefined)?.code ?? '');

/**
 * storeBatch, made safe for the consumer loop: a transient conflict runs the batch again; an error other than
 * the database being unavailable stores the messages one by one, and a message that still fails is `failed`
 * (terminated, logged) instead of coming back for ever. Throws only when the database is unavailable.
 */
export async function storeResilient<O extends string, S>(spec: TelemetryConsumerSpec<O, S>, db: Db, messages: TelemetryMessage[], log: Logger): Promise<Stored<O, S>[]> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spec.storeBatch(db, messages, log);
    } catch (err) {
      if (isDatabaseUnavailable(err)) throw err;
      if (isTransient(err) && attempt < 3) continue;
      if (messages.length === 1) {
        log.error({ err, subject: messages[0]!.subject }, `${spec.kind} message refused; dropped`);
        return [{ outcome: 'failed' }];
      }
      const results: Stored<O, S>[] = [];
      for (const m of messages) results.push(...(await storeResilient(spec, db, [m], log)));
      return results;
    }
  }
}

/**
 * One durable pull consumer of the telemetry stream, stored in batches: the messages already delivered are
 * gathered into one batch (up to batchSize) as soon as the consumer has nothing more at hand, so a lone
 * message is stored at once and a backlog in large batches; up to `concurrency` batches are stored at a time.
 * Acked after the store; a database outage naks the batch (JetStream redelivers it); a message refused for
 * good is terminated. Replicas share the durable consumer.
 */
export async function startTelemetryConsumer<O extends string, S>(spec: TelemetryConsumerSpec<O, S>, opts: TelemetryConsumerOptions<S>): Promise<TelemetryConsumer<O>> {
  const name = opts.consumer ?? spec.durable;
  const batchSize = Math.max(1, opts.batchSize ?? spec.batchSize);
  const concurrency = Math.max(1, opts.concurrency ?? spec.concurrency);
  // Enough delivered-but-unacked messages to keep every batch slot and the next batch busy.
  const window = batchSize * (concurrency + 1);
  const filterSubject = opts.tenantId ? spec.filterSubject.replace(/^vigie\.\*\./, `vigie.${opts.tenantId}.`) : spec.filterSubject;
  await ensureConsumer(opts.nc, name, filterSubject, spec.ackWaitSeconds, Math.max(1000, window * 2));
  const consumer = await opts.nc.jetstream().consumers.get(TELEMETRY_STREAM, name);
  const messages = await consumer.consume({ max_messages: window });
  const counts = Object.fromEntries([...spec.outcomes, 'failed'].map((o) => [o, 0])) as Record<O | 'failed', number>;
  const stats = { batches: 0, lastBatchSize: 0, lastBatchMs: 0 };

  // Alert evaluation keeps per-machine state: batches are handed to afterStore one at a time, in the order they
  // were taken from the stream (not the order their transactions ended).
  let afterStoreTurn: Promise<void> = Promise.resolve();
  const store = async (batch: JsMsg[]) => {
    const previousTurn = afterStoreTurn;
    let endTurn!: () => void;
    afterStoreTurn = new Promise<void>((resolve) => (endTurn = resolve));
    try {
      const stored = await storeAndAck(batch);
      await previousTurn;
      if (opts.afterStore && stored.length) await opts.afterStore(stored).catch((err: unknown) => opts.log.error({ err }, `${spec.kind} after-store hook failed`));
    } finally {
      endTurn();
    }
  };

  /** Stores a batch, then acks (or naks it when the database is down); returns what afterStore should see. */
  const storeAndAck = async (batch: JsMsg[]): Promise<S[]> => {
    const t0 = performance.now();
    let results: Stored<O, S>[];
    try {
      results = await storeResilient(
        spec,
        opts.db,
        batch.map((m) => ({ subject: m.subject, data: m.data, msgId: m.headers?.get('Nats-Msg-Id') || undefined })),
        opts.log,
      );
    } catch (err) {
      opts.log.warn({ err, messages: batch.length }, `database unavailable; ${spec.kind} will be redelivered`);
      for (const m of batch) m.nak(NAK_DELAY_MS);
      return [];
    }
    const stored: S[] = [];
    batch.forEach((m, i) => {
      const r = results[i]!;
      counts[r.outcome] += 1;
      if (r.outcome === 'failed') m.term();
      else m.ack();
      if ((spec.dropped as readonly string[]).includes(r.outcome)) opts.log.warn({ subject: m.subject, outcome: r.outcome }, `${spec.kind} dropped`);
      if (r.stored !== undefined) stored.push(r.stored);
    });
    stats.batches += 1;
    stats.lastBatchSize = batch.length;
    stats.lastBatchMs = performance.now() - t0;
    return stored;
  };

  const inflight = new Set<Promise<void>>();
  let batch: JsMsg[] = [];
  let flushQueued = false;
  const flush = () => {
    flushQueued = false;
    if (!batch.length) return;
    const taken = batch;
    batch = [];
    const p: Promise<void> = store(taken).finally(() => {
      inflight.delete(p);
      // A batch left waiting for a free slot goes now.
      if (batch.length && !flushQueued && inflight.size < concurrency) flush();
    });
    inflight.add(p);
  };
  // Called once the messages at hand are read: whatever was gathered goes, if a slot is free.
  const flushWhenIdle = () => {
    if (inflight.size < concurrency) flush();
    else flushQueued = false;
  };

  const done = (async () => {
    for await (const m of messages) {
      batch.push(m);
      if (batch.length >= batchSize) {
        while (inflight.size >= concurrency) await Promise.race(inflight);
        flush();
      } else if (!flushQueued) {
        flushQueued = true;
        setImmediate(flushWhenIdle);
      }
    }
    flush();
    await Promise.all(inflight);
  })();
  opts.log.info({ stream: TELEMETRY_STREAM, consumer: name, batchSize, concurrency }, `ingest consuming ${spec.kind}`);
  return {
    counts,
    stats,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
