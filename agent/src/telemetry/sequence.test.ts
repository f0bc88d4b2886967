import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSequence, SequenceFileError } from './sequence';

let dir: string;
let file: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-seq-'));
  file = path.join(dir, 'state', 'sequence.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const reserved = () => (JSON.parse(fs.readFileSync(file, 'utf8')) as { reserved: number }).reserved;

describe('openSequence', () => {
  it('counts from 1 and reserves a block before handing out its first number', () => {
    const seq = openSequence(file, { blockSize: 10 });
    expect(seq.current).toBe(0);
    expect(seq.nextSeq()).toBe(1);
    expect(reserved()).toBe(10);
    for (let i = 2; i <= 10; i += 1) expect(seq.nextSeq()).toBe(i);
    expect(reserved()).toBe(10);
    expect(seq.nextSeq()).toBe(11);
    expect(reserved()).toBe(20);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['sequence.json']);
  });

  it('continues without a gap after a clean close', () => {
    const first = openSequence(file, { blockSize: 100 });
    for (let i = 0; i < 7; i += 1) first.nextSeq();
    first.close();
    expect(() => first.nextSeq()).toThrow('closed');
    expect(openSequence(file, { blockSize: 100 }).nextSeq()).toBe(8);
  });

  it('never repeats a number across crashes (no close) and restarts', () => {
    const seen = new Set<number>();
    let last = 0;
    for (let run = 0; run < 30; run += 1) {
      const seq = openSequence(file, { blockSize: 16 });
      const count = (run * 7) % 40;
      for (let i = 0; i < count; i += 1) {
        const n = seq.nextSeq();
        expect(seen.has(n)).toBe(false);
        expect(n).toBeGreaterThan(last);
        seen.add(n);
        last = n;
      }
      if (run % 3 === 0) seq.close(); // otherwise the process "crashed": the reservation stays
    }
    expect(seen.size).toBeGreaterThan(400);
  });

  it('skips at most the rest of a block after a crash', () => {
    const crashed = openSequence(file, { blockSize: 50 });
    crashed.nextSeq();
    crashed.nextSeq();
    expect(openSequence(file, { blockSize: 50 }).nextSeq()).toBe(51);
  });

  it('starts above a floor known to be used (data directory lost)', () => {
    expect(openSequence(file, { floor: 41_000 }).nextSeq()).toBe(41_001);
    const again = openSequence(file, { floor: 5 });
    expect(again.nextSeq()).toBe(42_001);
  });

  it('refuses to restart from 1 when the file is damaged', () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"reserved": "12"}');
    expect(() => openSequence(file)).toThrow(SequenceFileError);
    fs.writeFileSync(file, '\0\0\0');
    expect(() => openSequence(file)).toThrow(/refusing to restart/);
    expect(() => openSequence(path.join(dir, 'x'), { blockSize: 0 })).toThrow(RangeError);
  });
});
