import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { DiskQueue, DiskQueueClosedError, type DiskQueueOptions } from './disk-queue';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-queue-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const open = (options: Partial<DiskQueueOptions> = {}) => DiskQueue.open({ dir, fsync: 'never', ...options });
const text = (payload: Buffer) => payload.toString('utf8');
const segmentFiles = () => fs.readdirSync(dir).filter((f) => f.endsWith('.seg')).sort();

function drain(queue: DiskQueue): { subject: string; body: string; seq: number }[] {
  const all: { subject: string; body: string; seq: number }[] = [];
  for (;;) {
    const batch = queue.peek(1000);
    if (batch.length === 0) return all;
    for (const m of batch) all.push({ subject: m.subject, body: text(m.payload), seq: m.seq });
    queue.ack(batch[batch.length - 1]!);
  }
}

describe('DiskQueue', () => {
  it('keeps order across a reopen and acknowledges after it', () => {
    const q = open();
    for (let seq = 1; seq <= 10; seq += 1) q.append(`vigie.t.tlm.m.metrics`, Buffer.from(`m${seq}`), seq);
    const first = q.peek(4);
    expect(first.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    expect(q.ack(first[3]!)).toBe(4);
    q.close();

    const again = open();
    expect(again.length).toBe(6);
    const next = again.peek(3);
    expect(next.map((m) => [m.subject, text(m.payload), m.seq])).toEqual([
      ['vigie.t.tlm.m.metrics', 'm5', 5],
      ['vigie.t.tlm.m.metrics', 'm6', 6],
      ['vigie.t.tlm.m.metrics', 'm7', 7],
    ]);
    again.ack(next[2]!);
    again.close();

    const third = open();
    expect(drain(third).map((m) => m.seq)).toEqual([8, 9, 10]);
    expect(third.stats()).toMatchObject({ messages: 0, bytes: 0, dropped: 0 });
    third.close();
  });

  it('peek does not remove; an ack of an already removed message is a no-op', () => {
    const q = open();
    q.append('s', Buffer.from('a'), 1);
    q.append('s', Buffer.from('b'), 2);
    const batch = q.peek(10);
    expect(q.peek(10).map((m) => m.seq)).toEqual([1, 2]);
    expect(q.ack(batch[0]!)).toBe(1);
    expect(q.ack(batch[0]!)).toBe(0);
    expect(q.ack(batch[1]!.ref)).toBe(1);
    expect(q.length).toBe(0);
    expect(() => q.ack(batch[1]!)).not.toThrow();
    q.close();
    expect(() => q.append('s', Buffer.from('c'), 3)).toThrow(DiskQueueClosedError);
  });

  it('refuses an ack beyond the tail and a message larger than the bound', () => {
    const q = open({ maxBytes: 100 });
    q.append('s', Buffer.from('a'), 1);
    expect(() => q.ack({ ordinal: 5, segment: 1, end: 30 })).toThrow(RangeError);
    expect(() => q.append('s', Buffer.alloc(200), 2)).toThrow(RangeError);
    expect(() => q.append('s', Buffer.from('x'), -1)).toThrow(RangeError);
    expect(q.length).toBe(1);
    q.close();
  });

  it('discards a torn record at the tail on open and appends after the last good one', () => {
    const q = open();
    for (let seq = 1; seq <= 3; seq += 1) q.append('s', Buffer.from(`payload-${seq}`), seq);
    q.close();
    const [segment] = segmentFiles();
    const file = path.join(dir, segment!);
    const size = fs.statSync(file).size;
    fs.truncateSync(file, size - 5); // the crash cut the third record in the middle

    const reopened = open();
    expect(reopened.recovery.truncatedBytes).toBe(8 + 10 + 1 + 9 - 5); // what was left of record 3
    expect(reopened.peek(10).map((m) => text(m.payload))).toEqual(['payload-1', 'payload-2']);
    reopened.append('s', Buffer.from('payload-4'), 4);
    reopened.close();

    const third = open();
    expect(third.recovery.truncatedBytes).toBe(0);
    expect(drain(third).map((m) => m.seq)).toEqual([1, 2, 4]);
    third.close();
  });

  it('discards a tail record whose CRC does not match, and zeros left by a power cut', () => {
    const q = open();
    q.append('s', Buffer.from('good'), 1);
    q.append('s', Buffer.from('flipped'), 2);
    q.close();
    const file = path.join(dir, segmentFiles()[0]!);
    const bytes = fs.readFileSync(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 2) ^ 0xff, bytes.length - 2);
    fs.writeFileSync(file, Buffer.concat([bytes, Buffer.alloc(4096)]));

    const reopened = open();
    expect(reopened.recovery.truncatedBytes).toBe(8 + 10 + 1 + 7 + 4096);
    expect(drain(reopened).map((m) => m.body)).toEqual(['good']);
    reopened.close();
  });

  it('drops the oldest beyond the message bound and counts them across restarts', () => {
    const q = open({ maxMessages: 5 });
    for (let seq = 1; seq <= 8; seq += 1) q.append('s', Buffer.from(`m${seq}`), seq);
    expect(q.stats()).toMatchObject({ messages: 5, dropped: 3 });
    expect(q.peek(10).map((m) => m.seq)).toEqual([4, 5, 6, 7, 8]);
    q.close();

    const reopened = open({ maxMessages: 5 });
    expect(reopened.stats()).toMatchObject({ messages: 5, dropped: 3 });
    reopened.append('s', Buffer.from('m9'), 9);
    expect(reopened.stats().dropped).toBe(4);
    expect(drain(reopened).map((m) => m.seq)).toEqual([5, 6, 7, 8, 9]);
    reopened.close();
  });

  it('drops the oldest beyond the byte bound, across segments', () => {
    // Each record: 8 framing + 10 fixed + 1 subject + 100 payload = 119 bytes.
    const q = open({ maxBytes: 119 * 10, segmentBytes: 119 * 3 + 8 });
    for (let seq = 1; seq <= 25; seq += 1) q.append('s', Buffer.alloc(100, seq), seq);
    expect(q.stats()).toMatchObject({ messages: 10, bytes: 1190, dropped: 15 });
    expect(segmentFiles().length).toBeLessThanOrEqual(5);
    const batch = q.peek(100);
    expect(batch.map((m) => m.seq)).toEqual([16, 17, 18, 19, 20, 21, 22, 23, 24, 25]);
    expect(batch.every((m) => m.payload.equals(Buffer.alloc(100, m.seq)))).toBe(true);
    q.close();
  });

  it('an ack taken before the bound dropped those messages removes nothing unread', () => {
    const q = open({ maxMessages: 3 });
    for (let seq = 1; seq <= 3; seq += 1) q.append('s', Buffer.from(`m${seq}`), seq);
    const sending = q.peek(2); // 1 and 2 are being published…
    q.append('s', Buffer.from('m4'), 4); // …meanwhile 1 is dropped
    q.append('s', Buffer.from('m5'), 5); // …and 2
    expect(q.ack(sending[1]!)).toBe(0);
    expect(q.peek(10).map((m) => m.seq)).toEqual([3, 4, 5]);
    q.close();
  });

  it('rotates segments and deletes the ones read past', () => {
    const q = open({ segmentBytes: 1024 });
    for (let seq = 1; seq <= 200; seq += 1) q.append('vigie.t.tlm.m.hb', Buffer.from(`{"seq":${seq}}`), seq);
    expect(segmentFiles().length).toBeGreaterThan(5);
    const half = q.peek(150);
    q.ack(half[149]!);
    const remaining = segmentFiles().length;
    q.close();
    const reopened = open({ segmentBytes: 1024 });
    expect(segmentFiles().length).toBe(remaining);
    expect(drain(reopened).map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 151 + i));
    reopened.append('s', Buffer.from('next'), 201);
    expect(segmentFiles().length).toBeLessThanOrEqual(2);
    reopened.close();
  });

  it('peek honours a byte budget but always returns one message', () => {
    const q = open();
    q.append('s', Buffer.alloc(5000), 1);
    q.append('s', Buffer.alloc(10), 2);
    q.append('s', Buffer.alloc(10), 3);
    expect(q.peek(10, 100).map((m) => m.seq)).toEqual([1]);
    q.ack(q.peek(1)[0]!);
    expect(q.peek(10, 15).map((m) => m.seq)).toEqual([2]);
    q.close();
  });

  it('reads records larger than the read chunk (64 KiB)', () => {
    const q = open({ segmentBytes: 8 * 1024 * 1024 });
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    q.append('s', Buffer.from('small'), 1);
    q.append('s', big, 2);
    q.append('s', Buffer.from('after'), 3);
    q.close();
    const reopened = open({ segmentBytes: 8 * 1024 * 1024 });
    const all = reopened.peek(10);
    expect(all.map((m) => m.seq)).toEqual([1, 2, 3]);
    expect(all[1]!.payload.equals(big)).toBe(true);
    reopened.close();
  });

  it('falls back to the previous head slot when the last head write was torn', () => {
    const q = open();
    for (let seq = 1; seq <= 4; seq += 1) q.append('s', Buffer.from(`m${seq}`), seq);
    q.ack(q.peek(1)[0]!);
    q.ack(q.peek(1)[0]!);
    q.close();
    // Tear the newest slot: the head goes back one ack (a replay, never a loss).
    const head = fs.readFileSync(path.join(dir, 'head'));
    const slots = [0, 64].map((at) => ({ at, generation: head.readUInt32LE(at + 8) }));
    const newest = slots.sort((a, b) => b.generation - a.generation)[0]!;
    head.writeUInt8(head.readUInt8(newest.at + 20) ^ 0xff, newest.at + 20);
    fs.writeFileSync(path.join(dir, 'head'), head);
    const reopened = open();
    expect(reopened.peek(10).map((m) => m.seq)).toEqual([2, 3, 4]);
    reopened.close();
  });

  it('recovers from a crash while a new segment was being created, and from leftover read segments', () => {
    const q = open({ segmentBytes: 200 });
    for (let seq = 1; seq <= 12; seq += 1) q.append('s', Buffer.alloc(40, seq), seq);
    q.ack(q.peek(5)[4]!);
    q.close();
    const files = segmentFiles();
    const lastId = Number(files[files.length - 1]!.slice(0, 16));
    // The crash left a new segment without its full header…
    fs.writeFileSync(path.join(dir, `${String(lastId + 1).padStart(16, '0')}.seg`), 'VGQ');
    // …and a segment already read past whose deletion did not happen.
    fs.writeFileSync(path.join(dir, '0000000000000000.seg'), 'anything');

    const reopened = open({ segmentBytes: 200 });
    expect(reopened.recovery).toEqual({ truncatedBytes: 3, discardedSegments: 0 });
    expect(segmentFiles()).toEqual(files.filter((f) => f !== '0000000000000000.seg'));
    reopened.append('s', Buffer.alloc(40, 13), 13);
    expect(drain(reopened).map((m) => m.seq)).toEqual([6, 7, 8, 9, 10, 11, 12, 13]);
    reopened.close();
  });

  it('syncs with every policy and survives an unflushed close', () => {
    for (const fsync of ['always', 'interval', 'never'] as const) {
      const sub = path.join(dir, fsync);
      const q = DiskQueue.open({ dir: sub, fsync, fsyncIntervalMs: 1 });
      for (let seq = 1; seq <= 20; seq += 1) q.append('s', Buffer.from(String(seq)), seq);
      q.flush();
      q.close();
      const again = DiskQueue.open({ dir: sub, fsync });
      expect(again.length).toBe(20);
      again.close();
    }
  });

  it('handles 50 000 small messages quickly', () => {
    const started = Date.now();
    const q = open({ fsync: 'interval' });
    const payload = Buffer.from('{"cpu":12.5,"load":[0.1,0.2,0.3]}');
    for (let seq = 1; seq <= 50_000; seq += 1) q.append('vigie.t1.tlm.m1.metrics', payload, seq);
    q.close();
    const reopened = open({ fsync: 'interval' });
    expect(reopened.length).toBe(50_000);
    let expected = 1;
    for (;;) {
      const batch = reopened.peek(500);
      if (batch.length === 0) break;
      for (const m of batch) {
        if (m.seq !== expected) throw new Error(`out of order: ${m.seq} instead of ${expected}`);
        expected += 1;
      }
      reopened.ack(batch[batch.length - 1]!);
    }
    expect(expected).toBe(50_001);
    reopened.close();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('behaves like an in-memory bounded FIFO under random operations and reopens', () => {
    type Op =
      | { kind: 'append'; size: number }
      | { kind: 'ack'; count: number }
      | { kind: 'reopen' };
    const op = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), size: fc.integer({ min: 0, max: 300 }) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const), count: fc.integer({ min: 1, max: 10 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
    );
    fc.assert(
      fc.property(fc.array(op as fc.Arbitrary<Op>, { maxLength: 120 }), (ops) => {
        const sub = fs.mkdtempSync(path.join(dir, 'p-'));
        const options = { dir: sub, fsync: 'never' as const, maxMessages: 25, maxBytes: 4000, segmentBytes: 900 };
        let q = DiskQueue.open(options);
        const model: { seq: number; size: number }[] = [];
        let modelBytes = 0;
        let dropped = 0;
        let seq = 0;
        try {
          for (const step of ops) {
            if (step.kind === 'append') {
              seq += 1;
              const record = 8 + 10 + 1 + step.size;
              while (model.length > 0 && (model.length + 1 > 25 || modelBytes + record > 4000)) {
                modelBytes -= 8 + 10 + 1 + model.shift()!.size;
                dropped += 1;
              }
              model.push({ seq, size: step.size });
              modelBytes += record;
              q.append('s', Buffer.alloc(step.size, seq % 256), seq);
            } else if (step.kind === 'ack') {
              const batch = q.peek(step.count);
              if (batch.length > 0) q.ack(batch[batch.length - 1]!);
              for (const _ of batch) modelBytes -= 8 + 10 + 1 + model.shift()!.size;
            } else {
              q.close();
              q = DiskQueue.open(options);
            }
            expect(q.stats()).toMatchObject({ messages: model.length, bytes: modelBytes, dropped });
          }
          expect(q.peek(100).map((m) => m.seq)).toEqual(model.map((m) => m.seq));
        } finally {
          q.close();
          fs.rmSync(sub, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  });
});
