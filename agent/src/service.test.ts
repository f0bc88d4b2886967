import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from './exec';
import { installService, serviceState, systemdUnit, uninstallService } from './service';
import { storePolicy } from './policy';
import { agentStatus } from './status';
import { writeState } from './state';

/** systemctl is recorded, not run: this machine (and CI) has no systemd. */
function recordingRunner(answers: Record<string, string> = {}): { runner: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args].join(' '));
    return { code: 0, signal: null, stdout: answers[args[0] ?? ''] ?? '', stderr: '', timedOut: false, truncated: false };
  };
  return { runner, calls };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-service-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the systemd service', () => {
  it('runs the agent on its data directory, restarts it, and logs to the journal', () => {
    const unit = systemdUnit({ nodePath: '/usr/bin/node', scriptPath: '/opt/vigie agent/vigie-agent.js', dataDir: '/var/lib/vigie-agent' });
    expect(unit).toContain('ExecStart=/usr/bin/node --lite-mode --max-semi-space-size=1 "/opt/vigie agent/vigie-agent.js" run --data-dir /var/lib/vigie-agent\n');
    expect(unit).toMatch(/^Restart=always$/m);
    expect(unit).toMatch(/^StandardError=journal$/m);
    expect(unit).toMatch(/^WantedBy=multi-user.target$/m);
  });

  it('installs, reports and uninstalls (keeping or removing the data)', async () => {
    const { runner, calls } = recordingRunner({ 'is-active': 'active\n' });
    const unitDir = path.join(dir, 'units');
    fs.mkdirSync(unitDir);
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    expect(await serviceState({ unitDir, runner })).toBe('not-installed');

    const file = await installService({ dataDir, unitDir, runner, nodePath: '/usr/bin/node', scriptPath: '/opt/vigie-agent/vigie-agent.js' });
    expect(fs.readFileSync(file, 'utf8')).toContain(`run --data-dir ${dataDir}`);
    expect(calls).toEqual(['systemctl daemon-reload', 'systemctl enable --now vigie-agent.service']);
    expect(await serviceState({ unitDir, runner })).toBe('active');

    calls.length = 0;
    expect(await uninstallService({ dataDir, unitDir, runner, removeData: false })).toEqual([file]);
    expect(calls).toEqual(['systemctl disable --now vigie-agent.service', 'systemctl daemon-reload']);
    expect(fs.existsSync(dataDir)).toBe(true);
    expect(await uninstallService({ dataDir, unitDir, runner, removeData: true })).toEqual([dataDir]);
    expect(fs.existsSync(dataDir)).toBe(false);
  });

  it('says why when systemctl fails', async () => {
    const failing: CommandRunner = async () => ({ code: 1, signal: null, stdout: '', stderr: 'Access denied\n', timedOut: false, truncated: false });
    await expect(installService({ dataDir: dir, unitDir: dir, runner: failing })).rejects.toThrow('systemctl daemon-reload failed (1): Access denied');
  });
});

describe('vigie-agent status', () => {
  it('tells an unenrolled directory from an enrolled one, with credential expiry and queued telemetry', () => {
    expect(agentStatus(dir)).toMatchObject({ enrolled: false });
    const config = {
      version: 1 as const,
      serverUrl: 'https://vigie.example',
      natsUrl: 'tls://nats.vigie.example:4222',
      tenantId: '8f7c2a3e-1b2c-4d5e-8f90-123456789abc',
      machineId: '1a2b3c4d-5e6f-4a8b-9c0d-ef1234567890',
      nkeyPublic: 'UABC',
      jwtExpiresAt: '2026-11-26T10:00:00.000Z',
      subjects: { telemetry: 't', commands: 'c', inboxPrefix: 'i' },
      enrolledAt: '2026-11-25T10:00:00.000Z',
    };
    writeState(dir, config, 'creds', 'vgm_token');
    fs.mkdirSync(path.join(dir, 'outbox'));
    fs.writeFileSync(path.join(dir, 'outbox', 'segment-1'), Buffer.alloc(300));
    expect(agentStatus(dir, Date.parse('2026-11-26T09:00:00Z'))).toMatchObject({ enrolled: true, machineId: config.machineId, credentialsExpired: false, outboxBytes: 300 });
    expect(agentStatus(dir, Date.parse('2026-11-26T11:00:00Z')).credentialsExpired).toBe(true);
    expect(agentStatus(dir).policy).toBeUndefined();
    storePolicy(dir, {
      version: 'v1',
      metricsIntervalSeconds: 120,
      watchServices: ['nginx'],
      watchProcesses: [],
      policy: { id: '3f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b', name: 'Serveurs', scope: { kind: 'all' } },
    });
    expect(agentStatus(dir).policy).toEqual({ name: 'Serveurs', metricsSeconds: 120, watchServices: ['nginx'], watchProcesses: [] });
  });
});
