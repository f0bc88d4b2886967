import type { CommandRunner, RunResult } from '../../exec';
import { POWERSHELL_ARGS, PowerShellError, powershellPath, psArray, psDate, psNumber, psScript, runPowerShellJson } from './powershell';

const result = (stdout: string, extra: Partial<RunResult> = {}): RunResult => ({
  code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false, ...extra,
});

describe('ConvertTo-Json quirks', () => {
  it('reads a list printed as an array, one object, nothing, or the 5.1 {value, Count} wrapper', () => {
    expect(psArray([{ a: 1 }, { a: 2 }])).toEqual([{ a: 1 }, { a: 2 }]);
    expect(psArray({ a: 1 })).toEqual([{ a: 1 }]);
    expect(psArray(null)).toEqual([]);
    expect(psArray(undefined)).toEqual([]);
    expect(psArray([])).toEqual([]);
    expect(psArray({ value: [{ a: 1 }], Count: 1 })).toEqual([{ a: 1 }]);
    // An object that merely has a `value` property is an object.
    expect(psArray({ value: 3 })).toEqual([{ value: 3 }]);
    expect(psArray('text')).toEqual([]);
  });

  it('reads numbers and numeric strings', () => {
    expect(psNumber(12)).toBe(12);
    expect(psNumber('511101005824')).toBe(511101005824);
    expect(psNumber('')).toBeUndefined();
    expect(psNumber(null)).toBeUndefined();
    expect(psNumber('n/a')).toBeUndefined();
  });

  it('reads CIM dates in every shape PowerShell prints them', () => {
    const at = Date.parse('2024-06-07T06:12:44.500Z');
    // Windows PowerShell 5.1 (the JSON text is "\/Date(…)\/").
    expect(psDate(JSON.parse('"\\/Date(1717740764500)\\/"'))).toBe(at);
    expect(psDate('/Date(1717740764500+0200)/')).toBe(at);
    // A DateTime wrapped by the extended type system.
    expect(psDate({ value: '/Date(1717740764500)/', DisplayHint: 2, DateTime: 'Friday, June 7, 2024 8:12:44 AM' })).toBe(at);
    // PowerShell 7 and .ToString('o').
    expect(psDate('2024-06-07T08:12:44.5+02:00')).toBe(at);
    expect(psDate('2024-06-07T06:12:44.5000000Z')).toBe(at);
    // WMI's DMTF format, offset in minutes (+120 = UTC+2, -300 = UTC-5).
    expect(psDate('20240607081244.500000+120')).toBe(at);
    expect(psDate('20240607011244.500000-300')).toBe(at);
    expect(psDate('yesterday')).toBeUndefined();
    expect(psDate(null)).toBeUndefined();
  });
});

describe('running a script', () => {
  it('one line without double quotes, printed as ASCII-only JSON', () => {
    const script = psScript(['$r = @{ a = 1 }']);
    expect(script).not.toMatch(/["\r\n]/);
    expect(script).toMatch(/^\$ErrorActionPreference = 'Stop'; \$ProgressPreference = 'SilentlyContinue'; \$r = @\{ a = 1 \}; /);
    expect(script).toContain('ConvertTo-Json -InputObject $r -Compress -Depth 4');
    expect(script).toContain("[regex]::Replace($json, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })");
    expect(() => psScript(['Write-Output "x"'])).toThrow('double quotes');
    expect(() => psScript(['a\nb'])).toThrow();
  });

  it('runs the system powershell.exe by full path with a plain -Command', async () => {
    expect(powershellPath({ SystemRoot: 'D:\\WINDOWS' })).toBe('D:\\WINDOWS\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(powershellPath({})).toBe('C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    const calls: { file: string; args: readonly string[] }[] = [];
    const runner: CommandRunner = async (file, args) => {
      calls.push({ file, args });
      return result('\uFEFF{"a":"Donn\\u00e9es","b":"caf\u00e9"}\r\n');
    };
    expect(await runPowerShellJson(runner, 'SCRIPT')).toEqual({ a: 'Données', b: 'café' });
    expect(calls[0]!.file).toMatch(/powershell\.exe$/);
    expect(calls[0]!.args).toEqual([...POWERSHELL_ARGS, 'SCRIPT']);
    expect(POWERSHELL_ARGS).toEqual(['-NoProfile', '-NonInteractive', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-Command']);
  });

  it('says what went wrong: nothing printed, not JSON, timed out', async () => {
    await expect(runPowerShellJson(async () => result('', { code: 1, stderr: 'At line:1 char:5\n+ ParserError' }), 'x')).rejects.toThrow(
      'powershell.exe printed nothing (exit 1): At line:1 char:5',
    );
    await expect(runPowerShellJson(async () => result('WARNING: something'), 'x')).rejects.toThrow(PowerShellError);
    await expect(runPowerShellJson(async () => result('', { timedOut: true, signal: 'SIGKILL', code: null }), 'x')).rejects.toThrow('timed out');
    const enoent: CommandRunner = async () => {
      throw Object.assign(new Error('spawn powershell.exe ENOENT'), { code: 'ENOENT' });
    };
    await expect(runPowerShellJson(enoent, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
