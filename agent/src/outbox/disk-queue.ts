import fs from 'node:fs';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { fsyncDir } from '../durable-file';

/**
 * The agent's outbox: telemetry waits here, on disk, while NATS is unreachable, and is replayed in order when it
 * is back. It must survive a crash or a power cut, stay within a bound on a small machine, and drop (and count)
 * the oldest messages only when that bound is reached.
 *
 * Layout of `dir`:
 * - `<16-digit id>.seg` segment files, appended in order. Each starts with the 8-byte magic `VGQSEG01`, then
 *   records, all little-endian:
 *
 *       u32 bodyLength | u32 crc32(bodyLength bytes ‖ body) | body
 *       body = u64 seq | u16 subjectLength | subject (UTF-8) | payload
 *
 *   On open every record is checked; at the first one that is short or fails its CRC (a write torn by a crash, or
 *   zeros a filesystem left after a power cut) the segment is truncated, so appends continue after the last good
 *   record. A new segment starts when the tail would grow beyond `segmentBytes`; a segment is deleted once the
 *   head has moved past it (that is the compaction: no rewriting, only whole files removed).
 * - `head`: where reading starts, in two 64-byte slots written alternately, each with a generation and a CRC;
 *   the valid slot with the highest generation wins, so a torn slot write falls back to the previous head.
 *   It also carries the persistent `dropped` counter and the ordinal of the head record.
 *
 * Durability (`fsync`): every append is written with a synchronous `write`, so it is in the kernel before
 * `append` returns and survives the agent crashing. A power cut is what fsync is for: `'always'` syncs each
 * append (safest, slowest), `'interval'` (default) at most every `fsyncIntervalMs` (a power cut loses at most that
 * window), `'never'` leaves it to the OS. The head is not synced on each ack: losing a head update only replays
 * messages already delivered, which JetStream (Nats-Msg-Id) and ingest (unique machine + seq) drop as duplicates.
 *
 * The API is synchronous on purpose: one writer, small records, order is trivially kept, and each call costs a
 * few microseconds (the page cache), except an fsync. One process owns a directory at a time.
 */

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface DiskQueueOptions {
  dir: string;
  /** Bound on the queued records' bytes (framing included). Default 64 MiB. */
  maxBytes?: number;
  /** Bound on the number of queued messages. Default 500 000. */
  maxMessages?: number;
  /** A new segment file starts beyond this size. Default 4 MiB. */
  segmentBytes?: number;
  fsync?: FsyncPolicy;
  /** With `fsync: 'interval'`. Default 1000 ms. */
  fsyncIntervalMs?: number;
}

/** Identifies a read message so that `ack` can remove it and everything before it. */
export interface QueueRef {
  readonly ordinal: number;
  readonly segment: number;
  readonly end: number;
}

export interface QueuedMessage {
  subject: string;
  payload: Buffer;
  seq: number;
  ref: QueueRef;
}

export interface DiskQueueStats {
  messages: number;
  bytes: number;
  /** Messages dropped since the queue was created (bound reached), kept across restarts. */
  dropped: number;
  segments: number;
}

/** What opening had to repair. */
export interface RecoveryReport {
  /** Bytes cut from segment tails (torn or corrupt records). */
  truncatedBytes: number;
  /** Segments deleted because their header was unreadable. */
  discardedSegments: number;
}

export class DiskQueueClosedError extends Error {
  constructor() {
    super('disk queue is closed');
    this.name = 'DiskQueueClosedError';
  }
}

const SEGMENT_MAGIC = Buffer.from('VGQSEG01', 'latin1');
const SEGMENT_HEADER = SEGMENT_MAGIC.length;
const RECORD_HEADER = 8;
const BODY_FIXED = 10;
/** A length above this is corruption, not data (the bound on a single record). */
const MAX_BODY = 64 * 1024 * 1024;
const READ_CHUNK = 64 * 1024;
const HEAD_FILE = 'head';
const HEAD_SLOT = 64;
const HEAD_VERSION = 1;
const SEGMENT_NAME = /^(\d{16})\.seg$/;

interface Segment {
  id: number;
  file: string;
  /** File size: end of the last good record. */
  size: number;
  records: number;
  /** Ordinal of the segment's first record (ordinals number records since the queue was created). */
  firstOrdinal: number;
}

interface HeadState {
  generation: number;
  segment: number;
  offset: number;
  ordinal: number;
  dropped: number;
}

const segmentName = (id: number) => `${String(id).padStart(16, '0')}.seg`;

function readU64(buf: Buffer, at: number): number {
  return buf.readUInt32LE(at) + buf.readUInt32LE(at + 4) * 2 ** 32;
}

function writeU64(buf: Buffer, value: number, at: number): void {
  buf.writeUInt32LE(value % 2 ** 32, at);
  buf.writeUInt32LE(Math.floor(value / 2 ** 32), at + 4);
}

/** Length of the valid record at `offset`, or -1 if it is torn or corrupt. */
function validRecordLength(buf: Buffer, offset: number): number {
  if (buf.length - offset < RECORD_HEADER) return -1;
  const bodyLength = buf.readUInt32LE(offset);
  if (bodyLength < BODY_FIXED || bodyLength > MAX_BODY) return -1;
  const end = offset + RECORD_HEADER + bodyLength;
  if (end > buf.length) return -1;
  const body = buf.subarray(offset + RECORD_HEADER, end);
  if (body.readUInt16LE(8) > bodyLength - BODY_FIXED) return -1;
  const crc = crc32(body, crc32(buf.subarray(offset, offset + 4)));
  return crc === buf.readUInt32LE(offset + 4) ? RECORD_HEADER + bodyLength : -1;
}

interface ScanResult {
  validEnd: number;
  records: number;
  /** Records ending at or before `until`, and the last record boundary at or before it. */
  consumed: number;
  boundary: number;
}

function scanSegment(buf: Buffer, until: number): ScanResult {
  let offset = SEGMENT_HEADER;
  let records = 0;
  let consumed = 0;
  let boundary = SEGMENT_HEADER;
  for (;;) {
    const length = validRecordLength(buf, offset);
    if (length < 0) break;
    offset += length;
    records += 1;
    if (offset <= until) {
      consumed = records;
      boundary = offset;
    }
  }
  return { validEnd: offset, records, consumed, boundary };
}

function decodeHeadSlot(buf: Buffer): HeadState | undefined {
  if (buf.length < 48) return undefined;
  if (buf.readUInt32LE(4) !== HEAD_VERSION) return undefined;
  if (crc32(buf.subarray(4, 48)) !== buf.readUInt32LE(0)) return undefined;
  return {
    generation: readU64(buf, 8),
    segment: readU64(buf, 16),
    offset: readU64(buf, 24),
    ordinal: readU64(buf, 32),
    dropped: readU64(buf, 40),
  };
}

function encodeHeadSlot(head: HeadState): Buffer {
  const buf = Buffer.alloc(HEAD_SLOT);
  buf.writeUInt32LE(HEAD_VERSION, 4);
  writeU64(buf, head.generation, 8);
  writeU64(buf, head.segment, 16);
  writeU64(buf, head.offset, 24);
  writeU64(buf, head.ordinal, 32);
  writeU64(buf, head.dropped, 40);
  buf.writeUInt32LE(crc32(buf.subarray(4, 48)), 0);
  return buf;
}

function readFully(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`disk queue: unexpected end of segment at ${position + done}`);
    done += n;
  }
  return buf;
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
}

function createSegment(dir: string, id: number): Segment {
  const file = path.join(dir, segmentName(id));
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    writeFully(fd, SEGMENT_MAGIC, 0);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fsyncDir(dir);
  return { id, file, size: SEGMENT_HEADER, records: 0, firstOrdinal: 0 };
}

export class DiskQueue {
  readonly dir: string;
  readonly maxBytes: number;
  readonly maxMessages: number;
  readonly segmentBytes: number;
  readonly fsyncPolicy: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  /** What opening repaired (torn tail, unreadable segments). */
  readonly recovery: RecoveryReport;

  private segments: Segment[];
  private head: HeadState;
  private liveCount: number;
  private liveBytes: number;
  private tailFd: number;
  private headFd: number;
  private readFd: { id: number; fd: number } | undefined;
  private dataDirty = false;
  private headDirty = false;
  private lastSync = Date.now();
  private syncTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /** Opens (or creates) the queue in `options.dir`, repairing a torn tail. */
  static open(options: DiskQueueOptions): DiskQueue {
    return new DiskQueue(options);
  }

  private constructor(options: DiskQueueOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxMessages = options.maxMessages ?? 500_000;
    this.segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024;
    this.fsyncPolicy = options.fsync ?? 'interval';
    this.fsyncIntervalMs = options.fsyncIntervalMs ?? 1000;
    if (!(this.maxBytes > 0) || !(this.maxMessages > 0) || !(this.segmentBytes > SEGMENT_HEADER)) {
      throw new RangeError('disk queue: maxBytes, maxMessages and segmentBytes must be positive');
    }
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });

    this.headFd = fs.openSync(path.join(this.dir, HEAD_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    const stored = this.readHead();
    const recovery: RecoveryReport = { truncatedBytes: 0, discardedSegments: 0 };
    this.head = stored ?? { generation: 0, segment: 0, offset: SEGMENT_HEADER, ordinal: 0, dropped: 0 };

    const ids = fs
      .readdirSync(this.dir)
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((id): id is string => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    const segments: Segment[] = [];
    let headMoved = false;
    for (const [index, id] of ids.entries()) {
      const file = path.join(this.dir, segmentName(id));
      // Behind the head: fully acknowledged, its deletion was interrupted.
      if (id < this.head.segment) {
        fs.rmSync(file, { force: true });
        continue;
      }
      const isLast = index === ids.length - 1;
      const buf = fs.readFileSync(file);
      if (buf.length < SEGMENT_HEADER || !buf.subarray(0, SEGMENT_HEADER).equals(SEGMENT_MAGIC)) {
        // A crash while creating the last segment leaves it short: start it again. Elsewhere it is damage.
        fs.rmSync(file, { force: true });
        if (isLast && buf.length < SEGMENT_HEADER) {
          recovery.truncatedBytes += buf.length;
        } else {
          recovery.discardedSegments += 1;
        }
        continue;
      }
      const isHead = segments.length === 0;
      if (isHead && id !== this.head.segment) {
        // The head's segment is gone: start at the next one.
        this.head = { ...this.head, segment: id, offset: SEGMENT_HEADER };
        headMoved = true;
      }
      const scan = scanSegment(buf, isHead ? this.head.offset : SEGMENT_HEADER);
      if (scan.validEnd < buf.length) {
        const fd = fs.openSync(file, 'r+');
        try {
          fs.ftruncateSync(fd, scan.validEnd);
          fs.fsyncSync(fd);
        } finally {
          fs.closeSync(fd);
        }
        recovery.truncatedBytes += buf.length - scan.validEnd;
      }
      let firstOrdinal: number;
      if (isHead) {
        if (scan.boundary !== this.head.offset) {
          // The head pointed beyond what survived (or between records): replay rather than skip.
          this.head = { ...this.head, offset: scan.boundary };
          headMoved = true;
        }
        firstOrdinal = this.head.ordinal - scan.consumed;
      } else {
        const previous = segments[segments.length - 1]!;
        firstOrdinal = previous.firstOrdinal + previous.records;
      }
      segments.push({ id, file, size: scan.validEnd, records: scan.records, firstOrdinal });
    }
    if (segments.length === 0) {
      const segment = createSegment(this.dir, Math.max(this.head.segment, (ids[ids.length - 1] ?? 0) + 1, 1));
      segment.firstOrdinal = this.head.ordinal;
      segments.push(segment);
      this.head = { ...this.head, segment: segment.id, offset: SEGMENT_HEADER };
      headMoved = true;
    }
    this.segments = segments;
    const first = segments[0]!;
    this.liveCount = segments.reduce((n, s) => n + s.records, 0) - (this.head.ordinal - first.firstOrdinal);
    this.liveBytes = segments.reduce((n, s) => n + s.size - SEGMENT_HEADER, 0) - (this.head.offset - SEGMENT_HEADER);
    this.tailFd = fs.openSync(segments[segments.length - 1]!.file, 'r+');
    this.recovery = recovery;
    if (headMoved || !stored) {
      this.writeHead();
      fs.fdatasyncSync(this.headFd);
      this.headDirty = false;
    }
    // A segment left fully read at the front (e.g. after a head repair) is released now.
    this.releaseConsumedSegments();
  }

  /** Number of queued messages. */
  get length(): number {
    return this.liveCount;
  }

  stats(): DiskQueueStats {
    return { messages: this.liveCount, bytes: this.liveBytes, dropped: this.head.dropped, segments: this.segments.length };
  }

  /**
   * Appends a message at the tail. When the bound would be exceeded, the oldest messages are dropped first and
   * counted in `dropped`. A single message larger than `maxBytes` is refused (RangeError).
   */
  append(subject: string, payload: Uint8Array, seq: number): void {
    this.assertOpen();
    if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`disk queue: invalid seq ${seq}`);
    const subjectLength = Buffer.byteLength(subject, 'utf8');
    if (subjectLength > 0xffff) throw new RangeError('disk queue: subject longer than 65535 bytes');
    const bodyLength = BODY_FIXED + subjectLength + payload.byteLength;
    const recordLength = RECORD_HEADER + bodyLength;
    if (bodyLength > MAX_BODY || recordLength > this.maxBytes) {
      throw new RangeError(`disk queue: a ${recordLength}-byte message exceeds the bound`);
    }

    this.makeRoom(recordLength);
    let tail = this.segments[this.segments.length - 1]!;
    if (tail.records > 0 && tail.size + recordLength > this.segmentBytes) tail = this.rotate();

    const record = Buffer.allocUnsafe(recordLength);
    record.writeUInt32LE(bodyLength, 0);
    writeU64(record, seq, 8);
    record.writeUInt16LE(subjectLength, 16);
    record.write(subject, 18, 'utf8');
    record.set(payload, 18 + subjectLength);
    record.writeUInt32LE(crc32(record.subarray(RECORD_HEADER), crc32(record.subarray(0, 4))), 4);
    writeFully(this.tailFd, record, tail.size);

    tail.size += recordLength;
    tail.records += 1;
    this.liveCount += 1;
    this.liveBytes += recordLength;
    this.dataDirty = true;
    this.afterWrite();
  }

  /**
   * Reads up to `limit` messages from the head, in order, without removing them (see `ack`). Stops before
   * `maxBytes` of payload, but always returns at least one message when the queue is not empty.
   */
  peek(limit = 100, maxBytes = Number.POSITIVE_INFINITY): QueuedMessage[] {
    this.assertOpen();
    const out: QueuedMessage[] = [];
    let payloadBytes = 0;
    let segmentIndex = 0;
    let offset = this.head.offset;
    let ordinal = this.head.ordinal;
    const endOrdinal = this.head.ordinal + this.liveCount;
    while (out.length < limit && ordinal < endOrdinal) {
      const segment = this.segments[segmentIndex];
      if (!segment) break;
      if (offset >= segment.size) {
        segmentIndex += 1;
        offset = SEGMENT_HEADER;
        continue;
      }
      const fd = this.fdFor(segment);
      let chunk = readFully(fd, Math.min(READ_CHUNK, segment.size - offset), offset);
      let at = 0;
      if (chunk.length >= RECORD_HEADER && RECORD_HEADER + chunk.readUInt32LE(0) > chunk.length) {
        // A record larger than the chunk: read it whole.
        chunk = readFully(fd, Math.min(RECORD_HEADER + chunk.readUInt32LE(0), segment.size - offset), offset);
      }
      while (at < chunk.length && out.length < limit && ordinal < endOrdinal) {
        if (chunk.length - at < RECORD_HEADER || RECORD_HEADER + chunk.readUInt32LE(at) > chunk.length - at) break;
        const length = validRecordLength(chunk, at);
        if (length < 0) {
          throw new Error(`disk queue: corrupt record in ${segment.file} at ${offset + at}; reopen the queue to repair it`);
        }
        const body = chunk.subarray(at + RECORD_HEADER, at + length);
        const subjectLength = body.readUInt16LE(8);
        const payload = Buffer.from(body.subarray(BODY_FIXED + subjectLength));
        if (out.length > 0 && payloadBytes + payload.length > maxBytes) return out;
        payloadBytes += payload.length;
        at += length;
        out.push({
          subject: body.toString('utf8', BODY_FIXED, BODY_FIXED + subjectLength),
          payload,
          seq: readU64(body, 0),
          ref: { ordinal, segment: segment.id, end: offset + at },
        });
        ordinal += 1;
      }
      offset += at;
    }
    return out;
  }

  /**
   * Removes every message up to and including `upTo` (from `peek`). A message already gone (acknowledged, or
   * dropped by the bound meanwhile) is a no-op, so acking after a drop never removes unread messages.
   * Returns the number of messages removed.
   */
  ack(upTo: QueueRef | QueuedMessage): number {
    this.assertOpen();
    const ref = 'ref' in upTo ? upTo.ref : upTo;
    if (ref.ordinal < this.head.ordinal) return 0;
    if (ref.ordinal >= this.head.ordinal + this.liveCount) throw new RangeError('disk queue: ack beyond the tail');
    const index = this.segments.findIndex((s) => s.id === ref.segment);
    const segment = this.segments[index];
    if (
      !segment ||
      ref.ordinal < segment.firstOrdinal ||
      ref.ordinal >= segment.firstOrdinal + segment.records ||
      ref.end > segment.size
    ) {
      throw new RangeError('disk queue: unknown message reference');
    }
    let bytes = 0;
    let offset = this.head.offset;
    for (let i = 0; i < index; i += 1) {
      bytes += this.segments[i]!.size - offset;
      offset = SEGMENT_HEADER;
    }
    bytes += ref.end - offset;
    const removed = ref.ordinal + 1 - this.head.ordinal;
    const finished = this.segments.splice(0, index);
    this.head = { ...this.head, segment: segment.id, offset: ref.end, ordinal: ref.ordinal + 1 };
    this.liveCount -= removed;
    this.liveBytes -= bytes;
    this.commitHead(finished);
    return removed;
  }

  /** Forces appended data and the head to disk (whatever the fsync policy). */
  flush(): void {
    this.assertOpen();
    this.sync();
  }

  /** Flushes and closes; the queue must be opened again to be used. */
  close(): void {
    if (this.closed) return;
    this.sync();
    if (this.syncTimer) clearTimeout(this.syncTimer);
    this.closeReadFd();
    fs.closeSync(this.tailFd);
    fs.closeSync(this.headFd);
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new DiskQueueClosedError();
  }

  private readHead(): HeadState | undefined {
    const buf = Buffer.alloc(HEAD_SLOT * 2);
    const n = fs.readSync(this.headFd, buf, 0, buf.length, 0);
    const slots = [decodeHeadSlot(buf.subarray(0, Math.min(n, HEAD_SLOT))), decodeHeadSlot(buf.subarray(HEAD_SLOT, n))];
    return slots
      .filter((s): s is HeadState => s !== undefined)
      .sort((a, b) => b.generation - a.generation)[0];
  }

  private writeHead(): void {
    this.head = { ...this.head, generation: this.head.generation + 1 };
    writeFully(this.headFd, encodeHeadSlot(this.head), (this.head.generation % 2) * HEAD_SLOT);
    this.headDirty = true;
  }

  /** Persists the head, then deletes the segments it has left (a crash in between only leaves files to delete). */
  private commitHead(finished: Segment[]): void {
    const released = this.releaseFront();
    this.writeHead();
    for (const segment of [...finished, ...released]) this.removeSegmentFile(segment);
    this.afterWrite();
  }

  private releaseConsumedSegments(): void {
    const released = this.releaseFront();
    if (released.length === 0) return;
    this.writeHead();
    for (const segment of released) this.removeSegmentFile(segment);
  }

  /** Moves the head off fully read segments at the front (never off the tail). */
  private releaseFront(): Segment[] {
    const released: Segment[] = [];
    while (this.segments.length > 1 && this.head.offset >= this.segments[0]!.size) {
      released.push(this.segments.shift()!);
      this.head = { ...this.head, segment: this.segments[0]!.id, offset: SEGMENT_HEADER };
    }
    return released;
  }

  private removeSegmentFile(segment: Segment): void {
    if (this.readFd?.id === segment.id) this.closeReadFd();
    fs.rmSync(segment.file, { force: true });
  }

  private makeRoom(recordLength: number): void {
    let dropped = 0;
    const finished: Segment[] = [];
    while (
      this.liveCount > 0 &&
      (this.liveCount + 1 > this.maxMessages || this.liveBytes + recordLength > this.maxBytes)
    ) {
      finished.push(...this.releaseFront());
      const segment = this.segments[0]!;
      const length = RECORD_HEADER + readFully(this.fdFor(segment), 4, this.head.offset).readUInt32LE(0);
      this.head = { ...this.head, offset: this.head.offset + length, ordinal: this.head.ordinal + 1 };
      this.liveCount -= 1;
      this.liveBytes -= length;
      dropped += 1;
    }
    if (dropped === 0) return;
    this.head = { ...this.head, dropped: this.head.dropped + dropped };
    this.commitHead(finished);
  }

  private rotate(): Segment {
    const old = this.segments[this.segments.length - 1]!;
    if (this.dataDirty && this.fsyncPolicy !== 'never') fs.fdatasyncSync(this.tailFd);
    this.dataDirty = false;
    const next = createSegment(this.dir, old.id + 1);
    next.firstOrdinal = old.firstOrdinal + old.records;
    fs.closeSync(this.tailFd);
    this.tailFd = fs.openSync(next.file, 'r+');
    this.segments.push(next);
    this.releaseConsumedSegments();
    return next;
  }

  private fdFor(segment: Segment): number {
    if (segment === this.segments[this.segments.length - 1]) return this.tailFd;
    if (this.readFd?.id !== segment.id) {
      this.closeReadFd();
      this.readFd = { id: segment.id, fd: fs.openSync(segment.file, 'r') };
    }
    return this.readFd.fd;
  }

  private closeReadFd(): void {
    if (!this.readFd) return;
    fs.closeSync(this.readFd.fd);
    this.readFd = undefined;
  }

  private afterWrite(): void {
    if (this.fsyncPolicy === 'always') {
      if (this.dataDirty) this.sync();
    } else if (this.fsyncPolicy === 'interval') {
      const due = this.lastSync + this.fsyncIntervalMs - Date.now();
      if (due <= 0) this.sync();
      else if (!this.syncTimer) {
        this.syncTimer = setTimeout(() => {
          this.syncTimer = undefined;
          if (!this.closed) this.sync();
        }, due);
        this.syncTimer.unref();
      }
    }
  }

  private sync(): void {
    if (this.dataDirty) fs.fdatasyncSync(this.tailFd);
    if (this.headDirty) fs.fdatasyncSync(this.headFd);
    this.dataDirty = false;
    this.headDirty = false;
    this.lastSync = Date.now();
  }
}
