import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner } from './exec';
import { SERVICE_NODE_OPTIONS } from './node-options';
import { defaultDataDir, installService, serviceLogsHint, serviceState, uninstallService } from './service';
import { checkWinswPath, installWindowsService, uninstallWindowsService, windowsServiceState, WINSW_EXE_CONFIG, winswXml, xmlEscape } from './winsw';

const WIN = {
  nodePath: 'C:\\Program Files\\nodejs\\node.exe',
  scriptPath: 'C:\\Program Files\\Vigie Agent\\vigie-agent.js',
  dataDir: 'C:\\ProgramData\\Vigie Agent',
  logDir: 'C:\\ProgramData\\Vigie Agent\\logs',
};

/** What WinSW 1.17 does with the <argument> elements (ServiceDescriptor.AppendTags): quote a token with a space. */
function winswCommandLine(xml: string): string {
  return [...xml.matchAll(/<argument>(.*?)<\/argument>/g)]
    .map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'))
    .map((token) => (token.startsWith('"') && token.endsWith('"') ? token : token.includes(' ') ? `"${token}"` : token))
    .map((token) => ` ${token}`)
    .join('');
}

/** How the Microsoft C runtime (and so Node on Windows) splits a command line into argv. */
function splitWindowsArgs(line: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  let started = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      let n = 0;
      while (line[i + n] === '\\') n++;
      if (line[i + n] === '"') {
        current += '\\'.repeat(Math.floor(n / 2));
        if (n % 2 === 1) current += '"';
        else quoted = !quoted;
        i += n;
      } else {
        current += '\\'.repeat(n);
        i += n - 1;
      }
      started = true;
    } else if (c === '"') {
      quoted = !quoted;
      started = true;
    } else if ((c === ' ' || c === '\t') && !quoted) {
      if (started) args.push(current);
      current = '';
      started = false;
    } else {
      current += c;
      started = true;
    }
  }
  if (started) args.push(current);
  return args;
}

describe('the WinSW configuration', () => {
  it('runs node on the agent with its data directory, restarts it on failure, rotates its logs', () => {
    const xml = winswXml(WIN);
    // WinSW 1.17 reads stoptimeout and resetfailure under dom.FirstChild: <service> must come first.
    expect(xml.startsWith('<service>\n')).toBe(true);
    expect(xml.trimEnd().endsWith('</service>')).toBe(true);
    expect(xml).toContain('<id>vigie-agent</id>');
    expect(xml).toContain('<executable>C:\\Program Files\\nodejs\\node.exe</executable>');
    expect(xml).toContain('<startmode>Automatic</startmode>');
    expect(xml.match(/<onfailure action="restart" delay="\d+ sec"\/>/g)).toHaveLength(3);
    expect(xml).toContain('<resetfailure>1 hour</resetfailure>');
    expect(xml).toContain('<stoptimeout>15 sec</stoptimeout>');
    expect(xml).toContain('<logpath>C:\\ProgramData\\Vigie Agent\\logs</logpath>');
    expect(xml).toMatch(/<log mode="roll-by-size">\s*<sizeThreshold>10240<\/sizeThreshold>\s*<keepFiles>8<\/keepFiles>\s*<\/log>/);
    // What node receives, once WinSW has quoted the arguments and Windows has split them again.
    expect(splitWindowsArgs(winswCommandLine(xml))).toEqual([...SERVICE_NODE_OPTIONS, WIN.scriptPath, 'run', '--data-dir', WIN.dataDir]);
  });

  it('escapes XML in paths, and the arguments still reach node intact', () => {
    const odd = { ...WIN, scriptPath: "C:\\R&D <tools>\\Vigie's agent\\vigie-agent.js", dataDir: 'D:\\' };
    const xml = winswXml(odd);
    expect(xml).toContain("<argument>C:\\R&amp;D &lt;tools&gt;\\Vigie&apos;s agent\\vigie-agent.js</argument>");
    expect(splitWindowsArgs(winswCommandLine(xml))).toEqual([...SERVICE_NODE_OPTIONS, odd.scriptPath, 'run', '--data-dir', 'D:\\']);
    expect(xmlEscape(`a&b<c>"d'`)).toBe('a&amp;b&lt;c&gt;&quot;d&apos;');
  });

  it('refuses paths WinSW would change: relative, with % (environment expansion) or "', () => {
    expect(() => winswXml({ ...WIN, dataDir: 'C:\\%TEMP%\\vigie' })).toThrow('cannot contain %');
    expect(() => checkWinswPath('x', 'vigie\\data')).toThrow('absolute');
    expect(() => checkWinswPath('x', 'C:\\a"b')).toThrow();
    expect(checkWinswPath('x', '\\\\server\\share\\vigie')).toBe('\\\\server\\share\\vigie');
  });
});

/** WinSW is recorded, not run: it answers `status` from a script of answers. */
function fakeWinsw(statusAnswers: string[]): { runner: CommandRunner; calls: string[] } {
  const calls: string[] = [];
  const runner: CommandRunner = async (file, args) => {
    calls.push([path.basename(file), ...args].join(' '));
    const stdout = args[0] === 'status' ? `${statusAnswers.shift() ?? 'Stopped'}\r\n` : '';
    return { code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false };
  };
  return { runner, calls };
}

describe('installing the Windows service', () => {
  let dir: string;
  let exe: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-winsw-'));
    exe = path.join(dir, 'vigie-agent-service.exe');
    fs.writeFileSync(exe, 'MZ');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes the XML and the .NET config beside WinSW, installs and starts; an existing service is restarted', async () => {
    const dataDir = path.join(dir, 'data');
    const { runner, calls } = fakeWinsw(['NonExistent', 'Stopped']);
    const options = { platform: 'win32' as const, dataDir, scriptPath: path.join(dir, 'vigie-agent.js'), nodePath: '/usr/bin/node', runner };
    const xmlPath = await installService(options);
    expect(xmlPath).toBe(path.join(dir, 'vigie-agent-service.xml'));
    expect(fs.readFileSync(xmlPath, 'utf8')).toContain(`<argument>${dataDir}</argument>`);
    expect(fs.readFileSync(`${exe}.config`, 'utf8')).toBe(WINSW_EXE_CONFIG);
    expect(fs.existsSync(path.join(dataDir, 'logs'))).toBe(true);
    expect(calls).toEqual(['vigie-agent-service.exe status', 'vigie-agent-service.exe install', 'vigie-agent-service.exe start']);

    calls.length = 0;
    await installService(options);
    expect(calls).toEqual(['vigie-agent-service.exe status', 'vigie-agent-service.exe restart']);
  });

  it('needs WinSW where the installer puts it, and says why WinSW failed', async () => {
    fs.rmSync(exe);
    await expect(installWindowsService({ dataDir: dir, scriptPath: path.join(dir, 'vigie-agent.js'), runner: fakeWinsw([]).runner })).rejects.toThrow(/vigie-agent-service\.exe not found/);
    fs.writeFileSync(exe, 'MZ');
    const failing: CommandRunner = async (_file, args) =>
      args[0] === 'status'
        ? { code: 0, signal: null, stdout: 'NonExistent\r\n', stderr: '', timedOut: false, truncated: false }
        : { code: 2, signal: null, stdout: '', stderr: 'System.Exception: AccessDenied\r\n   at winsw.WrapperService.Run', timedOut: false, truncated: false };
    await expect(installWindowsService({ dataDir: dir, winswPath: exe, scriptPath: path.join(dir, 'a.js'), runner: failing })).rejects.toThrow(
      'vigie-agent-service.exe install failed (2): System.Exception: AccessDenied',
    );
  });

  it('status from WinSW: Started, Stopped, NonExistent', async () => {
    expect(await windowsServiceState({ winswPath: exe, runner: fakeWinsw(['Started']).runner })).toBe('active');
    expect(await windowsServiceState({ winswPath: exe, runner: fakeWinsw(['Stopped']).runner })).toBe('inactive');
    expect(await windowsServiceState({ winswPath: exe, runner: fakeWinsw(['NonExistent']).runner })).toBe('not-installed');
    expect(await windowsServiceState({ winswPath: exe, runner: fakeWinsw(['???']).runner })).toBe('unknown');
    expect(await serviceState({ platform: 'win32', winswPath: path.join(dir, 'missing.exe') })).toBe('not-installed');
  });

  it('uninstall stops the service, waits until it is stopped, removes it, its XML and (unless kept) the data', async () => {
    const dataDir = path.join(dir, 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(path.join(dir, 'vigie-agent-service.xml'), '<service/>');
    fs.writeFileSync(`${exe}.config`, WINSW_EXE_CONFIG);
    const { runner, calls } = fakeWinsw(['Started', 'Started', 'Stopped']);
    const removed = await uninstallService({ platform: 'win32', dataDir, winswPath: exe, runner, removeData: true });
    expect(calls).toEqual([
      'vigie-agent-service.exe status',
      'vigie-agent-service.exe stop',
      'vigie-agent-service.exe status',
      'vigie-agent-service.exe status',
      'vigie-agent-service.exe uninstall',
    ]);
    expect(removed).toEqual(['service vigie-agent', path.join(dir, 'vigie-agent-service.xml'), `${exe}.config`, dataDir]);
    expect(fs.existsSync(dataDir)).toBe(false);
    expect(fs.existsSync(exe)).toBe(true);

    const again = fakeWinsw(['NonExistent']);
    expect(await uninstallWindowsService({ dataDir, winswPath: exe, runner: again.runner, removeData: false, sleep: async () => undefined })).toEqual([]);
    expect(again.calls).toEqual(['vigie-agent-service.exe status']);
  });
});

describe('platform defaults', () => {
  it('data directory and where the logs are', () => {
    expect(defaultDataDir('win32', { ProgramData: 'C:\\ProgramData' })).toBe('C:\\ProgramData\\Vigie Agent');
    expect(defaultDataDir('linux')).toBe('/var/lib/vigie-agent');
    expect(serviceLogsHint('linux', '/var/lib/vigie-agent')).toBe('journalctl -u vigie-agent');
    expect(serviceLogsHint('win32', 'C:\\ProgramData\\Vigie Agent')).toMatch(/^C:\\ProgramData\\Vigie Agent\\logs\\vigie-agent-service\.err\.log /);
  });
});
