import { randomUUID } from 'node:crypto';
import type { AgentCommand } from '@vigie/core';
import type { CommandRunner, RunResult } from '../exec';
import { executeCommand, scriptLanguage } from './execute';

const result = (extra: Partial<RunResult> = {}): RunResult => ({ code: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, ...extra });

function recorder(answers: Record<string, Partial<RunResult>>) {
  const calls: string[][] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args]);
    return result(answers[args[0] ?? ''] ?? {});
  };
  return { calls, runner };
}

const command = (c: Omit<AgentCommand, 'id' | 'expiresAt'>): AgentCommand => ({ id: randomUUID(), expiresAt: new Date().toISOString(), ...c }) as AgentCommand;

describe('executeCommand', () => {
  it('schedules a reboot only after the report, when the dispatcher says so', async () => {
    const { calls, runner } = recorder({ reboot: {} });
    const outcome = await executeCommand(command({ name: 'reboot', params: { delaySeconds: 0 } }), { runner, platform: 'linux' });
    expect(outcome).toMatchObject({ status: 'succeeded', result: { delaySeconds: 0, dueAt: expect.any(String) } });
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([]);
    outcome.afterReport!();
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toEqual([['systemctl', 'reboot']]);
  });

  it('reports a service restart and its state; a failed restart is a failed command', async () => {
    const ok = recorder({ restart: {}, 'is-active': { stdout: 'active\n' } });
    expect(await executeCommand(command({ name: 'restart-service', params: { service: 'nginx' } }), { runner: ok.runner })).toMatchObject({
      status: 'succeeded',
      exitCode: 0,
      result: { unit: 'nginx.service', activeState: 'active' },
    });
    const bad = recorder({ restart: { code: 5, stderr: 'Unit nginx.service not found.\n' }, 'is-active': { code: 3, stdout: 'inactive\n' } });
    expect(await executeCommand(command({ name: 'restart-service', params: { service: 'nginx' } }), { runner: bad.runner })).toMatchObject({
      status: 'failed',
      exitCode: 5,
      stderr: 'Unit nginx.service not found.',
      error: 'systemctl restart nginx.service failed',
    });
  });

  it('turns what cannot run into a failed outcome instead of throwing', async () => {
    const missing: CommandRunner = () => Promise.reject(Object.assign(new Error('spawn systemctl ENOENT'), { code: 'ENOENT' }));
    expect(await executeCommand(command({ name: 'restart-service', params: { service: 'nginx' } }), { runner: missing })).toEqual({
      status: 'failed',
      error: 'spawn systemctl ENOENT',
    });
  });

  (process.platform === 'linux' ? it : it.skip)('reports a script stopped by a cancel as cancelled, with what it wrote', async () => {
    const controller = new AbortController();
    const running = executeCommand(command({ name: 'run-script', params: { interpreter: 'bash', script: 'echo started; sleep 30', timeoutSeconds: 60 } }), { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    expect(await running).toMatchObject({ status: 'cancelled', stdout: 'started\n', error: expect.stringMatching(/^cancelled/), result: { cancelled: true, timedOut: false } });
  });

  it('answers a ping with the agent version', async () => {
    expect(await executeCommand(command({ name: 'ping', params: {} }))).toMatchObject({ status: 'succeeded', result: { agentVersion: expect.any(String) } });
  });

  it('picks PowerShell on Windows and a POSIX shell elsewhere for "auto"', () => {
    expect(scriptLanguage('auto', 'win32')).toBe('powershell');
    expect(['bash', 'sh']).toContain(scriptLanguage('auto', 'linux'));
    expect(scriptLanguage('python', 'linux')).toBe('python');
  });
});
