import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `run-script`: a technician's or a playbook's script run on the machine. What matters here:
 * - the interpreter is found on PATH (python3 before python, pwsh before Windows PowerShell), and a missing one
 *   is a clear error, not an ENOENT;
 * - the script goes to a private temporary directory (0700, file 0700) that is removed afterwards, so another
 *   local user can neither read nor swap it before it runs;
 * - the script runs in its own process group, so a timeout or a cancel (`signal`) kills everything it started
 *   (SIGTERM, then SIGKILL after a grace period), not only the interpreter;
 * - stdout and stderr are kept up to a cap each (the rest is read and discarded so the script never blocks on
 *   a full pipe), and the result says so.
 */

export type ScriptLanguage = 'bash' | 'sh' | 'python' | 'powershell';
export const SCRIPT_LANGUAGES: readonly ScriptLanguage[] = ['bash', 'sh', 'python', 'powershell'];

export interface RunScriptRequest {
  language: ScriptLanguage;
  script: string;
  args?: string[];
  /** Default 5 minutes, at most 24 hours. */
  timeoutMs?: number;
  /** Cap per stream, in bytes. Default 1 MiB. */
  maxOutputBytes?: number;
  /** Added to the agent's environment. */
  env?: Record<string, string>;
  /** Default: the script's private temporary directory. */
  cwd?: string;
  /** Aborting it stops the script like a timeout does (the command was cancelled). */
  signal?: AbortSignal;
}

export interface RunScriptResult {
  /** Absolute path of the interpreter used. */
  interpreter: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Stopped because `signal` was aborted. */
  cancelled: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  durationMs: number;
}

export interface RunScriptOptions {
  /** Where interpreters are looked for. Default `process.env.PATH`. */
  searchPath?: string;
  /** Between SIGTERM and SIGKILL on timeout. Default 5 s. */
  killGraceMs?: number;
  /** Parent of the private temporary directory. Default `os.tmpdir()`. */
  tmpDir?: string;
  /** After the script exits, how long to wait for processes it left behind to release its output. Default 1 s. */
  drainMs?: number;
}

export class InterpreterNotFoundError extends Error {
  constructor(
    readonly language: ScriptLanguage,
    readonly candidates: readonly string[],
  ) {
    super(`no interpreter for ${language} on this machine (looked for ${candidates.join(', ')} in PATH)`);
    this.name = 'InterpreterNotFoundError';
  }
}

interface InterpreterSpec {
  candidates: string[];
  extension: string;
  args: (file: string) => string[];
  env?: Record<string, string>;
  /** Windows PowerShell 5.1 reads a BOM-less script as ANSI. */
  bom?: boolean;
}

const INTERPRETERS: Record<ScriptLanguage, InterpreterSpec> = {
  bash: { candidates: ['bash'], extension: '.sh', args: (file) => [file] },
  sh: { candidates: ['sh'], extension: '.sh', args: (file) => [file] },
  python: {
    candidates: process.platform === 'win32' ? ['python3', 'python', 'py'] : ['python3', 'python'],
    extension: '.py',
    args: (file) => [file],
    // Unbuffered, so the output written before a timeout is not lost with the process.
    env: { PYTHONUNBUFFERED: '1', PYTHONIOENCODING: 'utf-8' },
  },
  powershell: {
    candidates: ['pwsh', 'powershell'],
    extension: '.ps1',
    args: (file) => ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-File', file],
    bom: true,
  },
};

const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;
const MAX_SCRIPT_BYTES = 1024 * 1024;

/** The first executable named like one of `candidates` on `searchPath` (PATHEXT extensions on Windows). */
export function findExecutable(candidates: readonly string[], searchPath = process.env.PATH ?? ''): string | undefined {
  const extensions =
    process.platform === 'win32' ? (process.env.PATHEXT ?? '.EXE;.CMD;.BAT;.COM').split(';').filter(Boolean) : [''];
  for (const name of candidates) {
    for (const dir of searchPath.split(path.delimiter).filter(Boolean)) {
      for (const extension of extensions) {
        const file = path.join(dir, name + extension);
        try {
          if (!fs.statSync(file).isFile()) continue;
          fs.accessSync(file, fs.constants.X_OK);
          return file;
        } catch {
          // not here
        }
      }
    }
  }
  return undefined;
}

/** Finds the interpreter for `language`, or throws InterpreterNotFoundError. */
export function findInterpreter(language: ScriptLanguage, searchPath?: string): string {
  const spec = INTERPRETERS[language];
  const found = findExecutable(spec.candidates, searchPath);
  if (!found) throw new InterpreterNotFoundError(language, spec.candidates);
  return found;
}

/** Drops an incomplete UTF-8 sequence left at the end by the cap. */
export function utf8Prefix(buf: Buffer): string {
  let end = buf.length;
  for (let back = 1; back <= Math.min(3, buf.length); back += 1) {
    const byte = buf[buf.length - back]!;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    if (needed > back) end = buf.length - back;
    break;
  }
  return buf.subarray(0, end).toString('utf8');
}

class CappedBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    const room = this.cap - this.size;
    if (chunk.length > room) this.truncated = true;
    if (room <= 0) return;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return this.truncated ? utf8Prefix(all) : all.toString('utf8');
  }
}

function validate(request: RunScriptRequest): void {
  if (!SCRIPT_LANGUAGES.includes(request.language)) throw new RangeError(`unknown script language: ${String(request.language)}`);
  if (typeof request.script !== 'string') throw new TypeError('script must be a string');
  if (Buffer.byteLength(request.script) > MAX_SCRIPT_BYTES) throw new RangeError('script larger than 1 MiB');
  const timeout = request.timeoutMs;
  if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 1 || timeout > MAX_TIMEOUT_MS)) {
    throw new RangeError('timeoutMs must be between 1 ms and 24 h');
  }
  const cap = request.maxOutputBytes;
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 0)) throw new RangeError('maxOutputBytes must be a non-negative integer');
}

export async function runScript(request: RunScriptRequest, options: RunScriptOptions = {}): Promise<RunScriptResult> {
  validate(request);
  const spec = INTERPRETERS[request.language];
  const interpreter = findInterpreter(request.language, options.searchPath);
  const dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'vigie-script-'));
  try {
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, `script${spec.extension}`);
    const body = spec.bom ? `\uFEFF${request.script}` : request.script;
    fs.writeFileSync(file, body, { mode: 0o700, flag: 'wx' });
    return await execute(interpreter, [...spec.args(file), ...(request.args ?? [])], {
      cwd: request.cwd ?? dir,
      env: { ...process.env, ...spec.env, ...request.env },
      timeoutMs: request.timeoutMs ?? 5 * 60 * 1000,
      maxOutputBytes: request.maxOutputBytes ?? 1024 * 1024,
      killGraceMs: options.killGraceMs ?? 5000,
      drainMs: options.drainMs ?? 1000,
      signal: request.signal,
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface ExecuteOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  maxOutputBytes: number;
  killGraceMs: number;
  drainMs: number;
  signal: AbortSignal | undefined;
}

function execute(interpreter: string, args: string[], options: ExecuteOptions): Promise<RunScriptResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const posix = process.platform !== 'win32';
    const child = spawn(interpreter, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group (setsid), so the whole tree can be signalled.
      detached: posix,
      windowsHide: true,
    });
    const stdout = new CappedBuffer(options.maxOutputBytes);
    const stderr = new CappedBuffer(options.maxOutputBytes);
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    let timedOut = false;
    let cancelled = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let settled = false;

    const signalTree = (signal: NodeJS.Signals) => {
      try {
        if (posix && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // already gone
      }
    };
    const stopping = () => timedOut || cancelled;
    const stopTree = () => {
      signalTree('SIGTERM');
      killTimer = setTimeout(() => {
        signalTree('SIGKILL');
        // A process that left the group (setsid) may still hold the pipes.
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, options.drainMs);
      }, options.killGraceMs);
    };
    const timeoutTimer = setTimeout(() => {
      if (stopping()) return;
      timedOut = true;
      stopTree();
    }, options.timeoutMs);
    const onAbort = () => {
      // A script that ended on its own was not cancelled, whatever comes after.
      if (stopping() || settled || exit) return;
      cancelled = true;
      stopTree();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(drainTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // After a timeout or a cancel, nothing the script started survives.
      if (stopping()) signalTree('SIGKILL');
      clearTimeout(killTimer);
      resolve({
        interpreter,
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut,
        cancelled,
        stdout: stdout.text(),
        stderr: stderr.text(),
        stdoutTruncated: stdout.truncated,
        stderrTruncated: stderr.truncated,
        durationMs: Math.round(performance.now() - started),
      });
    };

    child.once('error', (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timeoutTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      // A background process the script started may keep the pipes open: do not wait for it forever.
      if (!stopping()) {
        drainTimer = setTimeout(() => {
          child.stdout.destroy();
          child.stderr.destroy();
          finish();
        }, options.drainMs);
      }
    });
    child.once('close', (code, signal) => {
      exit ??= { code, signal };
      finish();
    });
  });
}
