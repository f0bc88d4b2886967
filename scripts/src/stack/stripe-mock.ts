import fs from 'node:fs';
import path from 'node:path';
import { CACHE_BIN } from './paths';
import { freePort } from './ports';
import { startService, waitForPort, type Service } from './process';

export const STRIPE_MOCK_BIN = path.join(CACHE_BIN, 'stripe-mock');

/**
 * Starts Stripe's official mock server on a free loopback port. stripe-mock always opens an HTTPS listener
 * too, on :12112 unless told otherwise (or on `PORT` from its environment), so two test files running it
 * at once collided there: its HTTPS side gets a port of the system's choosing, and no `PORT`.
 */
export async function startStripeMock(logFile: string): Promise<{ service: Service; url: string }> {
  const port = await freePort();
  const { PORT: _ignored, ...env } = process.env;
  const service = startService('stripe-mock', STRIPE_MOCK_BIN, ['-http-addr', `127.0.0.1:${port}`, '-https-addr', '127.0.0.1:'], { logFile, env });
  try {
    await waitForPort(port, '127.0.0.1', 10_000, service.child);
  } catch (err) {
    await service.stop();
    throw new Error(`${(err as Error).message}; stripe-mock said:\n${readTail(logFile)}`);
  }
  return { service, url: `http://127.0.0.1:${port}` };
}

function readTail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}
