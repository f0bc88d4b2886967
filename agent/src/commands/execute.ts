import { MAX_COMMAND_OUTPUT, type AgentCommand, type CommandResult, type RunScriptParams } from '@vigie/core/agent';
import type { CommandRunner } from '../exec';
import { ping } from './ping';
import { scheduleReboot } from './reboot';
import { restartService } from './restart-service';
import { findExecutable, runScript, type ScriptLanguage } from './run-script';

/** A command's final report, without the fields the dispatcher adds (seq, command id, time). */
export type CommandOutcome = Pick<CommandResult, 'exitCode' | 'stdout' | 'stderr' | 'durationMs' | 'error' | 'result'> & {
  /** cancelled: a script stopped because its command was cancelled (the other commands run to their end). */
  status: 'succeeded' | 'failed' | 'cancelled';
  /** Runs once the report is queued and the command acked (a reboot must not come before its own report). */
  afterReport?: () => void;
};

export interface ExecuteOptions {
  /** For systemctl and the reboot; tests pass a recorder. */
  runner?: CommandRunner;
  platform?: NodeJS.Platform;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /** Aborted when the command is cancelled while it runs. */
  signal?: AbortSignal;
}

const failed = (error: unknown): CommandOutcome => ({ status: 'failed', error: (error instanceof Error ? error.message : String(error)).slice(0, 2000) });

/** `auto`: PowerShell on Windows, bash where there is one, else sh. */
export function scriptLanguage(interpreter: RunScriptParams['interpreter'], platform: NodeJS.Platform = process.platform): ScriptLanguage {
  if (interpreter !== 'auto') return interpreter;
  if (platform === 'win32') return 'powershell';
  return findExecutable(['bash']) ? 'bash' : 'sh';
}

async function runScriptCommand(params: RunScriptParams, options: ExecuteOptions): Promise<CommandOutcome> {
  const r = await runScript({
    language: scriptLanguage(params.interpreter, options.platform),
    script: params.script,
    timeoutMs: params.timeoutSeconds * 1000,
    maxOutputBytes: MAX_COMMAND_OUTPUT,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const error = r.cancelled
    ? `cancelled: the script was stopped${r.signal ? ` (${r.signal})` : ''}`
    : r.timedOut
      ? `timed out after ${params.timeoutSeconds} s`
      : r.signal
        ? `killed by ${r.signal}`
        : undefined;
  return {
    status: r.cancelled ? 'cancelled' : r.exitCode === 0 && !r.timedOut ? 'succeeded' : 'failed',
    exitCode: r.exitCode,
    stdout: r.stdout,
    stderr: r.stderr,
    durationMs: r.durationMs,
    ...(error ? { error } : {}),
    result: { interpreter: r.interpreter, signal: r.signal, timedOut: r.timedOut, cancelled: r.cancelled, stdoutTruncated: r.stdoutTruncated, stderrTruncated: r.stderrTruncated },
  };
}

async function restartServiceCommand(service: string, options: ExecuteOptions): Promise<CommandOutcome> {
  const r = await restartService(service, options.runner ? { runner: options.runner } : {});
  return {
    status: r.ok ? 'succeeded' : 'failed',
    exitCode: r.exitCode,
    stderr: r.stderr.slice(0, MAX_COMMAND_OUTPUT),
    durationMs: r.durationMs,
    ...(r.ok ? {} : { error: `systemctl restart ${r.unit} failed` }),
    result: { unit: r.unit, activeState: r.activeState },
  };
}

/** The reboot is scheduled only after the report is queued; the report says when it is due. */
function rebootCommand(delaySeconds: number, options: ExecuteOptions): CommandOutcome {
  const dueAt = new Date(Date.now() + delaySeconds * 1000).toISOString();
  return {
    status: 'succeeded',
    durationMs: 0,
    result: { dueAt, delaySeconds },
    afterReport: () => {
      const scheduled = scheduleReboot({ delaySeconds, ...(options.runner ? { runner: options.runner } : {}), ...(options.platform ? { platform: options.platform } : {}) });
      scheduled.done.then(
        (r) => options.log?.('reboot command ran', { code: r?.code, stderr: r?.stderr }),
        (err: unknown) => options.log?.('reboot failed', { err: (err as Error).message }),
      );
    },
  };
}

/** Runs one command with the existing implementations; a command that cannot run is a `failed` outcome, never a throw. */
export async function executeCommand(command: AgentCommand, options: ExecuteOptions = {}): Promise<CommandOutcome> {
  try {
    switch (command.name) {
      case 'ping':
        return { status: 'succeeded', durationMs: 0, result: { ...ping() } };
      case 'run-script':
        return await runScriptCommand(command.params, options);
      case 'restart-service':
        return await restartServiceCommand(command.params.service, options);
      case 'reboot':
        return rebootCommand(command.params.delaySeconds, options);
    }
  } catch (error) {
    return failed(error);
  }
}
