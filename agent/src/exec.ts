import { spawn } from 'node:child_process';

/**
 * How the agent runs a system tool (systemctl, journalctl…). Collectors and commands take a `CommandRunner`
 * instead of spawning directly, so tests replay recorded outputs and never touch the machine's services.
 *
 * The contract: the promise resolves whatever the exit code (`systemctl is-active` exits 3 for "inactive",
 * which is an answer, not a failure), and rejects only when the program cannot be started (ENOENT: no systemd
 * on this machine). Output beyond `maxOutputBytes` and runs beyond `timeoutMs` are cut, and said so.
 */

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** stdout reached `maxOutputBytes`; the tool was stopped and the output is cut. */
  truncated: boolean;
}

export interface RunOptions {
  /** Default 30 s. */
  timeoutMs?: number;
  /** Cap on stdout; stderr is kept to 64 KiB. Default 16 MiB. */
  maxOutputBytes?: number;
}

export type CommandRunner = (file: string, args: readonly string[], options?: RunOptions) => Promise<RunResult>;

const STDERR_CAP = 64 * 1024;

/** The real runner: no shell, C locale (parsable output), no pager, no colours. */
export const execRunner: CommandRunner = (file, args, options = {}) =>
  new Promise<RunResult>((resolve, reject) => {
    const maxOutput = options.maxOutputBytes ?? 16 * 1024 * 1024;
    const child = spawn(file, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C', SYSTEMD_PAGER: '', SYSTEMD_COLORS: '0', PAGER: 'cat' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = maxOutput - outBytes;
      if (chunk.length >= room) {
        out.push(chunk.subarray(0, room));
        outBytes = maxOutput;
        truncated = true;
        child.kill('SIGTERM');
      } else {
        out.push(chunk);
        outBytes += chunk.length;
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errBytes >= STDERR_CAP) return;
      err.push(chunk.subarray(0, STDERR_CAP - errBytes));
      errBytes += Math.min(chunk.length, STDERR_CAP - errBytes);
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        truncated,
      });
    });
  });
