import { execRunner, type CommandRunner, type RunResult } from '../exec';

/**
 * `reboot` with a delay. The delay is kept by the agent (not `shutdown -r +N`, whose unit is the minute) so it
 * can answer the command and flush its outbox first, and so a pending reboot can be cancelled. If the agent
 * itself stops during the delay, the reboot does not happen: the command's result says when it was due, and
 * the server sees the machine never went down. The runner and the timer are injected so tests never reboot.
 */

export interface RebootOptions {
  /** 0 to 24 h. */
  delaySeconds: number;
  runner?: CommandRunner;
  now?: () => Date;
  /** Default `setTimeout` (unref'd: a pending reboot does not keep the process alive on its own). */
  setTimer?: (fn: () => void, ms: number) => { cancel(): void };
  platform?: NodeJS.Platform;
}

export interface ScheduledReboot {
  /** When the reboot command runs, UTC ISO 8601. */
  dueAt: string;
  delaySeconds: number;
  /** Cancels the reboot if it has not started; returns whether it was still pending. */
  cancel(): boolean;
  /** The reboot command's result (a machine that reboots may never get here), or undefined if cancelled. */
  done: Promise<RunResult | undefined>;
}

/** The command that reboots now. */
export function rebootCommand(platform: NodeJS.Platform = process.platform): [string, string[]] {
  return platform === 'win32' ? ['shutdown', ['/r', '/t', '0', '/d', 'p:0:0']] : ['systemctl', ['reboot']];
}

const defaultTimer = (fn: () => void, ms: number) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
};

export function scheduleReboot(options: RebootOptions): ScheduledReboot {
  const { delaySeconds } = options;
  if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > 86_400) {
    throw new RangeError('delaySeconds must be an integer between 0 and 86400');
  }
  const runner = options.runner ?? execRunner;
  const now = options.now ?? (() => new Date());
  const [command, args] = rebootCommand(options.platform);
  let pending = true;
  let settle: (result: RunResult | undefined) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const done = new Promise<RunResult | undefined>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const timer = (options.setTimer ?? defaultTimer)(() => {
    if (!pending) return;
    pending = false;
    runner(command, args, { timeoutMs: 60_000 }).then(settle, fail);
  }, delaySeconds * 1000);
  return {
    dueAt: new Date(now().getTime() + delaySeconds * 1000).toISOString(),
    delaySeconds,
    cancel() {
      if (!pending) return false;
      pending = false;
      timer.cancel();
      settle(undefined);
      return true;
    },
    done,
  };
}
