import type { CommandRunner, RunResult } from '../exec';
import { AGENT_VERSION } from '../version';
import { ping } from './ping';
import { rebootCommand, scheduleReboot } from './reboot';
import { restartService } from './restart-service';

const result = (extra: Partial<RunResult> = {}): RunResult => ({
  code: 0, signal: null, stdout: '', stderr: '', timedOut: false, truncated: false, ...extra,
});

function recorder(answers: Record<string, Partial<RunResult>>) {
  const calls: string[][] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([file, ...args]);
    return result(answers[args[0] ?? ''] ?? {});
  };
  return { calls, runner };
}

describe('ping', () => {
  it('answers the version and the agent clock', () => {
    const answer = ping(() => new Date('2026-03-01T10:00:00Z'));
    expect(answer).toMatchObject({ agentVersion: AGENT_VERSION, time: '2026-03-01T10:00:00.000Z' });
    expect(answer.hostname).toBeTruthy();
    expect(answer.agentUptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe('restartService', () => {
  it('restarts the unit and reports its state afterwards', async () => {
    const { calls, runner } = recorder({ restart: {}, 'is-active': { stdout: 'active\n' } });
    const res = await restartService('nginx', { runner });
    expect(calls).toEqual([
      ['systemctl', 'restart', 'nginx.service'],
      ['systemctl', 'is-active', 'nginx.service'],
    ]);
    expect(res).toMatchObject({ unit: 'nginx.service', ok: true, exitCode: 0, activeState: 'active', stderr: '' });
  });

  it('reports a failed restart with systemctl’s message', async () => {
    const { runner } = recorder({
      restart: { code: 1, stderr: 'Job for nginx.service failed because the control process exited with error code.\n' },
      'is-active': { code: 3, stdout: 'failed\n' },
    });
    expect(await restartService('nginx.service', { runner })).toMatchObject({
      ok: false,
      exitCode: 1,
      activeState: 'failed',
      stderr: expect.stringContaining('Job for nginx.service failed'),
    });
  });

  it('refuses a name that is not a unit, without running anything', async () => {
    const { calls, runner } = recorder({});
    await expect(restartService('--now', { runner })).rejects.toThrow('invalid systemd unit name');
    await expect(restartService('a b', { runner })).rejects.toThrow(RangeError);
    await expect(restartService('../etc/passwd', { runner })).rejects.toThrow(RangeError);
    expect(calls).toEqual([]);
  });
});

describe('scheduleReboot', () => {
  function manualTimer() {
    const pending: { fn: () => void; ms: number; cancelled: boolean }[] = [];
    return {
      pending,
      setTimer: (fn: () => void, ms: number) => {
        const entry = { fn, ms, cancelled: false };
        pending.push(entry);
        return { cancel: () => void (entry.cancelled = true) };
      },
    };
  }

  it('reboots through the runner after the delay', async () => {
    const { calls, runner } = recorder({ reboot: {} });
    const timer = manualTimer();
    const scheduled = scheduleReboot({
      delaySeconds: 30, runner, setTimer: timer.setTimer, now: () => new Date('2026-03-01T10:00:00Z'), platform: 'linux',
    });
    expect(scheduled.dueAt).toBe('2026-03-01T10:00:30.000Z');
    expect(timer.pending.map((p) => p.ms)).toEqual([30_000]);
    expect(calls).toEqual([]);
    timer.pending[0]!.fn();
    expect(await scheduled.done).toMatchObject({ code: 0 });
    expect(calls).toEqual([['systemctl', 'reboot']]);
    expect(scheduled.cancel()).toBe(false);
  });

  it('can be cancelled before it is due', async () => {
    const { calls, runner } = recorder({});
    const timer = manualTimer();
    const scheduled = scheduleReboot({ delaySeconds: 60, runner, setTimer: timer.setTimer });
    expect(scheduled.cancel()).toBe(true);
    expect(timer.pending[0]!.cancelled).toBe(true);
    timer.pending[0]!.fn();
    expect(await scheduled.done).toBeUndefined();
    expect(calls).toEqual([]);
  });

  it('with the real timer, a zero delay reboots at once (through the fake runner)', async () => {
    const { calls, runner } = recorder({});
    await scheduleReboot({ delaySeconds: 0, runner }).done;
    expect(calls).toHaveLength(1);
  });

  it('checks the delay and knows the Windows command', () => {
    expect(() => scheduleReboot({ delaySeconds: -1 })).toThrow(RangeError);
    expect(() => scheduleReboot({ delaySeconds: 1.5 })).toThrow(RangeError);
    expect(() => scheduleReboot({ delaySeconds: 90_000 })).toThrow(RangeError);
    expect(rebootCommand('win32')[0]).toBe('shutdown');
    expect(rebootCommand('linux')).toEqual(['systemctl', ['reboot']]);
  });
});
