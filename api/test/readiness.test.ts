import fs from 'node:fs';
import path from 'node:path';
import { migrateLatest } from '@vigie/migrations';
import { databaseUrl, ensureDatabase, startPostgres, superUrl, type PostgresOptions } from '../../scripts/src/stack/postgres';
import { freePort } from '../../scripts/src/stack/ports';
import type { Service } from '../../scripts/src/stack/process';
import { startTestApi, testConfig, type TestApi } from './support/harness';

/** Postgres goes away and comes back: the API says so (503) and recovers by itself. Own cluster. */
let pg: PostgresOptions;
let server: Service;
let api: TestApi;

async function eventually<T>(probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    last = await probe();
  }
  return last;
}

beforeAll(async () => {
  const dir = path.join(process.env.VIGIE_TEST_DATA_DIR ?? '/tmp', `readiness-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  pg = { dataDir: path.join(dir, 'pg'), port: await freePort(), superPassword: 'readiness-super', ephemeral: true, logFile: path.join(dir, 'pg.log') };
  server = await startPostgres(pg);
  const roles = { database: 'vigie', ownerRole: 'vigie_owner', ownerPassword: 'owner-pw', appRole: 'vigie_app', appPassword: 'app-pw' };
  await ensureDatabase(superUrl(pg), roles);
  await migrateLatest(databaseUrl(pg.port, 'vigie_owner', 'owner-pw', 'vigie'));
  api = await startTestApi(testConfig({ DATABASE_URL: databaseUrl(pg.port, 'vigie_app', 'app-pw', 'vigie'), DATABASE_TIMEOUT_MS: '1500' }));
});
afterAll(async () => {
  await api?.close();
  await server?.stop();
});

it('answers 503 while Postgres is down and recovers when it returns', async () => {
  const admin = await api.signup();
  const ready = await eventually(() => api.call('GET', '/readyz'), (r) => r.status === 200);
  expect(ready.status).toBe(200);

  await server.stop();
  const down = await api.call('GET', '/readyz');
  expect(down.status).toBe(503);
  expect(down.body.checks.postgres.ok).toBe(false);
  expect(down.body.checks.temporal.ok).toBe(true);
  const request = await api.call('GET', '/api/v1/settings', { token: admin.token });
  expect(request.status).toBe(503);
  expect(request.body.type).toBe('urn:vigie:problem:unavailable');
  expect(request.headers.get('retry-after')).toBe('5');

  server = await startPostgres(pg);
  const back = await eventually(() => api.call('GET', '/api/v1/settings', { token: admin.token }), (r) => r.status === 200);
  expect(back.status).toBe(200);
  expect((await api.call('GET', '/readyz')).status).toBe(200);
});

it('is not ready while its S3 bucket cannot be reached', async () => {
  const s3 = await startTestApi(
    testConfig({ STORAGE_BACKEND: 's3', S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`, S3_BUCKET: 'absent', S3_ACCESS_KEY_ID: 'key', S3_SECRET_ACCESS_KEY: 'secret' }),
  );
  try {
    const res = await s3.call('GET', '/readyz');
    expect(res.status).toBe(503);
    expect(res.body.checks.storage.ok).toBe(false);
    expect(res.body.checks.postgres.ok).toBe(true);
  } finally {
    await s3.close();
  }
});
