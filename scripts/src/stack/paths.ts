import path from 'node:path';

/** Repository root: scripts/dist/stack → ../../.. */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CACHE_BIN = path.join(ROOT, '.cache', 'bin');
export const TEMPORAL_BIN = path.join(CACHE_BIN, 'temporal');
export const NATS_BIN = path.join(CACHE_BIN, 'nats-server');
export const TIME_SKIPPING_SERVER = path.join(ROOT, 'scripts', 'tools', 'temporal-test-server', 'run.sh');
