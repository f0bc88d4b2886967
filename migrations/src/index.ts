import path from 'node:path';
import knex from 'knex';

export { APP_ROLE } from './lib/tenancy';

/** Compiled migrations; knex reads them from here, so names in knex_migrations end in `.js`. */
export const MIGRATIONS_DIR = path.join(__dirname, 'migrations');

/** Applies every pending migration as the owner role. Returns the names applied. */
export async function migrateLatest(ownerUrl: string): Promise<string[]> {
  const db = knex({ client: 'pg', connection: ownerUrl, pool: { min: 0, max: 1 } });
  try {
    const [, applied] = (await db.migrate.latest({
      directory: MIGRATIONS_DIR,
      loadExtensions: ['.js'],
    })) as [number, string[]];
    return applied;
  } finally {
    await db.destroy();
  }
}
