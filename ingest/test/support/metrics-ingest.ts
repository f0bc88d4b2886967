/**
 * The metrics consumer alone, as its own process, on a durable named by METRICS_CONSUMER: a test can kill it
 * (SIGKILL, mid-batch) and start it again, as a crash of ingest would.
 */
import fs from 'node:fs';
import { connect, credsAuthenticator } from 'nats';
import pino from 'pino';
import { createDb } from '@vigie/db';
import { startMetricsConsumer } from '../../src/telemetry/metrics';

async function main(): Promise<void> {
  const db = createDb(process.env.DATABASE_URL!, 5);
  const nc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  await startMetricsConsumer({ nc, db, log: pino({ level: 'warn' }), consumer: process.env.METRICS_CONSUMER! });
  process.stdout.write('consuming\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
