import fs from 'node:fs';
import { AckPolicy, RetentionPolicy, connect, credsAuthenticator, type NatsConnection } from 'nats';
import pino from 'pino';
import { loadConfig } from '@vigie/core';

const config = loadConfig(process.env);
const log = pino({ level: config.LOG_LEVEL, base: { process: 'ingest' } });

export const TELEMETRY_STREAM = 'TELEMETRY';
export const TELEMETRY_SUBJECTS = 'vigie.*.tlm.>';
const CONSUMER = 'ingest';

/** Creates the telemetry stream and the shared durable pull consumer if they do not exist. */
async function ensureStream(nc: NatsConnection): Promise<void> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(TELEMETRY_STREAM);
  } catch {
    await jsm.streams.add({
      name: TELEMETRY_STREAM,
      subjects: [TELEMETRY_SUBJECTS],
      retention: RetentionPolicy.Limits,
      max_age: 7 * 24 * 3600 * 1e9,
      duplicate_window: 10 * 60 * 1e9,
    });
  }
  try {
    await jsm.consumers.info(TELEMETRY_STREAM, CONSUMER);
  } catch {
    await jsm.consumers.add(TELEMETRY_STREAM, { durable_name: CONSUMER, ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
  }
}

/**
 * Telemetry consumer. For now it only acknowledges what agents send (the RMM issue stores it in
 * Postgres in batches and evaluates alerts); replicas share the durable consumer.
 */
async function main(): Promise<void> {
  const nc = await connect({
    servers: config.NATS_URL,
    name: 'vigie-ingest',
    maxReconnectAttempts: -1,
    ...(config.NATS_CREDS ? { authenticator: credsAuthenticator(fs.readFileSync(config.NATS_CREDS)) } : {}),
  });
  await ensureStream(nc);
  const consumer = await (await nc.jetstream()).consumers.get(TELEMETRY_STREAM, CONSUMER);
  const messages = await consumer.consume({ max_messages: 500 });
  log.info({ stream: TELEMETRY_STREAM }, 'ingest consuming');
  const stop = () => {
    void messages.close().then(() => nc.drain());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let seen = 0;
  for await (const msg of messages) {
    seen += 1;
    msg.ack();
  }
  await nc.closed();
  log.info({ seen }, 'ingest stopped');
}

main().catch((err) => {
  log.fatal({ err }, 'ingest failed');
  process.exit(1);
});
