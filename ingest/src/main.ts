import fs from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { connect, credsAuthenticator } from 'nats';
import pino from 'pino';
import { loadConfig } from '@vigie/core';
import { createDb, createStorage } from '@vigie/db';
import { startInboundMailServer, type InboundMailServer } from './mail/server';
import { startHeartbeatConsumer } from './telemetry/heartbeats';
import { startMetricsConsumer } from './telemetry/metrics';
import { createAlertEvaluator, temporalAlertSignal } from './alerts/evaluate';
import { startOfflineSweep } from './alerts/offline-sweep';
import { startResultConsumer } from './telemetry/results';
import { startEventsConsumer, startInventoryConsumer } from './telemetry/state';

const config = loadConfig(process.env);
const log = pino({ level: config.LOG_LEVEL, base: { process: 'ingest' } });

/** The address part of MAIL_FROM ("Vigie <no-reply@vigie.local>" → no-reply@vigie.local). */
const addressOf = (from: string) => (/<([^<>]+)>/.exec(from)?.[1] ?? from).trim().toLowerCase();

/**
 * Telemetry consumer: heartbeats land in Postgres (last_seen_at, deduplicated by machine + sequence);
 * replicas share the durable consumer. It also runs the
 * tickets-by-e-mail SMTP server (INBOUND_SMTP_HOST:INBOUND_SMTP_PORT, 0 = off).
 */
async function main(): Promise<void> {
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_MAX, config.DATABASE_TIMEOUT_MS, { warn: (m) => log.warn(m), error: (m) => log.error(m) });
  // Lazy: ingest boots even if Temporal is still starting; calls wait for it.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  let mail: InboundMailServer | undefined;
  if (config.INBOUND_SMTP_PORT !== 0) {
    mail = await startInboundMailServer({
      db,
      temporal,
      storage: createStorage(config),
      log: log.child({ component: 'mail' }),
      maxAttachmentBytes: config.DOCUMENT_MAX_BYTES,
      // One attachment at the limit, base64-encoded (4/3), and the text around it.
      maxMessageBytes: Math.ceil(config.DOCUMENT_MAX_BYTES * 1.4) + 1024 * 1024,
      ownAddresses: [addressOf(config.MAIL_FROM)],
      host: config.INBOUND_SMTP_HOST,
      port: config.INBOUND_SMTP_PORT,
    });
    log.info({ host: config.INBOUND_SMTP_HOST, port: mail.port }, 'ingest receiving ticket mail (SMTP)');
  }
  const nc = await connect({
    servers: config.NATS_URL,
    name: 'vigie-ingest',
    maxReconnectAttempts: -1,
    ...(config.NATS_CREDS ? { authenticator: credsAuthenticator(fs.readFileSync(config.NATS_CREDS)) } : {}),
  });
  const heartbeats = await startHeartbeatConsumer({ nc, db, log: log.child({ component: 'telemetry' }) });
  // Alerts: metric rules are evaluated on each stored batch; offline rules by a sweep of last_seen_at.
  const alertSignal = temporalAlertSignal(temporal);
  const alerts = createAlertEvaluator({ db, signal: alertSignal, log: log.child({ component: 'alerts' }) });
  const metrics = await startMetricsConsumer({ nc, db, log: log.child({ component: 'metrics' }), afterStore: (stored) => alerts.evaluateMetrics(stored) });
  const offlineSweep = startOfflineSweep({ db, signal: alertSignal, log: log.child({ component: 'alerts' }) });
  const results = await startResultConsumer({ nc, db, log: log.child({ component: 'command-results' }) });
  // Machine state and system events: stored, then service / antivirus / event rules evaluated.
  const inventory = await startInventoryConsumer({ nc, db, log: log.child({ component: 'inventory' }), afterStore: (s) => alerts.evaluateState(s.tenantId, s.machineId, s.payload) });
  const events = await startEventsConsumer({ nc, db, log: log.child({ component: 'events' }), afterStore: (s) => alerts.evaluateEvents(s.tenantId, s.machineId, s.payload.events) });
  const stop = () => {
    alerts.stop();
    void Promise.all([heartbeats.stop(), metrics.stop(), results.stop(), inventory.stop(), events.stop(), offlineSweep.stop()]).then(() => nc.drain());
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await nc.closed();
  await mail?.close();
  await connection.close().catch(() => {});
  await db.destroy();
  log.info({ heartbeats: heartbeats.counts, metrics: metrics.counts, results: results.counts, inventory: inventory.counts, events: events.counts }, 'ingest stopped');
}

main().catch((err) => {
  log.fatal({ err }, 'ingest failed');
  process.exit(1);
});
