import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { migrateLatest } from '@vigie/migrations';
import { databaseUrl, ensureDatabase, startPostgres, superUrl } from './postgres';
import { startNats } from './nats';
import { startTemporal } from './temporal';
import type { Service } from './process';

export interface StackPorts {
  postgres: number;
  nats: number;
  temporal: number;
  temporalUi?: number;
}

export interface StackOptions {
  dataDir: string;
  ports: StackPorts;
  /** Throwaway data: fast, non-durable Postgres, in-memory Temporal. */
  ephemeral: boolean;
  temporalDynamicConfig?: Record<string, string>;
  log?: (line: string) => void;
}

export interface Stack {
  /** Environment for api, worker, ingest and tests. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

interface Secrets {
  pgSuperPassword: string;
  pgOwnerPassword: string;
  pgAppPassword: string;
  jwtSecret: string;
}

const secret = () => randomBytes(24).toString('base64url');

function loadOrCreateSecrets(file: string): Secrets {
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as Secrets;
  const secrets: Secrets = {
    pgSuperPassword: secret(),
    pgOwnerPassword: secret(),
    pgAppPassword: secret(),
    jwtSecret: randomBytes(48).toString('base64url'),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** Starts Postgres, NATS and Temporal on loopback, creates roles and database, runs migrations. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const log = opts.log ?? (() => {});
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o755 });
  const logs = path.join(opts.dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const secrets = loadOrCreateSecrets(path.join(opts.dataDir, 'secrets.json'));
  const started: Service[] = [];
  const stop = async () => {
    for (const service of started.reverse()) {
      const t0 = Date.now();
      await service.stop();
      const ms = Date.now() - t0;
      if (ms > 2000) log(`${service.name} took ${(ms / 1000).toFixed(1)} s to stop`);
    }
  };
  try {
    log(`postgres on 127.0.0.1:${opts.ports.postgres}`);
    const pg = {
      dataDir: path.join(opts.dataDir, 'postgres'),
      port: opts.ports.postgres,
      superPassword: secrets.pgSuperPassword,
      ephemeral: opts.ephemeral,
      logFile: path.join(logs, 'postgres.log'),
    };
    started.push(await startPostgres(pg));
    const roles = {
      database: 'vigie',
      ownerRole: 'vigie_owner',
      ownerPassword: secrets.pgOwnerPassword,
      appRole: 'vigie_app',
      appPassword: secrets.pgAppPassword,
    };
    await ensureDatabase(superUrl(pg), roles);
    const ownerUrl = databaseUrl(pg.port, roles.ownerRole, roles.ownerPassword, roles.database);
    const applied = await migrateLatest(ownerUrl);
    if (applied.length) log(`migrations applied: ${applied.length}`);

    log(`nats on 127.0.0.1:${opts.ports.nats}`);
    const nats = await startNats({ dataDir: path.join(opts.dataDir, 'nats'), port: opts.ports.nats, logFile: path.join(logs, 'nats.log') });
    started.push(nats.service);

    log(`temporal on 127.0.0.1:${opts.ports.temporal}`);
    started.push(
      await startTemporal({
        port: opts.ports.temporal,
        ...(opts.ports.temporalUi ? { uiPort: opts.ports.temporalUi } : {}),
        ...(opts.ephemeral ? {} : { dbFile: path.join(opts.dataDir, 'temporal.sqlite') }),
        namespace: 'default',
        logFile: path.join(logs, 'temporal.log'),
        ...(opts.temporalDynamicConfig ? { dynamicConfig: opts.temporalDynamicConfig } : {}),
      }),
    );

    return {
      env: {
        DATABASE_URL: databaseUrl(pg.port, roles.appRole, roles.appPassword, roles.database),
        DATABASE_OWNER_URL: ownerUrl,
        DATABASE_SUPER_URL: superUrl(pg, roles.database),
        NATS_URL: nats.url,
        NATS_CREDS: nats.credsFile,
        NATS_KEYS_FILE: path.join(opts.dataDir, 'nats', 'keys.json'),
        TEMPORAL_ADDRESS: `127.0.0.1:${opts.ports.temporal}`,
        TEMPORAL_NAMESPACE: 'default',
        JWT_SECRET: secrets.jwtSecret,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
