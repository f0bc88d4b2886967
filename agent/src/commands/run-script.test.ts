import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, InterpreterNotFoundError, runScript, utf8Prefix } from './run-script';

const linux = process.platform === 'linux' ? describe : describe.skip;
const hasPython = findExecutable(['python3', 'python']) !== undefined;

let tmpDir: string;
beforeEach(() => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-run-'));
});
afterEach(() => fs.rmSync(tmpDir, { recursive: true, force: true }));

/** Running, not a zombie waiting for its (re)parent to reap it. */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
};

linux('runScript', () => {
  it('runs bash: stdout, stderr, exit code, duration; the private script file is gone afterwards', async () => {
    const result = await runScript(
      {
        language: 'bash',
        script: 'echo "hello $1-$2"; echo oops >&2; stat -c "%a" "$0" "$(dirname "$0")"; [[ -n "$BASH_VERSION" ]] && exit 3',
        args: ['a b', 'c'],
        timeoutMs: 10_000,
      },
      { tmpDir },
    );
    expect(result).toMatchObject({
      exitCode: 3,
      signal: null,
      timedOut: false,
      stdout: 'hello a b-c\n700\n700\n',
      stderr: 'oops\n',
      stdoutTruncated: false,
      stderrTruncated: false,
    });
    expect(path.basename(result.interpreter)).toBe('bash');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  });

  it('runs sh with the extra environment, stdin closed', async () => {
    const result = await runScript({ language: 'sh', script: 'cat; echo "$GREETING"', env: { GREETING: 'bonjour' } }, { tmpDir });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'bonjour\n' });
  });

  (hasPython ? it : it.skip)('runs python3: output, unicode, exit code', async () => {
    const result = await runScript(
      { language: 'python', script: 'import sys\nprint("état: ok")\nprint("warn", file=sys.stderr)\nsys.exit(5)\n' },
      { tmpDir },
    );
    expect(result).toMatchObject({ exitCode: 5, stdout: 'état: ok\n', stderr: 'warn\n', timedOut: false });
    expect(path.basename(result.interpreter)).toMatch(/^python3?$/);
  });

  it('a timeout kills the whole process group (sleep 30 included) within the limit', async () => {
    const started = Date.now();
    const result = await runScript(
      { language: 'bash', script: 'sleep 30 & echo $!; wait', timeoutMs: 500 },
      { tmpDir, killGraceMs: 1000 },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ timedOut: true, exitCode: null, signal: 'SIGTERM' });
    const sleeper = Number(result.stdout.trim());
    expect(sleeper).toBeGreaterThan(0);
    expect(alive(sleeper)).toBe(false);
    expect(fs.readdirSync(tmpDir)).toEqual([]);
  });

  it('a cancel (abort) stops the whole process group at once and says so', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const running = runScript({ language: 'bash', script: 'sleep 30 & echo $!; wait', timeoutMs: 60_000, signal: controller.signal }, { tmpDir, killGraceMs: 1000 });
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    const result = await running;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
    expect(alive(Number(result.stdout.trim()))).toBe(false);
    // Already aborted before it starts: stopped at once too.
    const early = await runScript({ language: 'bash', script: 'sleep 30', signal: AbortSignal.abort() }, { tmpDir });
    expect(early).toMatchObject({ cancelled: true });
    // A script that ended on its own is not cancelled by a late abort.
    const late = new AbortController();
    const done = await runScript({ language: 'bash', script: 'echo ok', signal: late.signal }, { tmpDir });
    late.abort();
    expect(done).toMatchObject({ cancelled: false, exitCode: 0, stdout: 'ok\n' });
  });

  it('escalates to SIGKILL when the script ignores SIGTERM', async () => {
    const started = Date.now();
    const result = await runScript(
      { language: 'bash', script: "trap '' TERM; echo started; sleep 30", timeoutMs: 300 },
      { tmpDir, killGraceMs: 300 },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ timedOut: true, signal: 'SIGKILL', stdout: 'started\n' });
  });

  (hasPython ? it : it.skip)('keeps python output written before a timeout', async () => {
    const result = await runScript(
      { language: 'python', script: 'import time\nprint("before")\ntime.sleep(30)\n', timeoutMs: 700 },
      { tmpDir, killGraceMs: 500 },
    );
    expect(result).toMatchObject({ timedOut: true, stdout: 'before\n' });
  });

  it('caps each stream and says it truncated, without killing the script', async () => {
    const result = await runScript(
      { language: 'bash', script: 'head -c 300000 /dev/zero | tr "\\0" a; printf "é%.0s" $(seq 1 100) >&2; echo done >&2', maxOutputBytes: 1001 },
      { tmpDir },
    );
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('a'.repeat(1001));
    expect(result.stdoutTruncated).toBe(true);
    expect(result.stderrTruncated).toBe(false);
    expect(result.stderr).toBe(`${'é'.repeat(100)}done\n`);
    const cut = await runScript({ language: 'bash', script: 'printf "é%.0s" $(seq 1 100)', maxOutputBytes: 11 }, { tmpDir });
    expect(cut).toMatchObject({ stdout: 'ééééé', stdoutTruncated: true });
  });

  it('does not wait for a background process that keeps the output open', async () => {
    const started = Date.now();
    const result = await runScript(
      { language: 'bash', script: 'sleep 5 & echo $!; echo main done', timeoutMs: 20_000 },
      { tmpDir, drainMs: 200 },
    );
    expect(Date.now() - started).toBeLessThan(3000);
    const [pid] = result.stdout.split('\n');
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.stdout).toContain('main done');
    process.kill(Number(pid), 'SIGKILL');
  });

  it('says clearly when the interpreter is missing', async () => {
    const empty = fs.mkdtempSync(path.join(tmpDir, 'path-'));
    await expect(runScript({ language: 'python', script: 'print(1)' }, { searchPath: empty, tmpDir })).rejects.toThrow(
      new InterpreterNotFoundError('python', ['python3', 'python']),
    );
    await expect(runScript({ language: 'powershell', script: 'Write-Output 1' }, { searchPath: empty })).rejects.toThrow(
      'no interpreter for powershell on this machine (looked for pwsh, powershell in PATH)',
    );
    expect(fs.readdirSync(tmpDir)).toEqual([path.basename(empty)]);
  });

  it('finds only executable files', () => {
    const dir = fs.mkdtempSync(path.join(tmpDir, 'bin-'));
    fs.writeFileSync(path.join(dir, 'python3'), '#!/bin/sh\n', { mode: 0o644 });
    fs.mkdirSync(path.join(dir, 'python'));
    expect(findExecutable(['python3', 'python'], dir)).toBeUndefined();
    fs.chmodSync(path.join(dir, 'python3'), 0o755);
    expect(findExecutable(['python3', 'python'], `/nonexistent${path.delimiter}${dir}`)).toBe(path.join(dir, 'python3'));
  });

  it('refuses bad requests before running anything', async () => {
    await expect(runScript({ language: 'ruby' as never, script: 'puts 1' })).rejects.toThrow('unknown script language');
    await expect(runScript({ language: 'bash', script: 'true', timeoutMs: 0 })).rejects.toThrow(RangeError);
    await expect(runScript({ language: 'bash', script: 'x'.repeat(2 * 1024 * 1024) })).rejects.toThrow('1 MiB');
  });
});

describe('utf8Prefix', () => {
  it('drops a sequence cut by the cap, keeps complete ones', () => {
    const e = Buffer.from('é'); // 2 bytes
    const euro = Buffer.from('€'); // 3 bytes
    expect(utf8Prefix(Buffer.concat([Buffer.from('a'), e.subarray(0, 1)]))).toBe('a');
    expect(utf8Prefix(Buffer.concat([Buffer.from('a'), e]))).toBe('aé');
    expect(utf8Prefix(Buffer.concat([Buffer.from('a'), euro.subarray(0, 2)]))).toBe('a');
    expect(utf8Prefix(Buffer.concat([Buffer.from('a'), Buffer.from('😀').subarray(0, 3)]))).toBe('a');
    expect(utf8Prefix(Buffer.from('😀'))).toBe('😀');
    expect(utf8Prefix(Buffer.alloc(0))).toBe('');
  });
});
