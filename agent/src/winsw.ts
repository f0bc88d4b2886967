import fs from 'node:fs';
import path from 'node:path';
import { execRunner, type CommandRunner } from './exec';
import { SERVICE_NODE_OPTIONS } from './node-options';

/**
 * The agent as a Windows service, through WinSW (the Windows Service Wrapper): a small .NET program that is
 * the service as far as the Service Control Manager knows, starts `node vigie-agent.js run …` and captures its
 * output. The binary is WinSW 1.17.0.0 (MIT, Kohsuke Kawaguchi, Sun Microsystems, CloudBees), the one npm's
 * `node-windows@1.0.0-beta.8` ships; the build copies it (scripts/src/bundle-agent.ts) and the API serves it
 * with its SHA-256 written into windows.ps1. The behaviour described here was read from WinSW 1.17's source
 * (winsw/winsw, tag v1.17); NONE OF IT HAS RUN ON WINDOWS YET.
 *
 * WinSW finds its configuration by name: `<dir>\vigie-agent-service.exe` reads `<dir>\vigie-agent-service.xml`,
 * and the .NET runtime reads `<dir>\vigie-agent-service.exe.config` (without it a .NET 2.0 program does not
 * start on a Windows that only has .NET 4, i.e. any Windows 10/11 or Server without the optional .NET 3.5).
 * The files sit beside the agent in Program Files, writable by administrators only: whoever can change the XML
 * chooses what runs as SYSTEM.
 *
 * What WinSW 1.17 does with it:
 * - the service `vigie-agent` ("Vigie Agent"), automatic start, runs as LocalSystem;
 * - `install` registers it and sets the failure actions (restart after 10 s, 30 s, then every 60 s; the count
 *   resets after an hour without failure); `uninstall` deletes it (it does not stop it first: we do);
 * - stop: Ctrl+C to the agent (GenerateConsoleCtrlEvent; Node sees SIGINT, which the agent handles as a clean
 *   stop), then TerminateProcess after `stoptimeout`;
 * - the agent's stdout and stderr (its JSON-line log) go to `<logpath>\vigie-agent-service.out.log` and
 *   `.err.log`, rotated at 10 MB, 8 kept; WinSW's own trace goes to `vigie-agent-service.wrapper.log` (a few
 *   lines per start and stop, not rotated);
 * - the Windows event log (Application log, source `vigie-agent`): "Service started successfully" / "stopped
 *   successfully" (.NET ServiceBase's AutoLog), "Starting <node> <arguments>", and, when the agent exits on its
 *   own, a warning "Child process [...] finished with <code>". WinSW then exits with the agent's exit code; the
 *   Service Control Manager logs 7031/7034 ("terminated unexpectedly") in the System log and applies the
 *   failure actions — which the agent's own event reader then reports as an error event. One gap: if the agent
 *   exits with code 0 by itself, WinSW reports a clean stop and Windows does NOT restart it (systemd's
 *   Restart=always would).
 * - quirks honoured here: `<service>` must be the document's first node (WinSW reads `stoptimeout` and
 *   `resetfailure` under `dom.FirstChild`: no XML declaration, no comment before it); each `<argument>` is
 *   quoted by WinSW when it contains a space, and `%NAME%` in any value is expanded from the environment, so a
 *   path containing `%` or `"` is refused.
 */

export const WINDOWS_SERVICE_ID = 'vigie-agent';
/** WinSW's file names in the install directory (renamed from winsw.exe). */
export const WINSW_BASENAME = 'vigie-agent-service';
export const WINSW_EXE = `${WINSW_BASENAME}.exe`;

/** The .NET runtime configuration shipped beside winsw.exe in node-windows (same content): run on .NET 2 or 4. */
export const WINSW_EXE_CONFIG = `<configuration>
  <startup>
    <supportedRuntime version="v2.0.50727" />
    <supportedRuntime version="v4.0" />
  </startup>
</configuration>
`;

export const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');

/** A path WinSW will pass through unchanged: absolute, no `%` (expanded by WinSW), no `"`, no control character. */
export function checkWinswPath(what: string, p: string): string {
  if (!path.win32.isAbsolute(p) && !path.posix.isAbsolute(p)) throw new RangeError(`${what} must be an absolute path: ${p}`);
  if (/[%"\p{Cc}]/u.test(p)) throw new RangeError(`${what} cannot contain %, " or control characters (WinSW would expand or split it): ${p}`);
  return p;
}

export interface WinswConfigOptions {
  nodePath: string;
  scriptPath: string;
  dataDir: string;
  logDir: string;
}

/** The WinSW XML: node runs the agent on its data directory; restarted on failure; logs rotated. */
export function winswXml(opts: WinswConfigOptions): string {
  const nodePath = checkWinswPath('the Node.js path', opts.nodePath);
  const scriptPath = checkWinswPath('the agent script path', opts.scriptPath);
  const dataDir = checkWinswPath('the data directory', opts.dataDir);
  const logDir = checkWinswPath('the log directory', opts.logDir);
  const e = xmlEscape;
  return `<service>
  <!-- Written by vigie-agent install-service; WinSW reads it at each start of the service. -->
  <id>${WINDOWS_SERVICE_ID}</id>
  <name>Vigie Agent</name>
  <description>Vigie RMM agent: heartbeats, metrics, inventory, system events and remote commands for the Vigie server.</description>
  <executable>${e(nodePath)}</executable>
${[...SERVICE_NODE_OPTIONS, scriptPath, 'run', '--data-dir', dataDir].map((arg) => `  <argument>${e(arg)}</argument>`).join('\n')}
  <workingdirectory>${e(dataDir)}</workingdirectory>
  <startmode>Automatic</startmode>
  <stoptimeout>15 sec</stoptimeout>
  <onfailure action="restart" delay="10 sec"/>
  <onfailure action="restart" delay="30 sec"/>
  <onfailure action="restart" delay="60 sec"/>
  <resetfailure>1 hour</resetfailure>
  <logpath>${e(logDir)}</logpath>
  <log mode="roll-by-size">
    <sizeThreshold>10240</sizeThreshold>
    <keepFiles>8</keepFiles>
  </log>
</service>
`;
}

export interface WindowsServiceOptions {
  dataDir: string;
  nodePath?: string;
  scriptPath?: string;
  /** The renamed winsw.exe; default `vigie-agent-service.exe` beside the agent script. */
  winswPath?: string;
  /** Default `<dataDir>\logs`. */
  logDir?: string;
  runner?: CommandRunner;
  /** Waits between status polls (tests pass a no-op). */
  sleep?: (ms: number) => Promise<void>;
}

const defaultWinsw = (scriptPath: string | undefined) => path.join(path.dirname(path.resolve(scriptPath ?? process.argv[1] ?? '.')), WINSW_EXE);
const xmlFile = (exe: string) => `${exe.replace(/\.exe$/i, '')}.xml`;

async function winsw(runner: CommandRunner, exe: string, command: string): Promise<string> {
  const res = await runner(exe, [command], { timeoutMs: 120_000 });
  if (res.code !== 0) {
    const why = (res.stderr.trim() || res.stdout.trim()).split('\n')[0] ?? '';
    throw new Error(`${path.basename(exe)} ${command} failed (${res.code ?? res.signal}): ${why}`);
  }
  return res.stdout;
}

/** `active`, `inactive`, `not-installed`, or `unknown` — WinSW's `status`: Started / Stopped / NonExistent. */
export async function windowsServiceState(opts: Pick<WindowsServiceOptions, 'winswPath' | 'scriptPath' | 'runner'> = {}): Promise<string> {
  const exe = opts.winswPath ?? defaultWinsw(opts.scriptPath);
  if (!fs.existsSync(exe)) return 'not-installed';
  let stdout: string;
  try {
    stdout = await winsw(opts.runner ?? execRunner, exe, 'status');
  } catch {
    return 'unknown';
  }
  const answer = stdout.trim().split(/\r?\n/).pop()?.trim();
  return answer === 'Started' ? 'active' : answer === 'Stopped' ? 'inactive' : answer === 'NonExistent' ? 'not-installed' : 'unknown';
}

/**
 * Writes the XML and the runtime config beside WinSW, then installs and starts the service; when it exists
 * already (an upgrade), restarts it instead, which makes it read the new XML. Returns the XML's path.
 */
export async function installWindowsService(opts: WindowsServiceOptions): Promise<string> {
  const scriptPath = path.resolve(opts.scriptPath ?? process.argv[1]!);
  const exe = opts.winswPath ?? defaultWinsw(scriptPath);
  if (!fs.existsSync(exe)) throw new Error(`${exe} not found: the Windows installer (windows.ps1) puts the service wrapper (WinSW) there`);
  const dataDir = path.resolve(opts.dataDir);
  const logDir = path.resolve(opts.logDir ?? path.join(dataDir, 'logs'));
  const xml = winswXml({ nodePath: opts.nodePath ?? process.execPath, scriptPath, dataDir, logDir });
  fs.mkdirSync(logDir, { recursive: true });
  fs.writeFileSync(xmlFile(exe), xml);
  fs.writeFileSync(`${exe}.config`, WINSW_EXE_CONFIG);
  const runner = opts.runner ?? execRunner;
  if ((await windowsServiceState({ winswPath: exe, runner })) === 'not-installed') {
    await winsw(runner, exe, 'install');
    await winsw(runner, exe, 'start');
  } else {
    // WinSW 1.17's restart stops, waits until stopped, then starts.
    await winsw(runner, exe, 'restart');
  }
  return xmlFile(exe);
}

/** Stops and removes the service and its XML (WinSW itself stays, with the agent); with `removeData`, the data too. */
export async function uninstallWindowsService(opts: WindowsServiceOptions & { removeData: boolean }): Promise<string[]> {
  const runner = opts.runner ?? execRunner;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const exe = opts.winswPath ?? defaultWinsw(opts.scriptPath);
  const removed: string[] = [];
  let state = await windowsServiceState({ winswPath: exe, runner });
  if (state !== 'not-installed') {
    if (state !== 'inactive') {
      // Stop is asynchronous (WMI StopService): wait, so that the data directory is no longer in use.
      await winsw(runner, exe, 'stop').catch(() => undefined);
      for (let i = 0; i < 30 && state !== 'inactive' && state !== 'not-installed'; i++) {
        await sleep(1000);
        state = await windowsServiceState({ winswPath: exe, runner });
      }
    }
    await winsw(runner, exe, 'uninstall');
    removed.push(`service ${WINDOWS_SERVICE_ID}`);
  }
  for (const file of [xmlFile(exe), `${exe}.config`]) {
    if (fs.existsSync(file)) {
      fs.rmSync(file);
      removed.push(file);
    }
  }
  if (opts.removeData && fs.existsSync(opts.dataDir)) {
    fs.rmSync(opts.dataDir, { recursive: true, force: true });
    removed.push(opts.dataDir);
  }
  return removed;
}
