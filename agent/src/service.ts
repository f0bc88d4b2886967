import fs from 'node:fs';
import path from 'node:path';
import { execRunner, type CommandRunner } from './exec';

/**
 * The agent as a systemd service. It logs JSON lines to stderr, which systemd sends to the journal
 * (`journalctl -u vigie-agent`); a restart policy brings it back after a crash or an upgrade.
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
}

export function systemdUnit(opts: { nodePath: string; scriptPath: string; dataDir: string }): string {
  const quote = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `"${s.replace(/(["\\])/g, '\\$1')}"`);
  return `[Unit]
Description=Vigie RMM agent
Documentation=https://github.com/vigie/vigie
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=${[opts.nodePath, opts.scriptPath, 'run', '--data-dir', opts.dataDir].map(quote).join(' ')}
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

/** Writes the unit, then enables and starts it. */
export async function installService(opts: ServiceOptions): Promise<string> {
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

/** `active`, `inactive`, `failed`…, or `not-installed` / `no-systemd`. */
export async function serviceState(opts: Pick<ServiceOptions, 'unitDir' | 'runner'> = {}): Promise<string> {
  if (!fs.existsSync(unitFile({ dataDir: '', ...opts }))) return 'not-installed';
  try {
    const res = await (opts.runner ?? execRunner)('systemctl', ['is-active', `${SERVICE_NAME}.service`], { timeoutMs: 10_000 });
    return res.stdout.trim() || 'unknown';
  } catch {
    return 'no-systemd';
  }
}
