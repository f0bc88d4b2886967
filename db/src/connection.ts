import knex, { type Knex } from 'knex';
import pg from 'pg';

// bigint (count(*), sums) as JS numbers: our values (cents, minutes, counts) stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
// Calendar dates stay 'YYYY-MM-DD' strings: a Date would shift them by the server's time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Db = Knex;

export interface DbLogger {
  warn(msg: string): void;
  error(msg: string): void;
}

const silent: DbLogger = { warn() {}, error() {} };

export function createDb(url: string, poolMax = 10, timeoutMs = 5000, logger: DbLogger = silent): Db {
  return knex({
    log: { warn: (m: string) => logger.warn(m), error: (m: string) => logger.error(m), deprecate: () => {}, debug: () => {} },
    client: 'pg',
    connection: url,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: timeoutMs,
  });
}
