import fs from 'node:fs';
import path from 'node:path';
import { SERVICE_NODE_OPTIONS } from './node-options';
import { execRunner, type CommandRunner } from './exec';
import { installWindowsService, uninstallWindowsService, windowsServiceState, WINSW_BASENAME } from './winsw';

/**
 * The agent as a systemd service. It logs JSON lines to stderr, which systemd sends to the journal
 * (`journalctl -u vigie-agent`); a restart policy brings it back after a crash or an upgrade.
 * On Windows the same three calls go to WinSW (./winsw): a Windows service `vigie-agent`, logs in rotated files.
 */
export const SERVICE_NAME = 'vigie-agent';
export const DEFAULT_UNIT_DIR = '/etc/systemd/system';

export interface ServiceOptions {
  dataDir: string;
  /** The Node binary and the agent script the unit runs; default: this process's. */
  nodePath?: string;
  scriptPath?: string;
  unitDir?: string;
  runner?: CommandRunner;
  /** Default: this process's. 'win32' installs through WinSW; anything else through systemd. */
  platform?: NodeJS.Platform;
  /** Windows: the renamed winsw.exe (default `vigie-agent-service.exe` beside the agent script). */
  winswPath?: string;
  /** Windows: where WinSW writes the agent's logs (default `<dataDir>\logs`). */
  logDir?: string;
}

/** Where the installers put the agent's state. */
export function defaultDataDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  return platform === 'win32' ? path.win32.join(env.ProgramData ?? 'C:\\ProgramData', 'Vigie Agent') : '/var/lib/vigie-agent';
}

/** Where to read the service's logs, for the CLI to print. */
export function serviceLogsHint(platform: NodeJS.Platform, dataDir: string, logDir?: string): string {
  if (platform !== 'win32') return 'journalctl -u vigie-agent';
  return `${path.win32.join(logDir ?? path.win32.join(dataDir, 'logs'), `${WINSW_BASENAME}.err.log`)} (JSON lines; rotated at 10 MB) and the Application event log (source vigie-agent)`;
}

const isWindows = (opts: { platform?: NodeJS.Platform }) => (opts.platform ?? process.platform) === 'win32';

export function systemdUnit(opts: { nodePath: string; scriptPath: string; dataDir: string }): string {
  const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
  return `[Unit]
Description=Vigie RMM agent
Documentation=https://github.com/vigie/vigie
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${[opts.nodePath, ...SERVICE_NODE_OPTIONS, opts.scriptPath, 'run', '--data-dir', opts.dataDir].map(quote).join(' ')}
Restart=always
RestartSec=5
# Logs (JSON lines on stderr) go to the journal.
StandardOutput=journal
StandardError=journal
SyslogIdentifier=${SERVICE_NAME}
# Its files (credentials, outbox) are readable by root only.
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

const unitFile = (opts: ServiceOptions) => path.join(opts.unitDir ?? DEFAULT_UNIT_DIR, `${SERVICE_NAME}.service`);

async function systemctl(runner: CommandRunner, args: string[]): Promise<void> {
  const res = await runner('systemctl', args, { timeoutMs: 60_000 });
  if (res.code !== 0) throw new Error(`systemctl ${args.join(' ')} failed (${res.code ?? res.signal}): ${res.stderr.trim()}`);
}

/** Writes the unit, then enables and starts it (Windows: the WinSW XML, then `install` + `start`). Returns the file written. */
export async function installService(opts: ServiceOptions): Promise<string> {
  if (isWindows(opts)) return installWindowsService(opts);
  const file = unitFile(opts);
  const unit = systemdUnit({ nodePath: opts.nodePath ?? process.execPath, scriptPath: path.resolve(opts.scriptPath ?? process.argv[1]!), dataDir: path.resolve(opts.dataDir) });
  fs.writeFileSync(file, unit, { mode: 0o644 });
  const runner = opts.runner ?? execRunner;
  await systemctl(runner, ['daemon-reload']);
  await systemctl(runner, ['enable', '--now', `${SERVICE_NAME}.service`]);
  return file;
}

/** Stops and disables the service and removes its unit; with `removeData`, the credentials and outbox too. */
export async function uninstallService(opts: ServiceOptions & { removeData: boolean }): Promise<string[]> {
  if (isWindows(opts)) return uninstallWindowsService(opts);
  const runner = opts.runner ?? execRunner;
  const removed: string[] = [];
  const file = unitFile(opts);
  if (fs.existsSync(file)) {
    await systemctl(runner, ['disable', '--now', `${SERVICE_NAME}.service`]);
    fs.rmSync(file);
    await systemctl(runner, ['daemon-reload']);
    removed.push(file);
  }
  if (opts.removeData && fs.existsSync(opts.dataDir)) {
    fs.rmSync(opts.dataDir, { recursive: true, force: true });
    removed.push(opts.dataDir);
  }
  return removed;
}

/** `active`, `inactive`, `failed`…, or `not-installed` / `no-systemd` (Windows: `active`, `inactive`, `not-installed`, `unknown`). */
export async function serviceState(opts: Pick<ServiceOptions, 'unitDir' | 'runner' | 'platform' | 'winswPath' | 'scriptPath'> = {}): Promise<string> {
  if (isWindows(opts)) return windowsServiceState(opts);
  if (!fs.existsSync(unitFile({ dataDir: '', ...opts }))) return 'not-installed';
  try {
    const res = await (opts.runner ?? execRunner)('systemctl', ['is-active', `${SERVICE_NAME}.service`], { timeoutMs: 10_000 });
    return res.stdout.trim() || 'unknown';
  } catch {
    return 'no-systemd';
  }
}
