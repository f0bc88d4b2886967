import { randomUUID } from 'node:crypto';
import { nkeys } from 'nats';
import type { FleetMachine, MetricsSample } from '@vigie/core';
import { machinesRepo, metricsRepo, withTenant } from '@vigie/db';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, startTestApi, uniqueEmail, type Session, type TestApi } from './support/harness';
import { until } from './support/until';

/**
 * The fleet views' API: `GET /machines` filters (client, site, online state, OS, hostname) and keyset pages,
 * the disk and network series of `/machines/:id/metrics`, and the live `GET /machines/stream` (server-sent
 * events), which only ever carries the caller's tenant.
 */
let api: TestApi;
let admin: Session;
let other: Session;
const ids: Record<string, string> = {};
let alphaId = '';
let betaId = '';
let siteId = '';

const call = (method: string, path: string, token = admin.token, body?: unknown) => api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });
const tenantOf = (session: Session) => session.user.tenantId;

async function newClient(session: Session, name: string): Promise<string> {
  const res = await call('POST', '/clients', session.token, { name, siren: nextSiren() });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function enroll(session: Session, clientId: string, hostname: string, osName: string, site?: string): Promise<string> {
  const token = await call('POST', '/enrollment-tokens', session.token, { clientId, ...(site ? { siteId: site } : {}) });
  expect(token.status).toBe(201);
  const res = await api.call('POST', '/api/v1/agents/enroll', {
    body: { token: token.body.token, hostname, os: { name: osName, version: '1' }, agentVersion: '0.1.0', nkeyPublic: nkeys.createUser().getPublicKey() },
  });
  expect(res.status).toBe(201);
  return res.body.machineId as string;
}

/** The machine's last contact, as ingest would write it (now, or a given time). */
const seen = (session: Session, machineId: string, at?: Date) =>
  withTenant(api.deps.db, tenantOf(session), (tx) => tx('machines').where({ id: machineId }).update({ last_seen_at: at ?? tx.fn.now() }));

let seq = 1000;
function sample(at: Date, cpuPercent: number, usedRoot: number, rx: number): MetricsSample {
  return {
    seq: ++seq,
    collectedAt: at.toISOString(),
    cpuPercent,
    load: { one: 0.5, five: 0.4, fifteen: 0.3 },
    memory: { totalBytes: 8e9, usedBytes: 2e9, availableBytes: 6e9 },
    swap: { totalBytes: 1e9, usedBytes: 0 },
    disks: [
      { mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100e9, usedBytes: usedRoot * 1e9, freeBytes: (100 - usedRoot) * 1e9, usedPercent: usedRoot },
      { mountPoint: '/data', device: '/dev/sdb1', fsType: 'xfs', totalBytes: 500e9, usedBytes: 50e9, freeBytes: 450e9, usedPercent: 10 },
    ],
    network: [
      { name: 'eth0', rxBytesPerSec: rx, txBytesPerSec: 100 },
      { name: 'wlan0', rxBytesPerSec: 50, txBytesPerSec: 10 },
    ],
    uptimeSeconds: 3600,
  };
}

const hostnames = (items: FleetMachine[]) => items.map((m) => m.hostname);

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup({ tenantName: 'Parc Alpha Beta' });
  other = await api.signup({ tenantName: 'Autre MSP' });
  await metricsRepo.ensureMetricPartitions(api.deps.db);
  alphaId = await newClient(admin, 'Alpha Industrie');
  betaId = await newClient(admin, 'Beta Conseil');
  const site = await call('POST', `/clients/${alphaId}/sites`, admin.token, { name: 'Siège Lyon', address: { city: 'Lyon' } });
  expect(site.status).toBe(201);
  siteId = site.body.id;
  ids['alpha-srv-01'] = await enroll(admin, alphaId, 'alpha-srv-01', 'Debian GNU/Linux', siteId);
  ids['alpha-pc-02'] = await enroll(admin, alphaId, 'alpha-pc-02', 'Windows 11 Pro');
  ids['alpha-pc-03'] = await enroll(admin, alphaId, 'alpha-pc-03', 'Windows 10 Pro');
  ids['beta-srv-01'] = await enroll(admin, betaId, 'beta-srv-01', 'Ubuntu');
  ids['beta-nas'] = await enroll(admin, betaId, 'beta-nas', 'Debian GNU/Linux');
  for (const host of ['alpha-srv-01', 'alpha-pc-02', 'beta-nas']) await seen(admin, ids[host]!);
  await seen(admin, ids['beta-srv-01']!, new Date(Date.now() - 10 * 60_000));
  ids.foreign = await enroll(other, await newClient(other, 'Client ailleurs'), 'foreign-pc', 'Windows 11 Pro');
  await seen(other, ids.foreign);
}, 60_000);
afterAll(() => api.close());

describe('GET /machines', () => {
  it('lists the tenant’s machines by hostname, with client and site names and the online state', async () => {
    const res = await call('GET', '/machines');
    expect(res.status).toBe(200);
    expect(hostnames(res.body.items)).toEqual(['alpha-pc-02', 'alpha-pc-03', 'alpha-srv-01', 'beta-nas', 'beta-srv-01']);
    expect(res.body.nextCursor).toBeNull();
    const byHost = Object.fromEntries((res.body.items as FleetMachine[]).map((m) => [m.hostname, m]));
    expect(byHost['alpha-srv-01']).toMatchObject({ clientId: alphaId, clientName: 'Alpha Industrie', siteId, siteName: 'Siège Lyon', osName: 'Debian GNU/Linux', online: true, latestMetrics: null });
    expect(byHost['alpha-pc-03']).toMatchObject({ clientName: 'Alpha Industrie', siteName: null, online: false, lastSeenAt: null });
    expect(byHost['beta-srv-01']).toMatchObject({ online: false, lastSeenAt: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toContain(ids.foreign);
  });

  it('filters by client, site, online state, OS, hostname and tag, alone or together', async () => {
    const list = async (query: string) => {
      const res = await call('GET', `/machines?${query}`);
      expect([query, res.status]).toEqual([query, 200]);
      return hostnames(res.body.items);
    };
    expect(await list(`clientId=${alphaId}`)).toEqual(['alpha-pc-02', 'alpha-pc-03', 'alpha-srv-01']);
    expect(await list(`siteId=${siteId}`)).toEqual(['alpha-srv-01']);
    expect(await list('status=online')).toEqual(['alpha-pc-02', 'alpha-srv-01', 'beta-nas']);
    expect(await list('status=offline')).toEqual(['alpha-pc-03', 'beta-srv-01']);
    expect(await list('os=windows')).toEqual(['alpha-pc-02', 'alpha-pc-03']);
    expect(await list('os=Debian')).toEqual(['alpha-srv-01', 'beta-nas']);
    expect(await list('q=SRV')).toEqual(['alpha-srv-01', 'beta-srv-01']);
    expect(await list(`clientId=${betaId}&status=online`)).toEqual(['beta-nas']);
    expect(await list(`clientId=${alphaId}&os=windows&status=offline`)).toEqual(['alpha-pc-03']);
    // Tags as PUT /machines/:id/tags keeps them (lower case): the filter takes either case.
    expect((await call('PUT', `/machines/${ids['alpha-srv-01']}/tags`, admin.token, { tags: ['serveur', 'lyon'] })).status).toBe(200);
    expect((await call('PUT', `/machines/${ids['beta-nas']}/tags`, admin.token, { tags: ['Serveur'] })).status).toBe(200);
    expect(await list('tag=serveur')).toEqual(['alpha-srv-01', 'beta-nas']);
    expect(await list(`tag=SERVEUR&clientId=${alphaId}`)).toEqual(['alpha-srv-01']);
    expect(await list('tag=poste')).toEqual([]);
    expect((await call('GET', '/machines?tag=a%20b')).status).toBe(400);
    // Like patterns are literal text.
    expect(await list('q=%25')).toEqual([]);
    expect(await list(`clientId=${randomUUID()}`)).toEqual([]);
  });

  it('pages with a keyset cursor, in any of its sorts', async () => {
    const all: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call('GET', `/machines?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      all.push(...hostnames(res.body.items));
      cursor = res.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(all).toEqual(['alpha-pc-02', 'alpha-pc-03', 'alpha-srv-01', 'beta-nas', 'beta-srv-01']);

    const newest = await call('GET', '/machines?sort=-createdAt&limit=3');
    expect(hostnames(newest.body.items)).toEqual(['beta-nas', 'beta-srv-01', 'alpha-pc-03']);
    const rest = await call('GET', `/machines?sort=-createdAt&limit=3&cursor=${newest.body.nextCursor}`);
    expect(hostnames(rest.body.items)).toEqual(['alpha-pc-02', 'alpha-srv-01']);
    expect(rest.body.nextCursor).toBeNull();
    // A cursor belongs to its sort.
    expect((await call('GET', `/machines?sort=osName&cursor=${newest.body.nextCursor}`)).status).toBe(400);
    expect((await call('GET', '/machines?sort=lastSeenAt')).status).toBe(400);
  });

  it('refuses unknown or invalid filters, and keeps another tenant out', async () => {
    for (const query of ['status=maybe', 'clientId=nope', 'color=blue', 'limit=500']) expect([query, (await call('GET', `/machines?${query}`)).status]).toEqual([query, 400]);
    const theirs = await call('GET', '/machines', other.token);
    expect(hostnames(theirs.body.items)).toEqual(['foreign-pc']);
    expect((await call('GET', `/machines?clientId=${alphaId}`, other.token)).body.items).toEqual([]);
    expect((await call('GET', `/machines/${ids['alpha-srv-01']}`, other.token)).status).toBe(404);
  });

  it('shows the latest sample of the last day in the list and on the machine', async () => {
    const machineId = ids['alpha-srv-01']!;
    const now = Date.now();
    await withTenant(api.deps.db, tenantOf(admin), (tx) =>
      metricsRepo.storeMetrics(tx, tenantOf(admin), [
        { machineId, sample: sample(new Date(now - 120_000), 12.5, 40, 1000) },
        { machineId, sample: sample(new Date(now - 60_000), 37.25, 41, 3000) },
      ]),
    );
    const list = await call('GET', `/machines?siteId=${siteId}`);
    expect(list.body.items[0].latestMetrics).toEqual({ at: new Date(now - 60_000).toISOString(), cpuPercent: 37.3, memUsedBytes: 2e9, memTotalBytes: 8e9 });
    const one = await call('GET', `/machines/${machineId}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ hostname: 'alpha-srv-01', clientName: 'Alpha Industrie', siteName: 'Siège Lyon', latestMetrics: { cpuPercent: 37.3 } });
  });
});

describe('GET /machines/:id/metrics: disks and network', () => {
  it('gives each mount point’s use and the summed throughput, raw then hourly', async () => {
    const machineId = ids['beta-nas']!;
    const now = Date.now();
    await withTenant(api.deps.db, tenantOf(admin), (tx) =>
      metricsRepo.storeMetrics(tx, tenantOf(admin), [
        { machineId, sample: sample(new Date(now - 180_000), 10, 50, 1000) },
        { machineId, sample: sample(new Date(now - 120_000), 20, 52, 2000) },
        { machineId, sample: sample(new Date(now - 60_000), 30, 54, 6000) },
      ]),
    );
    const raw = await call('GET', `/machines/${machineId}/metrics?range=1h`);
    expect(raw.status).toBe(200);
    expect(raw.body.points).toHaveLength(3);
    expect(raw.body.disks.map((d: { mountPoint: string }) => d.mountPoint)).toEqual(['/', '/data']);
    expect(raw.body.disks[0].points.map((p: { usedPercent: number }) => p.usedPercent)).toEqual([50, 52, 54]);
    expect(raw.body.disks[1].points.map((p: { usedPercent: number }) => p.usedPercent)).toEqual([10, 10, 10]);
    expect(raw.body.network.map((p: { rxBytesPerSec: number; txBytesPerSec: number }) => [p.rxBytesPerSec, p.txBytesPerSec])).toEqual([
      [1050, 110],
      [2050, 110],
      [6050, 110],
    ]);
    expect(raw.body.network[0].at).toBe(new Date(now - 180_000).toISOString());

    const week = await call('GET', `/machines/${machineId}/metrics?range=7d`);
    expect(week.body.resolution).toBe('hour');
    // Three samples in the last three minutes: one hour, or two if an hour began in between.
    expect(week.body.network.length).toBeGreaterThanOrEqual(1);
    for (const p of [...week.body.network, ...week.body.disks[0].points]) expect(new Date(p.at).getUTCMinutes()).toBe(0);
    expect(Math.max(...week.body.network.map((p: { rxMaxBytesPerSec: number }) => p.rxMaxBytesPerSec))).toBe(6050);
    expect(Math.max(...week.body.disks[0].points.map((p: { maxUsedPercent: number }) => p.maxUsedPercent))).toBe(54);
    for (const p of week.body.disks[0].points) expect(p.maxUsedPercent).toBeGreaterThanOrEqual(p.usedPercent);

    const empty = await call('GET', `/machines/${ids['alpha-pc-03']}/metrics?range=24h`);
    expect(empty.body).toMatchObject({ points: [], disks: [], network: [] });
  });
});

interface StreamEvent {
  event: string;
  data: unknown;
}

/** Reads `GET /machines/stream` as a browser does (fetch, bearer token), collecting its events. */
async function openStream(token: string, query = '') {
  const controller = new AbortController();
  const res = await fetch(`${api.url}/api/v1/machines/stream${query}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const events: StreamEvent[] = [];
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += value;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
            const event = field('event');
            if (event) events.push({ event, data: JSON.parse(field('data') ?? 'null') });
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { res, events, close: () => controller.abort() };
}

const machineEvents = (events: StreamEvent[], machineId: string) => events.filter((e) => e.event === 'machine' && (e.data as FleetMachine).id === machineId).map((e) => e.data as FleetMachine);

describe('GET /machines/stream', () => {
  it('is not read as a machine id, and is for staff with a token', async () => {
    expect((await call('GET', '/machines/not-a-uuid')).status).toBe(404);
    expect((await api.call('GET', '/api/v1/machines/stream')).status).toBe(401);
    const clientUser = await call('POST', '/users', admin.token, { email: uniqueEmail('client'), name: 'Client User', role: 'client', clientId: alphaId, password: 'a long enough password' });
    expect(clientUser.status).toBe(201);
    const tokens = await api.login(clientUser.body.email, 'a long enough password');
    const refused = await openStream(tokens.accessToken);
    expect(refused.res.status).toBe(403);
    expect((await openStream(admin.token, '?machineId=nope')).res.status).toBe(400);
  });

  it('sends ready, then each change of the tenant’s machines (seen, gone offline), never another tenant’s', async () => {
    const tech = await sessionAs(api, admin, 'technician');
    const stream = await openStream(tech.token);
    const single = await openStream(admin.token, `?machineId=${ids['alpha-pc-03']}`);
    try {
      expect(stream.res.status).toBe(200);
      expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      await until('the ready event', async () => stream.events[0]?.event === 'ready' && single.events[0]?.event === 'ready', 10_000);

      // A machine never seen reports in: it comes online. Another tenant's machine reports in too.
      const machineId = ids['alpha-pc-03']!;
      await withTenant(api.deps.db, tenantOf(admin), (tx) => machinesRepo.recordTelemetry(tx, tenantOf(admin), machineId, 1, 'hb'));
      await withTenant(api.deps.db, tenantOf(other), (tx) => machinesRepo.recordTelemetry(tx, tenantOf(other), ids.foreign!, 1, 'hb'));
      const online = await until('the machine online', async () => machineEvents(stream.events, machineId).find((m) => m.online), 15_000);
      expect(online).toMatchObject({ hostname: 'alpha-pc-03', clientName: 'Alpha Industrie', lastSeenAt: expect.any(String) });

      // Its last contact just under the offline delay ago: an event when it crosses it, without any write.
      await seen(admin, machineId, new Date(Date.now() - 147_000));
      const offline = await until('the machine offline', async () => machineEvents(stream.events, machineId).find((m) => !m.online && m.lastSeenAt), 20_000);
      expect(Date.now() - Date.parse(offline.lastSeenAt!)).toBeGreaterThanOrEqual(150_000);

      // The filtered stream saw the same, and nothing of the other machines.
      await until('the filtered stream', async () => machineEvents(single.events, machineId).some((m) => !m.online && m.lastSeenAt), 10_000);
      expect(single.events.filter((e) => e.event === 'machine').every((e) => (e.data as FleetMachine).id === machineId)).toBe(true);

      const text = JSON.stringify(stream.events);
      expect(text).not.toContain(ids.foreign);
      expect(text).not.toContain(tenantOf(other));
    } finally {
      stream.close();
      single.close();
    }
  }, 60_000);

  it('gives another tenant only its own machines', async () => {
    const theirs = await openStream(other.token);
    try {
      await until('the ready event', async () => theirs.events[0]?.event === 'ready', 10_000);
      await withTenant(api.deps.db, tenantOf(admin), (tx) => machinesRepo.recordTelemetry(tx, tenantOf(admin), ids['alpha-pc-02']!, 1, 'hb'));
      await withTenant(api.deps.db, tenantOf(other), (tx) => machinesRepo.recordTelemetry(tx, tenantOf(other), ids.foreign!, 2, 'hb'));
      await until('their machine’s event', async () => machineEvents(theirs.events, ids.foreign!).length > 0, 15_000);
      // One more poll: had alpha-pc-02 leaked, it would be there by now.
      await new Promise((r) => setTimeout(r, 3_500));
      const seenIds = theirs.events.filter((e) => e.event === 'machine').map((e) => (e.data as FleetMachine).id);
      expect(new Set(seenIds)).toEqual(new Set([ids.foreign]));
    } finally {
      theirs.close();
    }
  }, 40_000);
});

describe('the tenant’s offline delay', () => {
  it('decides `online` in the list, its status filter, the machine and the live stream', async () => {
    const msp = await api.signup({ tenantName: 'Parc au seuil court' });
    const clientId = await newClient(msp, 'Client pressé');
    const quiet = await enroll(msp, clientId, 'quiet-pc', 'Debian GNU/Linux');
    const chatty = await enroll(msp, clientId, 'chatty-pc', 'Debian GNU/Linux');
    await seen(msp, quiet, new Date(Date.now() - 60_000));
    await seen(msp, chatty, new Date(Date.now() - 10_000));
    const online = async () => {
      const one = (await call('GET', `/machines/${quiet}`, msp.token)).body as FleetMachine;
      const list = (await call('GET', '/machines', msp.token)).body.items as FleetMachine[];
      const onlineOnes = hostnames((await call('GET', '/machines?status=online', msp.token)).body.items);
      const offlineOnes = hostnames((await call('GET', '/machines?status=offline', msp.token)).body.items);
      return { one: one.online, list: list.find((m) => m.id === quiet)?.online, onlineOnes, offlineOnes };
    };
    // The default 150 s: seen a minute ago is online.
    expect(await online()).toEqual({ one: true, list: true, onlineOnes: ['chatty-pc', 'quiet-pc'], offlineOnes: [] });

    const stream = await openStream(msp.token);
    try {
      await until('the ready event', async () => stream.events[0]?.event === 'ready', 10_000);
      await until('both machines online on the stream', async () => [quiet, chatty].every((id) => machineEvents(stream.events, id).at(-1)?.online), 10_000);
      expect((await call('PATCH', '/alert-settings', msp.token, { offlineAfterSeconds: 30 })).status).toBe(200);
      expect(await online()).toEqual({ one: false, list: false, onlineOnes: ['chatty-pc'], offlineOnes: ['quiet-pc'] });
      // The stream tells the change of delay without any machine writing anything...
      await until('the quiet machine offline on the stream', async () => machineEvents(stream.events, quiet).at(-1)?.online === false, 10_000);
      // ...and a machine crossing the new, shorter delay.
      await seen(msp, chatty, new Date(Date.now() - 27_000));
      const crossed = await until('the chatty machine offline on the stream', async () => machineEvents(stream.events, chatty).find((m) => !m.online), 15_000);
      expect(Date.now() - Date.parse(crossed.lastSeenAt!)).toBeGreaterThanOrEqual(30_000);
    } finally {
      stream.close();
    }
    // Another tenant keeps its own delay (the default).
    await seen(admin, ids['alpha-srv-01']!, new Date(Date.now() - 60_000));
    expect((await call('GET', `/machines/${ids['alpha-srv-01']}`)).body.online).toBe(true);
  }, 60_000);
});
