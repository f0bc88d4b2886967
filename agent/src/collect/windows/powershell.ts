import path from 'node:path';
import type { CommandRunner, RunOptions } from '../../exec';

/**
 * Windows data comes from Windows PowerShell 5.1 (built into every Windows that Node 20 supports: Windows 10,
 * Server 2016 and later): one `powershell.exe` per read, running a script that prints one compact JSON object.
 * The scripts only read (CIM queries, Get-Process, Get-WinEvent); what they print is turned into the agent's
 * types by pure parsers that the tests feed recorded-shape fixtures.
 *
 * NOTHING HERE HAS RUN ON WINDOWS: this code was written and tested on Linux, without PowerShell. The output
 * shapes in the fixtures are those documented for the cmdlets and CIM classes and the known quirks of
 * ConvertTo-Json; the first real Windows run is the test that remains.
 *
 * How the scripts are written, and why:
 * - `-Command <script>` in plain text, not `-EncodedCommand`: EDR products flag encoded PowerShell command lines
 *   (a classic malware pattern), and an agent running every minute would raise that alert everywhere.
 * - One line, no double quote (only single-quoted PowerShell strings): Node quotes the argument for
 *   CreateProcess and powershell.exe splits it again; with no `"` inside there is nothing to escape on either side.
 * - Nothing that comes from a policy or the server is written into a script: service and process names are
 *   matched here, in TypeScript, against the full lists; the only values put into a script are integers
 *   (event cursors) checked first.
 * - The JSON is made pure ASCII (every non-ASCII UTF-16 unit as `\uXXXX`) before it is printed, so the console
 *   code page (OEM 437/850 by default when the output is a pipe) cannot mangle a French event message or a
 *   volume name; the parsers also accept raw UTF-8 and a BOM, in case.
 * - Each part sits in its own try/catch and reports its error in the JSON, so one failing CIM class does not
 *   cost the whole read.
 */

/** The full path, not a PATH lookup: the agent runs as SYSTEM and must not start a `powershell.exe` planted elsewhere. */
export function powershellPath(env: NodeJS.ProcessEnv = process.env): string {
  const root = env.SystemRoot ?? env.windir ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', 'WindowsPowerShell', 'v1.0', 'powershell.exe');
}

export const POWERSHELL_ARGS = ['-NoProfile', '-NonInteractive', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-Command'] as const;

/** The preamble of every script: stop on errors inside a part's try, no progress records on stderr. */
const PREAMBLE = "$ErrorActionPreference = 'Stop'; $ProgressPreference = 'SilentlyContinue'";

/**
 * Prints `$name` as compact JSON, every non-ASCII character escaped. `[regex]::Replace` with a script block (a
 * MatchEvaluator) works on Windows PowerShell 5.1, which has no `-EscapeHandling` on ConvertTo-Json.
 */
const printJson = (variable: string) =>
  `$json = ConvertTo-Json -InputObject ${variable} -Compress -Depth 4; [regex]::Replace($json, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })`;

/** A script from its statements: the preamble, the statements, then `$r` printed as JSON. */
export function psScript(statements: readonly string[]): string {
  const script = [PREAMBLE, ...statements, printJson('$r')].join('; ');
  if (script.includes('"') || /[\r\n]/.test(script)) throw new Error('a PowerShell script here must be one line without double quotes');
  return script;
}

/** `try { <body> } catch { $r.errors.<part> = <message> }`: one part of a read, failing on its own. */
export const psPart = (part: string, body: string) => `try { ${body} } catch { $r.errors.${part} = $_.Exception.Message }`;

export class PowerShellError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PowerShellError';
  }
}

/** Runs one script and parses its JSON. Rejects (ENOENT) when there is no powershell.exe, like any runner. */
export async function runPowerShellJson(runner: CommandRunner, script: string, options: RunOptions = {}): Promise<unknown> {
  const result = await runner(powershellPath(), [...POWERSHELL_ARGS, script], { timeoutMs: 60_000, ...options });
  if (result.timedOut) throw new PowerShellError('powershell.exe timed out');
  const text = result.stdout.replace(/^\uFEFF/, '').trim();
  if (!text) throw new PowerShellError(`powershell.exe printed nothing (exit ${result.code ?? result.signal}): ${result.stderr.trim().slice(0, 500)}`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PowerShellError(`powershell.exe printed no JSON (exit ${result.code ?? result.signal}): ${text.slice(0, 200)}`);
  }
}

// ---------------------------------------------------------------- ConvertTo-Json quirks

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A list as ConvertTo-Json may print it: an array; a single object (a pipeline of one is unrolled unless the
 * script wrapped it in `@()`); null or nothing (a pipeline of none); or, on Windows PowerShell 5.1, an array the
 * extended type system wrapped, printed as `{"value": [...], "Count": n}`.
 */
export function psArray(v: unknown): JsonObject[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.filter(isObject);
  if (isObject(v)) {
    if (Array.isArray(v.value) && 'Count' in v) return v.value.filter(isObject);
    return [v];
  }
  return [];
}

/** A number that may come as a JSON number or a numeric string (uint64 through some serializers). */
export function psNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

export const psString = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * A date as PowerShell prints it, in milliseconds since the epoch:
 * - `/Date(1718006400500)/` — Windows PowerShell 5.1's ConvertTo-Json for a DateTime (the JSON text has
 *   `\/Date(…)\/`; the escaped slashes are gone after parsing); an offset may follow the milliseconds
 *   (`/Date(1718006400500+0200)/`), it is informative only: the milliseconds are UTC.
 * - ISO 8601 (`2024-06-10T08:00:00.5+02:00`) — PowerShell 7, or a script's `.ToString('o')`.
 * - DMTF (`20240610080000.500000+120`, offset in minutes) — WMI's own format (Get-WmiObject, or a CIM
 *   property typed as a string).
 * - `{"value": …, "DateTime": "…"}` — a DateTime the extended type system wrapped (5.1): its value.
 */
export function psDate(v: unknown): number | undefined {
  if (isObject(v)) return 'value' in v ? psDate(v.value) : undefined;
  if (typeof v !== 'string') return undefined;
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(v);
  if (ms) return Number(ms[1]);
  const dmtf = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/.exec(v);
  if (dmtf) {
    const [, y, mo, d, h, mi, s, micro, sign, offset] = dmtf;
    const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Math.floor(Number(micro) / 1000));
    return utc - (sign === '-' ? -1 : 1) * Number(offset) * 60_000;
  }
  const iso = Date.parse(v);
  return Number.isFinite(iso) ? iso : undefined;
}

/** The `errors` object every script prints: part → message. */
export function psErrors(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObject(v)) for (const [k, msg] of Object.entries(v)) if (msg !== null && msg !== undefined) out[k] = String(msg);
  return out;
}
