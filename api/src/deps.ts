import { Client, Connection } from '@temporalio/client';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import fs from 'node:fs';
import pino, { type Logger } from 'pino';
import type { Config } from '@vigie/core';
import { createDb, createStorage, type Db, type DocumentStorage } from '@vigie/db';

/** Everything the HTTP layer needs from the outside world, wired once at boot and closed at shutdown. */
export interface AppDeps {
  config: Config;
  db: Db;
  temporal: Client;
  /** Null until the first successful connection; NATS reconnects on its own afterwards. */
  nats(): NatsConnection | null;
  storage: DocumentStorage;
  log: Logger;
  close(): Promise<void>;
}

export async function createDeps(config: Config, log = pino({ level: config.LOG_LEVEL })): Promise<AppDeps> {
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_MAX, config.DATABASE_TIMEOUT_MS, {
    warn: (m) => log.warn(m),
    error: (m) => log.error(m),
  });
  // Lazy: the API boots even if Temporal is still starting; /readyz reports it until it answers.
  const connection = Connection.lazy({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  let nc: NatsConnection | null = null;
  let closed = false;
  const connectNats = async () => {
    while (!closed && !nc) {
      try {
        nc = await connect({
          servers: config.NATS_URL,
          name: 'vigie-api',
          maxReconnectAttempts: -1,
          ...(config.NATS_CREDS ? { authenticator: credsAuthenticator(fs.readFileSync(config.NATS_CREDS)) } : {}),
        });
      } catch (err) {
        log.warn({ err }, 'NATS not reachable yet; retrying');
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  };
  void connectNats();
  return {
    config,
    db,
    temporal,
    nats: () => nc,
    storage: createStorage(config),
    log,
    async close() {
      closed = true;
      await nc?.drain().catch(() => {});
      await connection.close().catch(() => {});
      await db.destroy();
    },
  };
}
