import fs from 'node:fs';
import path from 'node:path';
import type { CommandRunner, RunResult } from '../exec';
import { collectWatched, parseSystemctlShow, processStates, serviceStates } from './services';

const SHOW = fs.readFileSync(path.join(__dirname, 'fixtures', 'systemctl-show.txt'), 'utf8');
const result = (stdout: string, code = 0): RunResult => ({ code, signal: null, stdout, stderr: '', timedOut: false, truncated: false });

describe('parseSystemctlShow', () => {
  it('splits one block per unit', () => {
    const blocks = parseSystemctlShow(SHOW);
    expect(blocks).toHaveLength(5);
    expect(blocks[2]).toEqual({
      Id: 'nope.service',
      Names: 'nope.service',
      LoadState: 'not-found',
      ActiveState: 'inactive',
      SubState: 'dead',
      UnitFileState: '',
    });
  });
});

describe('serviceStates', () => {
  it('maps each watched name to its block, aliases included, and asks systemd once', async () => {
    const calls: string[][] = [];
    const runner: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return result(SHOW);
    };
    const states = await serviceStates(['sshd', 'nginx', 'nope', 'postgresql@16-main', 'backup.timer', '--force', 'gone'], runner);
    expect(calls).toEqual([
      [
        'systemctl', 'show', '-p', 'Id,Names,LoadState,ActiveState,SubState,UnitFileState',
        'sshd.service', 'nginx.service', 'nope.service', 'postgresql@16-main.service', 'backup.timer', 'gone.service',
      ],
    ]);
    expect(states.map((s) => [s.name, s.unit, s.exists, s.active, s.activeState, s.subState, s.unitFileState])).toEqual([
      ['sshd', 'ssh.service', true, true, 'active', 'running', 'enabled'],
      ['nginx', 'nginx.service', true, false, 'failed', 'failed', 'enabled'],
      ['nope', 'nope.service', false, false, 'inactive', 'dead', ''],
      ['postgresql@16-main', 'postgresql@16-main.service', true, true, 'active', 'running', 'enabled-runtime'],
      ['backup.timer', 'backup.timer', true, true, 'active', 'waiting', 'disabled'],
      ['--force', '--force', false, false, 'unknown', 'unknown', ''],
      ['gone', 'gone.service', false, false, 'unknown', 'unknown', ''],
    ]);
    expect(states[5]!.loadState).toBe('invalid');
  });

  it('reports unknown states when systemd is absent, and does not call it for nothing', async () => {
    let called = 0;
    const absent: CommandRunner = async () => {
      called += 1;
      throw Object.assign(new Error('spawn systemctl ENOENT'), { code: 'ENOENT' });
    };
    const [state] = await serviceStates(['cron'], absent);
    expect(state).toMatchObject({ name: 'cron', unit: 'cron.service', loadState: 'unknown', activeState: 'unknown', active: false });
    expect(await serviceStates([], absent)).toEqual([]);
    expect(called).toBe(1);
  });
});

describe('processes', () => {
  const procs = [
    { pid: 1, comm: 'systemd', exe: 'systemd' },
    { pid: 200, comm: 'postgres', exe: 'postgres' },
    { pid: 201, comm: 'postgres', exe: 'postgres:' },
    { pid: 300, comm: 'node', exe: 'vigie-agent' },
  ];

  it('watched processes by name, with their pids', () => {
    expect(processStates(['postgres', 'vigie-agent', 'mysqld'], procs)).toEqual([
      { name: 'postgres', running: true, pids: [200, 201] },
      { name: 'vigie-agent', running: true, pids: [300] },
      { name: 'mysqld', running: false, pids: [] },
    ]);
  });

  it('collectWatched reads this machine for processes', async () => {
    if (process.platform !== 'linux') return;
    const runner: CommandRunner = async () => result('');
    const state = await collectWatched({ services: [], processes: ['node', 'no-such-daemon'], runner });
    expect(state.services).toEqual([]);
    expect(state.processes[0]).toMatchObject({ name: 'node', running: true });
    expect(state.processes[0]!.pids).toContain(process.pid);
    expect(state.processes[1]).toEqual({ name: 'no-such-daemon', running: false, pids: [] });
  });
});
