import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack } from './stack';
import { ROOT } from './stack/paths';
import { freePort } from './stack/ports';

/**
 * `npm run bench`: a throwaway stack (like the tests), then every bench/*.bench.ts in turn; each prints
 * its figures. Benchmarks measure; they never fail on a number.
 */
async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-bench-'));
  fs.chmodSync(dataDir, 0o755);
  const stack = await startStack({
    dataDir,
    ports: { postgres: await freePort(), nats: await freePort(), temporal: await freePort() },
    ephemeral: true,
  });
  const only = process.argv[2];
  const benches = fs.readdirSync(path.join(ROOT, 'bench')).filter((f) => f.endsWith('.bench.ts') && (!only || f.includes(only)));
  let code = 0;
  try {
    for (const bench of benches) {
      console.log(`\n# ${bench}`);
      code ||= await new Promise<number>((resolve) => {
        const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'bench', bench)], {
          cwd: ROOT,
          stdio: 'inherit',
          env: { ...process.env, ...stack.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', STORAGE_DIR: path.join(dataDir, 'documents') },
        });
        child.once('exit', (c) => resolve(c ?? 1));
      });
    }
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
