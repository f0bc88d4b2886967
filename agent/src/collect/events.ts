import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../durable-file';
import { execRunner, type CommandRunner } from '../exec';

/**
 * Critical system events (journald priority err and above) for the "event matching a pattern" alert rule.
 * journald gives each entry a cursor; the reader asks only for entries after the last committed one, so an
 * event is sent once, and a crash before the commit only re-reads (at least once, never lost). The caller
 * commits after it has put the events in the outbox:
 *
 *     const batch = await reader.read();
 *     for (const e of batch.events) outbox.append(…);
 *     reader.commit(batch.cursor);
 */

export type EventSeverity = 'emergency' | 'alert' | 'critical' | 'error';

export interface SystemEvent {
  cursor: string;
  /** UTC ISO 8601, from the entry's realtime timestamp. */
  at: string;
  /** syslog priority 0–3. */
  priority: number;
  severity: EventSeverity;
  message: string;
  /** SYSLOG_IDENTIFIER, else the process name. */
  source: string;
  /** The systemd unit the event is about (UNIT) or from (_SYSTEMD_UNIT). */
  unit?: string;
  pid?: number;
  bootId?: string;
}

const SEVERITIES: EventSeverity[] = ['emergency', 'alert', 'critical', 'error'];
/** A message is cut beyond this many characters (some services log whole stack traces as one entry). */
export const MAX_MESSAGE_CHARS = 8192;

type JournalValue = string | number[] | (string | number[])[] | null | undefined;

/**
 * A journald field in `-o json`: a string; an array of bytes when it is not valid UTF-8; an array of those
 * when the field repeats; null when it is too large to show.
 */
function fieldText(value: JournalValue): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  if (value.every((v) => typeof v === 'number')) return Buffer.from(value as number[]).toString('utf8');
  const first = (value as (string | number[])[]).find((v) => v !== null);
  return first === undefined ? undefined : fieldText(first);
}

export interface ParsedJournal {
  events: SystemEvent[];
  /** Lines that were not a journal entry (a line cut by the output cap is the usual one). */
  malformed: number;
}

/** `journalctl -o json` output: one JSON object per line. */
export function parseJournalJson(text: string): ParsedJournal {
  const events: SystemEvent[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: Record<string, JournalValue>;
    try {
      entry = JSON.parse(line) as Record<string, JournalValue>;
    } catch {
      malformed += 1;
      continue;
    }
    const cursor = fieldText(entry.__CURSOR);
    const micros = Number(fieldText(entry.__REALTIME_TIMESTAMP));
    if (!cursor || !Number.isFinite(micros)) {
      malformed += 1;
      continue;
    }
    const priority = Math.min(Math.max(Number(fieldText(entry.PRIORITY) ?? 3) || 0, 0), 3);
    const message = fieldText(entry.MESSAGE) ?? '(message too large to show)';
    const pid = Number(fieldText(entry._PID));
    const unit = fieldText(entry.UNIT) ?? fieldText(entry._SYSTEMD_UNIT);
    const bootId = fieldText(entry._BOOT_ID);
    events.push({
      cursor,
      at: new Date(Math.floor(micros / 1000)).toISOString(),
      priority,
      severity: SEVERITIES[priority]!,
      message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message,
      source: fieldText(entry.SYSLOG_IDENTIFIER) ?? fieldText(entry._COMM) ?? 'unknown',
      ...(unit ? { unit } : {}),
      ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
      ...(bootId ? { bootId } : {}),
    });
  }
  return { events, malformed };
}

export interface JournalReaderOptions {
  /** Where the committed cursor is kept across restarts. */
  cursorFile: string;
  runner?: CommandRunner;
  /** Where the very first read starts (journalctl `--since`). Default `-1h`. */
  since?: string;
  /** Events per read; the rest come with the next read. Default 500. */
  maxEvents?: number;
  /** Cap on journalctl's output per read. Default 8 MiB. */
  maxOutputBytes?: number;
}

export interface JournalBatch {
  events: SystemEvent[];
  /** The cursor to commit once the events are safe (unchanged when there were none). */
  cursor: string | undefined;
  /** More events are waiting: read again without waiting for the next period. */
  more: boolean;
}

export interface JournalReader {
  read(): Promise<JournalBatch>;
  commit(cursor: string | undefined): void;
  readonly cursor: string | undefined;
}

export class JournalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JournalError';
  }
}

const BASE_ARGS = ['--no-pager', '--quiet', '--all', '--output=json', '--priority=err'];

export function createJournalReader(options: JournalReaderOptions): JournalReader {
  const runner = options.runner ?? execRunner;
  const maxEvents = options.maxEvents ?? 500;
  fs.mkdirSync(path.dirname(options.cursorFile), { recursive: true, mode: 0o700 });
  let committed: string | undefined;
  try {
    committed = fs.readFileSync(options.cursorFile, 'utf8').trim() || undefined;
  } catch {
    committed = undefined;
  }

  const query = (after: string | undefined) =>
    runner('journalctl', [...BASE_ARGS, ...(after ? [`--after-cursor=${after}`] : [`--since=${options.since ?? '-1h'}`])], {
      timeoutMs: 30_000,
      maxOutputBytes: options.maxOutputBytes ?? 8 * 1024 * 1024,
    });

  return {
    get cursor() {
      return committed;
    },
    async read() {
      let result = await query(committed);
      // A cursor journald no longer knows (journal vacuumed, machine re-imaged): start again from `since`.
      if (result.code !== 0 && committed && /cursor/i.test(result.stderr)) result = await query(undefined);
      if (result.code !== 0 && !result.truncated) {
        throw new JournalError(`journalctl exited with ${result.code ?? result.signal}: ${result.stderr.trim()}`);
      }
      const { events } = parseJournalJson(result.stdout);
      const kept = events.slice(0, maxEvents);
      return {
        events: kept,
        cursor: kept.length > 0 ? kept[kept.length - 1]!.cursor : committed,
        more: events.length > maxEvents || result.truncated,
      };
    },
    commit(cursor) {
      if (!cursor || cursor === committed) return;
      writeFileAtomic(options.cursorFile, `${cursor}\n`);
      committed = cursor;
    },
  };
}
