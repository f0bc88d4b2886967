import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { effectiveAgentPolicy, type EffectiveAgentPolicy } from '@vigie/core';
import { fetchPolicy, keepPolicy, POLICY_FILE, storePolicy, type PolicyFetch, type RunSettings } from './policy';
import { writeState } from './state';

const MACHINE = '00000000-0000-4000-8000-00000000000a';
const TENANT = '00000000-0000-4000-8000-0000000000f1';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-policy-'));
  enrolled('http://127.0.0.1:1');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** An enrolled data directory pointing at `serverUrl`. */
function enrolled(serverUrl: string): void {
  writeState(
    dir,
    {
      version: 1,
      serverUrl,
      natsUrl: 'nats://127.0.0.1:1',
      tenantId: TENANT,
      machineId: MACHINE,
      nkeyPublic: 'UABC',
      jwtExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      subjects: { telemetry: 't', commands: 'c', inboxPrefix: 'i' },
      enrolledAt: new Date().toISOString(),
    },
    'creds',
    'vgm_secret',
  );
}

const named = (settings: Partial<Pick<EffectiveAgentPolicy, 'metricsIntervalSeconds' | 'watchServices' | 'watchProcesses'>>, name = 'Serveurs'): EffectiveAgentPolicy =>
  effectiveAgentPolicy({
    id: '00000000-0000-4000-8000-000000000001',
    name,
    enabled: true,
    scope: { kind: 'all' },
    updatedAt: '2027-03-01T10:00:00.000Z',
    metricsIntervalSeconds: 120,
    watchServices: [],
    watchProcesses: [],
    ...settings,
  });
const NONE = effectiveAgentPolicy(null);
const FALLBACK: RunSettings = { metricsSeconds: 5, watch: { services: ['cli-service'], processes: [] } };

/** A fetcher the test scripts: each check takes the next answer (the last one repeats). */
function scripted(...answers: PolicyFetch[]) {
  const asked: (string | undefined)[] = [];
  const fetcher = async (_dir: string, known: string | undefined): Promise<PolicyFetch> => {
    asked.push(known);
    return answers.length > 1 ? answers.shift()! : answers[0]!;
  };
  return { fetcher, asked };
}

const until = async (what: () => boolean, ms = 2000) => {
  for (const end = Date.now() + ms; !what(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('keepPolicy', () => {
  it('keeps the command line while no policy names the machine, then applies, stores and announces the first one', async () => {
    const policy = named({ metricsIntervalSeconds: 180, watchProcesses: ['backup-agent'] });
    const { fetcher, asked } = scripted({ kind: 'changed', policy: NONE }, { kind: 'unchanged' }, { kind: 'changed', policy });
    const changes: RunSettings[] = [];
    const logs: string[] = [];
    const keeper = keepPolicy({ dataDir: dir, fallback: FALLBACK, everyMs: 10, fetch: fetcher, log: (m) => logs.push(m), onChange: (s) => changes.push(s) });
    await keeper.firstCheck;
    expect(keeper.settings()).toBe(FALLBACK);
    expect(fs.existsSync(path.join(dir, POLICY_FILE))).toBe(false);
    await until(() => changes.length === 1);
    keeper.stop();
    expect(keeper.settings()).toEqual({ metricsSeconds: 180, watch: { services: [], processes: ['backup-agent'] } });
    expect(changes).toEqual([keeper.settings()]);
    // The version seen is sent back, so an unchanged policy costs a 304.
    expect(asked.slice(0, 3)).toEqual([undefined, NONE.version, NONE.version]);
    expect(JSON.parse(fs.readFileSync(path.join(dir, POLICY_FILE), 'utf8'))).toEqual(policy);
    expect(logs).toContain('policy applied');
  });

  it('after a restart without network, applies the stored policy and retries with a growing delay, never throwing', async () => {
    storePolicy(dir, named({ metricsIntervalSeconds: 240, watchServices: ['nginx'] }));
    const times: number[] = [];
    const failing = async (): Promise<PolicyFetch> => {
      times.push(Date.now());
      throw new Error('ECONNREFUSED');
    };
    const logs: { msg: string; fields?: Record<string, unknown> }[] = [];
    const keeper = keepPolicy({ dataDir: dir, fallback: FALLBACK, everyMs: 400, retryMs: 20, fetch: failing, log: (msg, fields) => logs.push({ msg, ...(fields ? { fields } : {}) }) });
    expect(keeper.settings()).toEqual({ metricsSeconds: 240, watch: { services: ['nginx'], processes: [] } });
    await until(() => times.length >= 4);
    keeper.stop();
    const failures = logs.filter((l) => l.msg === 'policy check failed; will retry');
    expect(failures[0]?.fields).toMatchObject({ detail: 'ECONNREFUSED' });
    const delays = failures.slice(0, 3).map((l) => l.fields?.retryInMs);
    expect(delays).toEqual([20, 40, 80]);
    // Each retry waited at least its delay (timers never fire early; a loaded machine only makes them later).
    times.slice(1, 4).forEach((t, i) => expect(t - times[i]!).toBeGreaterThanOrEqual(delays[i] as number - 1));
    expect(keeper.settings().metricsSeconds).toBe(240);
  });

  it('once a policy was received, the defaults follow when no policy applies any more (not the command line)', async () => {
    storePolicy(dir, named({ watchServices: ['nginx'] }));
    const { fetcher } = scripted({ kind: 'changed', policy: NONE });
    const keeper = keepPolicy({ dataDir: dir, fallback: FALLBACK, everyMs: 60_000, fetch: fetcher, log: () => {} });
    await keeper.firstCheck;
    keeper.stop();
    expect(keeper.settings()).toEqual({ metricsSeconds: 60, watch: { services: [], processes: [] } });
    expect(JSON.parse(fs.readFileSync(path.join(dir, POLICY_FILE), 'utf8')).policy).toBeNull();
  });

  it('ignores an unreadable stored policy, and keeps its settings when the server refuses the machine', async () => {
    fs.writeFileSync(path.join(dir, POLICY_FILE), '{"version": 3');
    const logs: string[] = [];
    const { fetcher } = scripted({ kind: 'refused', status: 401, detail: 'this machine is disabled' });
    const keeper = keepPolicy({ dataDir: dir, fallback: FALLBACK, everyMs: 60_000, fetch: fetcher, log: (m) => logs.push(m) });
    await keeper.firstCheck;
    keeper.stop();
    expect(keeper.settings()).toBe(FALLBACK);
    expect(logs).toEqual(['stored policy unreadable; ignored until the server sends one', 'policy refused by the server; keeping the current settings']);
  });

  it('keeps a policy’s metrics period within 60 to 300 s whatever the server says', async () => {
    const { fetcher } = scripted({ kind: 'changed', policy: { ...named({}), metricsIntervalSeconds: 0.001 } });
    const keeper = keepPolicy({ dataDir: dir, fallback: FALLBACK, everyMs: 60_000, fetch: fetcher, log: () => {} });
    await keeper.firstCheck;
    keeper.stop();
    expect(keeper.settings().metricsSeconds).toBe(60);
  });
});

describe('fetchPolicy', () => {
  let server: http.Server;
  const seen: { authorization?: string | undefined; ifNoneMatch?: string | undefined }[] = [];
  let answer: { status: number; body?: unknown } = { status: 200 };

  beforeEach(async () => {
    seen.length = 0;
    server = http.createServer((req, res) => {
      seen.push({ authorization: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'] });
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    enrolled(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  });
  afterEach(() => new Promise((r) => server.close(r)));

  it('sends the machine token and the known version; reads 200, 304, 401 and garbage', async () => {
    const policy = named({ watchServices: ['nginx'] });
    answer = { status: 200, body: policy };
    expect(await fetchPolicy(dir, undefined)).toEqual({ kind: 'changed', policy });
    answer = { status: 304 };
    expect(await fetchPolicy(dir, policy.version)).toEqual({ kind: 'unchanged' });
    expect(seen).toEqual([{ authorization: 'Bearer vgm_secret' }, { authorization: 'Bearer vgm_secret', ifNoneMatch: `"${policy.version}"` }]);
    answer = { status: 401, body: { detail: 'this machine is disabled; an administrator must enable it again' } };
    expect(await fetchPolicy(dir, undefined)).toEqual({ kind: 'refused', status: 401, detail: 'this machine is disabled; an administrator must enable it again' });
    answer = { status: 200, body: { hello: 'world' } };
    expect((await fetchPolicy(dir, undefined)).kind).toBe('failed');
    answer = { status: 503, body: { detail: 'down' } };
    expect(await fetchPolicy(dir, undefined)).toEqual({ kind: 'failed', detail: 'policy answered 503: down' });
  });

  it('says the server cannot be reached', async () => {
    enrolled('http://127.0.0.1:1');
    expect(await fetchPolicy(dir, undefined)).toMatchObject({ kind: 'failed', detail: expect.stringContaining('cannot reach http://127.0.0.1:1') });
  });
});
