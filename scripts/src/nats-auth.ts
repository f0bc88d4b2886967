import fs from 'node:fs';
import path from 'node:path';
import { authConfig, ensureNatsAuth } from './stack/nats';

/**
 * Production: `node scripts/dist/nats-auth.js <dir> [resolver dir inside the NATS container]`
 * creates (once) the operator and account keys in <dir>/keys.json, and writes <dir>/auth.conf (included by
 * nats.conf) and <dir>/service.creds (mounted into api, worker and ingest). Keep keys.json secret and backed up.
 */
async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) {
    console.error('usage: node scripts/dist/nats-auth.js <output dir> [resolver dir, default /data/resolver]');
    process.exit(2);
  }
  const resolverDir = process.argv[3] ?? '/data/resolver';
  const auth = await ensureNatsAuth(path.resolve(dir));
  fs.writeFileSync(path.join(dir, 'auth.conf'), authConfig(auth, resolverDir), { mode: 0o600 });
  console.log(`wrote ${path.join(dir, 'auth.conf')} and ${auth.credsFile} (account ${auth.account})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
