import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../durable-file';

/**
 * The per-machine telemetry sequence, sent as `Nats-Msg-Id = <machine>:<seq>`. JetStream and ingest treat a
 * repeated (machine, seq) as a duplicate and drop it silently, so a number handed out twice would lose a message
 * without anyone noticing: the sequence must never go back, even after a crash or a power cut.
 *
 * Writing the counter durably on every message would cost an fsync each time. Instead the file holds a
 * *reservation*: the highest number that may have been handed out. Before giving out a number above it, the
 * agent durably writes a new reservation one block further (write, fsync, rename, fsync the directory). After
 * a crash the agent restarts above the reservation, so the rest of the block is skipped (a gap, which costs
 * nothing) and no number is reused. A clean `close()` writes back the last number actually used, so an ordinary
 * restart leaves no gap at all.
 *
 * File format: one line of JSON, `{"version":1,"reserved":<integer>}`.
 */

export interface SequenceOptions {
  /** Numbers reserved per durable write. Default 1000. */
  blockSize?: number;
  /**
   * A number known to be used already (e.g. the last sequence the server has stored for this machine); the
   * sequence continues above it. This is how a machine whose data directory was lost avoids reusing numbers.
   */
  floor?: number;
}

export class SequenceFileError extends Error {
  constructor(file: string, reason: string) {
    super(`sequence file ${file} is unreadable (${reason}); refusing to restart the sequence, which would reuse numbers`);
    this.name = 'SequenceFileError';
  }
}

export interface Sequence {
  /** The next number: 1, 2, 3… across restarts, never repeated. */
  nextSeq(): number;
  /** The last number handed out (0 before the first). */
  readonly current: number;
  /** Writes back the last number used so a clean restart continues without a gap. */
  close(): void;
}

function readReserved(file: string): number {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SequenceFileError(file, 'not JSON');
  }
  const reserved = (parsed as { reserved?: unknown } | null)?.reserved;
  if (typeof reserved !== 'number' || !Number.isSafeInteger(reserved) || reserved < 0) {
    throw new SequenceFileError(file, 'no valid "reserved" number');
  }
  return reserved;
}

/** Opens (or creates) the sequence stored in `file`. Synchronous: it runs once at start-up. */
export function openSequence(file: string, options: SequenceOptions = {}): Sequence {
  const blockSize = options.blockSize ?? 1000;
  if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError('blockSize must be a positive integer');
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const write = (reserved: number) => writeFileAtomic(file, `${JSON.stringify({ version: 1, reserved })}\n`);

  let current = Math.max(readReserved(file), options.floor ?? 0);
  let reserved = current;
  let closed = false;

  return {
    nextSeq() {
      if (closed) throw new Error('sequence is closed');
      const next = current + 1;
      if (!Number.isSafeInteger(next)) throw new RangeError('sequence exhausted');
      if (next > reserved) {
        // Durable before the number leaves this function.
        write(reserved + blockSize);
        reserved += blockSize;
      }
      current = next;
      return next;
    },
    get current() {
      return current;
    },
    close() {
      if (closed) return;
      closed = true;
      if (reserved !== current) write(current);
    },
  };
}
