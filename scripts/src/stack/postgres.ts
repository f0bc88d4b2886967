import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import knex from 'knex';
import { run, startService, waitForPort, type Service } from './process';

export interface PostgresOptions {
  dataDir: string;
  port: number;
  superPassword: string;
  /** Test clusters trade durability for speed. */
  ephemeral: boolean;
  logFile: string;
}

export interface DatabaseRoles {
  database: string;
  ownerRole: string;
  ownerPassword: string;
  appRole: string;
  appPassword: string;
}

function binDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => /^\d+$/.test(v)) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error('PostgreSQL binaries not found under /usr/lib/postgresql (run scripts/bin/ensure-tools.sh)');
  return path.join(base, newest, 'bin');
}

/** Postgres refuses to run as root: when we are root, the cluster belongs to the `postgres` user. */
function runAs(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {};
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

function chownForPostgres(target: string, ids: { uid?: number; gid?: number }): void {
  if (ids.uid !== undefined && ids.gid !== undefined) fs.chownSync(target, ids.uid, ids.gid);
}

async function initCluster(opts: PostgresOptions, ids: { uid?: number; gid?: number }): Promise<void> {
  fs.mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  chownForPostgres(opts.dataDir, ids);
  const pwFile = path.join(path.dirname(opts.dataDir), `.pg-superuser-${process.pid}`);
  fs.writeFileSync(pwFile, opts.superPassword + '\n', { mode: 0o600 });
  chownForPostgres(pwFile, ids);
  try {
    await run(
      path.join(binDir(), 'initdb'),
      ['-D', opts.dataDir, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${pwFile}`, '-E', 'UTF8', '--locale=C.UTF-8'],
      ids,
    );
  } finally {
    fs.rmSync(pwFile, { force: true });
  }
}

export async function startPostgres(opts: PostgresOptions): Promise<Service> {
  const ids = runAs();
  if (!fs.existsSync(path.join(opts.dataDir, 'PG_VERSION'))) await initCluster(opts, ids);
  fs.writeFileSync(opts.logFile, '');
  chownForPostgres(opts.logFile, ids);
  const args = ['-D', opts.dataDir, '-p', String(opts.port), '-k', opts.dataDir, '-c', 'listen_addresses=127.0.0.1'];
  if (opts.ephemeral) args.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  // SIGINT is Postgres' "fast" shutdown: it does not wait for clients to leave.
  const service = startService('postgres', path.join(binDir(), 'postgres'), args, {
    logFile: opts.logFile,
    stopSignal: 'SIGINT',
    ...ids,
  });
  await waitForPort(opts.port, '127.0.0.1', 60_000, service.child);
  await waitUntilAccepting(superUrl(opts));
  return service;
}

export function superUrl(opts: Pick<PostgresOptions, 'port' | 'superPassword'>, database = 'postgres'): string {
  return `postgres://postgres:${encodeURIComponent(opts.superPassword)}@127.0.0.1:${opts.port}/${database}`;
}

async function waitUntilAccepting(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
    try {
      await db.raw('select 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    } finally {
      await db.destroy();
    }
  }
}

/**
 * Creates the owner role (runs migrations, owns the tables, BYPASSRLS for the narrow SECURITY DEFINER
 * lookups), the app role (no BYPASSRLS, owns nothing) and the database. Idempotent; keeps passwords current.
 */
export async function ensureDatabase(url: string, roles: DatabaseRoles): Promise<void> {
  const db = knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    for (const [role, password, attrs] of [
      [roles.ownerRole, roles.ownerPassword, 'LOGIN BYPASSRLS'],
      [roles.appRole, roles.appPassword, 'LOGIN NOBYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE'],
    ] as const) {
      const exists = await db.raw('select 1 from pg_roles where rolname = ?', [role]);
      const verb = exists.rows.length ? 'alter' : 'create';
      await db.raw(`${verb} role ?? with ${attrs} password ${quoteLiteral(password)}`, [role]);
    }
    const dbExists = await db.raw('select 1 from pg_database where datname = ?', [roles.database]);
    if (!dbExists.rows.length) await db.raw('create database ?? owner ??', [roles.database, roles.ownerRole]);
  } finally {
    await db.destroy();
  }
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function databaseUrl(port: number, role: string, password: string, database: string): string {
  return `postgres://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}
