import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../durable-file';
import { execRunner, type CommandRunner } from '../../exec';
import type { EventSource, Log } from '../../telemetry/machine-state';
import { MAX_MESSAGE_CHARS, type JournalBatch, type SystemEvent } from '../events';
import { isObject, psArray, psDate, psErrors, psNumber, psScript, psString, runPowerShellJson } from './powershell';

/**
 * Critical and error events of the Windows System and Application logs, for the "event matching a pattern"
 * rule: the Windows counterpart of the journald reader, behind the same EventSource (read, then commit once the
 * events are in the outbox; a crash in between re-reads, never loses).
 *
 * The cursor is each log's EventRecordID (a per-log sequence number), kept as JSON in the data directory
 * (`{"System":123,"Application":456}`). Each read, per log:
 * 1. the newest record's id (`Get-WinEvent -MaxEvents 1`: reads one record);
 * 2. with no cursor for that log (first run), that id becomes the cursor and nothing is sent: no flood of
 *    history at install;
 * 3. otherwise the records after the cursor up to that id, asked with an XPath range on EventRecordID and
 *    `-MaxEvents` equal to the size of the range, so the event log service stops once it has them instead of
 *    scanning the whole log; critical (Level 1) and error (Level 2) are kept in PowerShell (a level in the
 *    XPath would make the number of matches unknown, hence a full scan). Records are contiguous per log, so the
 *    range holds exactly `newest − cursor` records (assumed; with gaps it is still correct, only slower).
 * At most `maxRecordsPerRead` records per log are looked at: after a long stop the older ones are skipped
 * (and counted in the log), the newest kept. A cleared log (newest id below the cursor) is read from its start.
 *
 * Windows levels onto the syslog priorities the server knows: Critical (1) → 2 `critical`, Error (2) → 3
 * `error`. `source` is the event's ProviderName (`Service Control Manager`, `Microsoft-Windows-Kernel-Power`…).
 * The event ID and log name have no field in the events schema yet and are not sent.
 */

export const WINDOWS_EVENT_LOGS = ['System', 'Application'] as const;
export type WindowsEventLog = (typeof WINDOWS_EVENT_LOGS)[number];
export type WindowsEventCursor = Partial<Record<WindowsEventLog, number>>;

/** Default cap on the records looked at per log and per read. */
export const MAX_RECORDS_PER_READ = 2000;

const isCursorValue = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** The script for one read; only integers from the cursor are written into it. */
export function eventsScript(cursor: WindowsEventCursor, maxRecords = MAX_RECORDS_PER_READ): string {
  if (!Number.isSafeInteger(maxRecords) || maxRecords <= 0) throw new RangeError('maxRecords must be a positive integer');
  const after = WINDOWS_EVENT_LOGS.map((log) => {
    const value = cursor[log];
    if (value !== undefined && !isCursorValue(value)) throw new RangeError(`invalid ${log} cursor: ${String(value)}`);
    return `${log} = [long]${value ?? -1}`;
  });
  const noEvents = "if ($_.FullyQualifiedErrorId -notlike 'NoMatchingEventsFound*') { throw }";
  const event =
    "[ordered]@{ Log = $log; RecordId = $_.RecordId; Level = $_.Level; ProviderName = $_.ProviderName; Id = $_.Id; TimeCreated = $_.TimeCreated.ToUniversalTime().ToString('o'); ProcessId = $_.ProcessId; Message = $_.Message }";
  const perLog = [
    '$after = $cursor[$log]',
    '$newest = [long]0',
    `try { $newest = [long](Get-WinEvent -LogName $log -MaxEvents 1).RecordId } catch { ${noEvents} }`,
    '$o = [ordered]@{ newest = $newest; skipped = 0 }',
    `if ($after -ge 0 -and $newest -ne $after) { ${[
      'if ($newest -lt $after) { $after = [long]0 }',
      `$from = [Math]::Max($after, $newest - ${maxRecords})`,
      '$o.skipped = $from - $after',
      "$xpath = '*[System[EventRecordID>{0} and EventRecordID<={1}]]' -f $from, $newest",
      `try { $events += @(Get-WinEvent -LogName $log -MaxEvents ($newest - $from) -FilterXPath $xpath | Where-Object { $_.Level -eq 1 -or $_.Level -eq 2 } | ForEach-Object { ${event} }) } catch { ${noEvents} }`,
    ].join('; ')} }`,
    '$r.logs[$log] = $o',
  ].join('; ');
  return psScript([
    '$r = [ordered]@{ errors = [ordered]@{}; logs = [ordered]@{}; events = @() }',
    `$cursor = @{ ${after.join('; ')} }`,
    // The events of every log in one flat list (each with its Log): ConvertTo-Json stringifies whatever sits
    // deeper than -Depth, and an array counts as a level.
    '$events = @()',
    `foreach ($log in @(${WINDOWS_EVENT_LOGS.map((l) => `'${l}'`).join(', ')})) { try { ${perLog} } catch { $r.errors[$log] = $_.Exception.Message } }`,
    '$r.events = $events',
  ]);
}

export interface WindowsEventsRead {
  events: SystemEvent[];
  /** The cursor after this read: each log that answered moves to its newest record. */
  cursor: WindowsEventCursor;
  /** Records skipped per log (more than `maxRecordsPerRead` since the cursor). */
  skipped: Partial<Record<WindowsEventLog, number>>;
  errors: Record<string, string>;
}

const LEVELS: Record<number, Pick<SystemEvent, 'priority' | 'severity'>> = {
  1: { priority: 2, severity: 'critical' },
  2: { priority: 3, severity: 'error' },
};

/** The events script's JSON, read against the cursor it was run with. */
export function parseEventsJson(json: unknown, previous: WindowsEventCursor): WindowsEventsRead {
  if (!isObject(json)) throw new Error('events: the script printed no JSON object');
  const errors = psErrors(json.errors);
  const logs = isObject(json.logs) ? json.logs : {};
  const cursor: WindowsEventCursor = { ...previous };
  const skipped: WindowsEventsRead['skipped'] = {};
  const events: (SystemEvent & { recordId: number })[] = [];
  /** Per log that answered: events above this record id are new (0 when the log was cleared since the cursor). */
  const after = new Map<WindowsEventLog, number>();
  for (const log of WINDOWS_EVENT_LOGS) {
    const entry = logs[log];
    if (!isObject(entry) || log in errors) continue;
    const newest = psNumber(entry.newest);
    if (newest === undefined || !isCursorValue(newest)) continue;
    cursor[log] = newest;
    const before = previous[log];
    if (before !== undefined) after.set(log, newest < before ? 0 : before);
    const skippedCount = psNumber(entry.skipped) ?? 0;
    if (skippedCount > 0) skipped[log] = skippedCount;
  }
  for (const e of psArray(json.events)) {
    const log = WINDOWS_EVENT_LOGS.find((l) => l === psString(e.Log));
    // A log read for the first time gives only its position; one that failed keeps its cursor, and its events
    // (if any were printed before the failure) come again with the next read.
    const from = log && after.get(log);
    if (!log || from === undefined) continue;
    const recordId = psNumber(e.RecordId);
    const level = LEVELS[psNumber(e.Level) ?? 0];
    const at = psDate(e.TimeCreated);
    if (recordId === undefined || !level || at === undefined || recordId <= from || recordId > cursor[log]!) continue;
    const source = psString(e.ProviderName)?.trim() || 'unknown';
    const message = psString(e.Message)?.trim() || `(no message text: event ${psNumber(e.Id) ?? '?'} from ${source})`;
    const pid = psNumber(e.ProcessId);
    events.push({
      recordId,
      cursor: `${log}:${recordId}`,
      at: new Date(at).toISOString(),
      ...level,
      message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
      source: source.slice(0, 256),
      ...(pid !== undefined && Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    });
  }
  // Oldest first, as journald gives them (Get-WinEvent gives each log newest first).
  events.sort((a, b) => a.at.localeCompare(b.at) || a.cursor.localeCompare(b.cursor) || a.recordId - b.recordId);
  return { events: events.map(({ recordId: _recordId, ...e }) => e), cursor, skipped, errors };
}

export function parseCursor(text: string | undefined): WindowsEventCursor {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    if (!isObject(value)) return {};
    const cursor: WindowsEventCursor = {};
    for (const log of WINDOWS_EVENT_LOGS) if (isCursorValue(value[log])) cursor[log] = value[log];
    return cursor;
  } catch {
    return {};
  }
}

const NOTHING: JournalBatch = { events: [], cursor: undefined, more: false };

export interface WindowsEventSourceOptions {
  cursorFile: string;
  log: Log;
  runner?: CommandRunner;
  maxRecordsPerRead?: number;
}

/**
 * The Windows event log as an EventSource that never throws: without powershell.exe it says so once and stops
 * asking; a failing read (one log or the whole script) is logged when its error changes and tried again.
 */
export function windowsEventSource(opts: WindowsEventSourceOptions): EventSource {
  const runner = opts.runner ?? execRunner;
  fs.mkdirSync(path.dirname(opts.cursorFile), { recursive: true, mode: 0o700 });
  let committed = parseCursor(fs.existsSync(opts.cursorFile) ? fs.readFileSync(opts.cursorFile, 'utf8').trim() : undefined);
  let missing = false;
  let lastError: string | undefined;
  const report = (error: string | undefined) => {
    if (error === lastError) return;
    if (error) opts.log('Windows events unavailable for now', { err: error });
    else opts.log('Windows events available again');
    lastError = error;
  };
  return {
    async read() {
      if (missing) return NOTHING;
      const asked = { ...committed };
      let result: WindowsEventsRead;
      try {
        const json = await runPowerShellJson(runner, eventsScript(asked, opts.maxRecordsPerRead), { maxOutputBytes: 16 * 1024 * 1024 });
        result = parseEventsJson(json, asked);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          missing = true;
          opts.log('Windows events unavailable on this machine (no powershell.exe); not collected', { err: (err as Error).message });
        } else report((err as Error).message);
        return NOTHING;
      }
      report(Object.keys(result.errors).length ? Object.entries(result.errors).map(([log, msg]) => `${log}: ${msg}`).join('; ') : undefined);
      if (Object.keys(result.skipped).length) opts.log('Windows events skipped: too many records since the last read', { skipped: result.skipped });
      return { events: result.events, cursor: JSON.stringify(result.cursor), more: false };
    },
    commit(cursor) {
      if (!cursor) return;
      const next = parseCursor(cursor);
      if (JSON.stringify(next) === JSON.stringify(committed)) return;
      writeFileAtomic(opts.cursorFile, `${JSON.stringify(next)}\n`);
      committed = next;
    },
  };
}
