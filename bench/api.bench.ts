/**
 * API figures on one machine: login latency (argon2id), list latency and throughput on a tenant with
 * 2 000 clients, and client creation throughput. Prints numbers; asserts nothing.
 */
import autocannon from 'autocannon';
import { startTestApi, uniqueEmail } from '../api/test/support/harness';

function summary(name: string, r: autocannon.Result): void {
  console.log(
    `${name.padEnd(34)} ${String(Math.round(r.requests.average)).padStart(6)} req/s   p50 ${r.latency.p50} ms   p99 ${r.latency.p99} ms   errors ${r.errors + r.non2xx}`,
  );
}

async function main(): Promise<void> {
  const api = await startTestApi();
  const admin = await api.signup({ email: uniqueEmail('bench') });
  const auth = { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' };

  const t0 = Date.now();
  for (let i = 0; i < 2000; i += 100) {
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: `Client ${String(i + j).padStart(4, '0')}`, tags: j % 3 ? ['pme'] : ['tpe'] } })),
    );
  }
  console.log(`seeded 2 000 clients in ${((Date.now() - t0) / 1000).toFixed(1)} s (100 concurrent)`);

  const run = (opts: autocannon.Options) => autocannon({ connections: 10, duration: 5, ...opts });
  summary('GET /clients?limit=50', await run({ url: `${api.url}/api/v1/clients?limit=50`, headers: auth }));
  summary('GET /clients?q=12&tag=pme', await run({ url: `${api.url}/api/v1/clients?q=12&tag=pme`, headers: auth }));
  summary('GET /me', await run({ url: `${api.url}/api/v1/me`, headers: auth }));
  summary(
    'POST /auth/login (argon2id)',
    await run({ url: `${api.url}/api/v1/auth/login`, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: admin.email, password: admin.password }), connections: 4 }),
  );
  let n = 0;
  summary(
    'POST /clients',
    await run({
      url: `${api.url}/api/v1/clients`,
      method: 'POST',
      headers: auth,
      setupClient: (client) => client.setBody(JSON.stringify({ name: `Bench ${n++}` })),
    }),
  );
  await api.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
