import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack } from './stack';
import { ROOT, TEMPORAL_BIN, TIME_SKIPPING_SERVER } from './stack/paths';
import { freePort } from './stack/ports';

/** The Node 24 that npm installs (devDependency "node"); the machine's own Node may be older. */
function projectNode(): string {
  const local = path.join(ROOT, 'node_modules', '.bin', 'node');
  return fs.existsSync(local) ? local : process.execPath;
}

/**
 * `npm test`: starts a throwaway stack (own ports, temp data), runs Jest against it, tears it down and
 * exits with Jest's code. Extra arguments go to Jest (e.g. a test path).
 */
async function main(): Promise<number> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-test-'));
  fs.chmodSync(dataDir, 0o755);
  const started = Date.now();
  const stack = await startStack({
    dataDir,
    ports: { postgres: await freePort(), nats: await freePort(), temporal: await freePort() },
    ephemeral: true,
    // Low limit so entity workflows exercise continueAsNew in tests.
    temporalDynamicConfig: { 'limit.historyCount.suggestContinueAsNew': '50' },
    log: (line) => console.log(`[stack] ${line}`),
  });
  console.log(`[stack] ready in ${((Date.now() - started) / 1000).toFixed(1)} s (data in ${dataDir})`);
  let code = 1;
  try {
    code = await new Promise<number>((resolve) => {
      const jest = spawn(projectNode(), [require.resolve('jest/bin/jest'), ...process.argv.slice(2)], {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          ...stack.env,
          NODE_ENV: 'test',
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
          VIGIE_TEST_DATA_DIR: dataDir,
          STORAGE_DIR: path.join(dataDir, 'documents'),
          TEMPORAL_CLI: TEMPORAL_BIN,
          TEMPORAL_TEST_SERVER: TIME_SKIPPING_SERVER,
        },
      });
      jest.once('exit', (c, signal) => {
        if (c !== 0) console.error(`[test] jest exited with ${signal ? `signal ${signal}` : `code ${c}`}`);
        resolve(c ?? 1);
      });
    });
  } finally {
    await stack.stop();
    if (code === 0) fs.rmSync(dataDir, { recursive: true, force: true });
    else console.log(`[stack] logs kept in ${path.join(dataDir, 'logs')}`);
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
