import { execRunner, type CommandRunner } from '../exec';
import { normalizeUnit } from '../systemd';

/**
 * `restart-service`: `systemctl restart <unit>`, then the unit's state, so the technician sees whether it came
 * back (a restart that "succeeds" into a crash loop shows `activating` or `failed`). The name is checked first:
 * it comes from the server and ends up as a systemctl argument.
 */

export interface RestartServiceResult {
  unit: string;
  /** systemctl restart exited 0. */
  ok: boolean;
  exitCode: number | null;
  stderr: string;
  /** `systemctl is-active` after the restart: `active`, `failed`, `activating`… or `unknown`. */
  activeState: string;
  durationMs: number;
}

export interface RestartServiceOptions {
  runner?: CommandRunner;
  /** systemd waits up to 90 s for a stop by default; the restart gets a little more. Default 120 s. */
  timeoutMs?: number;
}

export async function restartService(name: string, options: RestartServiceOptions = {}): Promise<RestartServiceResult> {
  const unit = normalizeUnit(name);
  const runner = options.runner ?? execRunner;
  const started = performance.now();
  const restart = await runner('systemctl', ['restart', unit], { timeoutMs: options.timeoutMs ?? 120_000 });
  const durationMs = Math.round(performance.now() - started);
  let activeState = 'unknown';
  try {
    const state = await runner('systemctl', ['is-active', unit], { timeoutMs: 10_000 });
    activeState = state.stdout.trim().split('\n')[0] || 'unknown';
  } catch {
    // systemctl vanished between the two calls: the state stays unknown
  }
  return {
    unit,
    ok: restart.code === 0 && !restart.timedOut,
    exitCode: restart.code,
    stderr: restart.timedOut ? `${restart.stderr}\n(timed out)`.trim() : restart.stderr.trim(),
    activeState,
    durationMs,
  };
}
