import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { connect, credsAuthenticator, nkeys, type NatsConnection } from 'nats';
import { withTenant } from '@vigie/db';
import { formatCreds } from '../../agent/src/state';
import { nextSiren } from '../../api/test/cross-tenant/fixtures';
import { startTestApi, type Session, type TestApi } from '../../api/test/support/harness';
import { until } from '../../api/test/support/until';
import { ensureTelemetryStreamOnly } from '../src/telemetry/stream';

/**
 * Ingest killed in the middle of its work loses nothing and stores nothing twice: a backlog of samples from
 * one machine (published with its own credentials, as the agent does) is being stored by the real metrics
 * consumer in its own process when that process is SIGKILLed; a new one takes over the same durable, and
 * every sample ends up stored exactly once, roll-up included.
 */
const SAMPLES = 3000;

let api: TestApi;
let admin: Session;
let agentNc: NatsConnection;
let machine: { tenantId: string; machineId: string };
const consumer = `ingest-metrics-crash-${randomUUID().slice(0, 8)}`;
const children: ChildProcess[] = [];

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  const client = await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Parc', siren: nextSiren() } });
  const token = await api.call('POST', '/api/v1/enrollment-tokens', { token: admin.token, body: { clientId: client.body.id } });
  const user = nkeys.createUser();
  const enrolled = await api.call('POST', '/api/v1/agents/enroll', {
    body: { token: token.body.token, hostname: 'srv-crash', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic: user.getPublicKey() },
  });
  expect(enrolled.status).toBe(201);
  machine = { tenantId: enrolled.body.tenantId, machineId: enrolled.body.machineId };
  const creds = formatCreds(enrolled.body.userJwt, new TextDecoder().decode(user.getSeed()));
  agentNc = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(new TextEncoder().encode(creds)), inboxPrefix: enrolled.body.subjects.inboxPrefix });
  const service = await connect({ servers: process.env.NATS_URL!, authenticator: credsAuthenticator(fs.readFileSync(process.env.NATS_CREDS!)) });
  await ensureTelemetryStreamOnly(service);
  await service.close();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await agentNc?.close();
  await api?.close();
});

function startIngest(): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'support', 'metrics-ingest.ts')], {
    env: { ...process.env, METRICS_CONSUMER: consumer },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.push(child);
  return child;
}

function sample(seq: number): Uint8Array {
  const at = new Date(Date.now() - (SAMPLES - seq) * 1000).toISOString();
  return new TextEncoder().encode(
    JSON.stringify({
      seq,
      collectedAt: at,
      cpuPercent: seq % 100,
      load: { one: 0.5, five: 0.4, fifteen: 0.3 },
      memory: { totalBytes: 8e9, usedBytes: 4e9, availableBytes: 4e9 },
      swap: { totalBytes: 0, usedBytes: 0 },
      disks: [{ mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 1e11, usedBytes: 5e10, freeBytes: 5e10, usedPercent: 50 }],
      network: [{ name: 'eth0', rxBytesPerSec: 1000, txBytesPerSec: 500 }],
      uptimeSeconds: 1000 + seq,
    }),
  );
}

const stored = async () =>
  withTenant(api.deps.db, machine.tenantId, async (tx) => {
    const [rows] = await tx('machine_metrics').where({ machine_id: machine.machineId }).select(tx.raw('count(*)::int as n, count(distinct seq)::int as seqs'));
    const [hourly] = await tx('machine_metrics_hourly').where({ machine_id: machine.machineId }).sum({ samples: 'samples' });
    return { rows: rows.n as number, seqs: rows.seqs as number, rolledUp: Number(hourly?.samples ?? 0) };
  });

it('loses nothing and stores nothing twice when ingest is killed mid-batch', async () => {
  const js = agentNc.jetstream();
  const subject = `vigie.${machine.tenantId}.tlm.${machine.machineId}.metrics`;
  for (let seq = 1; seq <= SAMPLES; seq += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => js.publish(subject, sample(seq + i), { msgID: `${machine.machineId}:${seq + i}` })));
  }

  const first = startIngest();
  await until('ingest stored part of the backlog', async () => (await stored()).rows >= 300, 60_000);
  first.kill('SIGKILL');
  await new Promise((r) => first.once('exit', r));
  const atCrash = await stored();
  expect(atCrash.rows).toBeLessThan(SAMPLES);

  startIngest();
  await until('the new ingest stored the whole backlog', async () => (await stored()).rows >= SAMPLES, 120_000);
  // Redeliveries of what the killed process had stored but not acknowledged are settled by now too.
  await new Promise((r) => setTimeout(r, 2000));
  expect(await stored()).toEqual({ rows: SAMPLES, seqs: SAMPLES, rolledUp: SAMPLES });
}, 240_000);
