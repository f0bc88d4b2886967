/**
 * Hour-bank figures on one machine: time-entry approvals applied through one contract's workflow (one
 * at a time by design), sequential and 200 at once, and how many contracts in parallel scale that.
 * Prints numbers; asserts nothing.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { createDb } from '@vigie/db';
import { buyBlock, consumeTime } from '@vigie/workflows/client';
import { seedHourBank } from '../worker/test/support/hour-bank';
import { startTestWorker } from '../worker/test/support/worker';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

async function main(): Promise<void> {
  const db = createDb(process.env.DATABASE_URL!, 10);
  const client = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS! }) });
  const worker = await startTestWorker(['contracts', 'crm']);

  async function contract() {
    const seed = await seedHourBank(db);
    const ids = { tenantId: seed.tenantId, contractId: seed.contractId };
    await buyBlock(client, ids, { blockId: randomUUID(), minutes: 1_000_000, priceCents: 0, expiresAt: null, actorId: null });
    return ids;
  }
  const approve = async (ids: { tenantId: string; contractId: string }) => {
    const t = performance.now();
    await consumeTime(client, ids, { timeEntryId: randomUUID(), minutes: 30 });
    return performance.now() - t;
  };
  const report = (name: string, count: number, ms: number, latencies: number[]) => {
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(`${name.padEnd(40)} ${String(Math.round((count * 1000) / ms)).padStart(5)} approvals/s   p50 ${pct(sorted, 50).toFixed(0)} ms   p99 ${pct(sorted, 99).toFixed(0)} ms`);
  };

  const one = await contract();
  let t0 = performance.now();
  const sequential: number[] = [];
  for (let i = 0; i < 100; i++) sequential.push(await approve(one));
  report('1 contract, 100 one after the other', 100, performance.now() - t0, sequential);

  t0 = performance.now();
  const burst = await Promise.all(Array.from({ length: 200 }, () => approve(one)));
  report('1 contract, 200 at once', 200, performance.now() - t0, burst);

  const many = await Promise.all(Array.from({ length: 20 }, contract));
  t0 = performance.now();
  const spread = await Promise.all(many.flatMap((ids) => Array.from({ length: 10 }, () => approve(ids))));
  report('20 contracts, 10 each at once', 200, performance.now() - t0, spread);

  await worker.stop();
  await client.connection.close();
  await db.destroy();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
