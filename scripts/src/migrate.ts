import { migrateLatest } from '@vigie/migrations';

/** Production: `node scripts/dist/migrate.js` with DATABASE_OWNER_URL (the owner role). */
const url = process.env.DATABASE_OWNER_URL;
if (!url) {
  console.error('DATABASE_OWNER_URL is required (the owner role that runs migrations)');
  process.exit(1);
}
migrateLatest(url).then(
  (applied) => {
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  },
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
