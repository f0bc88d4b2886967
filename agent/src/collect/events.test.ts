import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CommandRunner, RunResult } from '../exec';
import { createJournalReader, JournalError, MAX_MESSAGE_CHARS, parseJournalJson } from './events';

const RECORDED = fs.readFileSync(path.join(__dirname, 'fixtures', 'journalctl-err.jsonl'), 'utf8');
const LINES = RECORDED.trim().split('\n');
const result = (stdout: string, extra: Partial<RunResult> = {}): RunResult => ({
  code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false, ...extra,
});
const cursorOf = (line: string) => (JSON.parse(line) as { __CURSOR: string }).__CURSOR;

/** A fake journalctl over the recorded entries: honours --after-cursor, records its arguments. */
function journal(entries: string[], calls: string[][]): CommandRunner {
  return async (file, args) => {
    calls.push([file, ...args]);
    const after = args.find((a) => a.startsWith('--after-cursor='))?.slice('--after-cursor='.length);
    if (after === undefined) return result(entries.map((e) => `${e}\n`).join(''));
    const index = entries.findIndex((e) => cursorOf(e) === after);
    if (index < 0) return result('', { code: 1, stderr: 'Failed to seek to cursor: Invalid argument' });
    return result(entries.slice(index + 1).map((e) => `${e}\n`).join(''));
  };
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-events-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('parseJournalJson', () => {
  it('reads recorded entries: strings, byte arrays, repeated fields, null messages', () => {
    const { events, malformed } = parseJournalJson(RECORDED);
    expect(malformed).toBe(0);
    expect(events).toHaveLength(4);
    expect(events[0]).toEqual({
      cursor: cursorOf(LINES[0]!),
      at: '2025-11-25T20:00:00.123Z',
      priority: 3,
      severity: 'error',
      message: 'Failed to start nginx.service - A high performance web server and a reverse proxy server.',
      source: 'systemd',
      unit: 'nginx.service',
      pid: 1,
      bootId: '6c7c6013a8674d9f8d0a0d5b2a0a3c8f',
    });
    expect(events[1]).toMatchObject({ severity: 'critical', source: 'kernel', message: expect.stringContaining('EXT4-fs error') });
    expect(events[1]!.pid).toBeUndefined();
    expect(events[2]).toMatchObject({ source: 'backup.sh', unit: 'backup.service', pid: 4242, message: 'erreur : disque plein \uFFFD' });
    expect(events[3]).toMatchObject({ severity: 'emergency', source: 'sshd', message: '(message too large to show)' });
  });

  it('skips a line cut in the middle and caps long messages', () => {
    const long = JSON.stringify({ __CURSOR: 'c9', __REALTIME_TIMESTAMP: '1764100800000000', PRIORITY: '3', MESSAGE: 'x'.repeat(20_000) });
    const { events, malformed } = parseJournalJson(`${LINES[0]}\n${long}\n${LINES[1]!.slice(0, 80)}`);
    expect(malformed).toBe(1);
    expect(events.map((e) => e.cursor)).toEqual([cursorOf(LINES[0]!), 'c9']);
    expect(events[1]!.message).toHaveLength(MAX_MESSAGE_CHARS + 1);
  });
});

describe('createJournalReader', () => {
  const cursorFile = () => path.join(dir, 'state', 'journal.cursor');

  it('starts from --since, then reads after the committed cursor only, across restarts', async () => {
    const calls: string[][] = [];
    const runner = journal(LINES.slice(0, 2), calls);
    const reader = createJournalReader({ cursorFile: cursorFile(), runner, since: '-30min' });
    const first = await reader.read();
    expect(calls[0]).toEqual(['journalctl', '--no-pager', '--quiet', '--all', '--output=json', '--priority=err', '--since=-30min']);
    expect(first.events).toHaveLength(2);
    // Not committed: the same events come again.
    expect((await reader.read()).events).toHaveLength(2);
    reader.commit(first.cursor);
    expect(fs.readFileSync(cursorFile(), 'utf8').trim()).toBe(cursorOf(LINES[1]!));
    expect(await reader.read()).toEqual({ events: [], cursor: cursorOf(LINES[1]!), more: false });

    // Two new entries arrive; a restarted agent reads only them.
    const later = createJournalReader({ cursorFile: cursorFile(), runner: journal(LINES, calls) });
    expect(later.cursor).toBe(cursorOf(LINES[1]!));
    const batch = await later.read();
    expect(calls[calls.length - 1]).toContain(`--after-cursor=${cursorOf(LINES[1]!)}`);
    expect(batch.events.map((e) => e.cursor)).toEqual([cursorOf(LINES[2]!), cursorOf(LINES[3]!)]);
  });

  it('hands out at most maxEvents per read and says more are waiting', async () => {
    const reader = createJournalReader({ cursorFile: cursorFile(), runner: journal(LINES, []), maxEvents: 3 });
    const first = await reader.read();
    expect(first.events).toHaveLength(3);
    expect(first.more).toBe(true);
    reader.commit(first.cursor);
    const second = await reader.read();
    expect(second.events.map((e) => e.cursor)).toEqual([cursorOf(LINES[3]!)]);
    expect(second.more).toBe(false);
  });

  it('starts again from --since when journald no longer knows the cursor', async () => {
    fs.mkdirSync(path.dirname(cursorFile()), { recursive: true });
    fs.writeFileSync(cursorFile(), 's=vacuumed;i=1\n');
    const calls: string[][] = [];
    const reader = createJournalReader({ cursorFile: cursorFile(), runner: journal(LINES, calls) });
    expect((await reader.read()).events).toHaveLength(4);
    expect(calls.map((c) => c[c.length - 1])).toEqual(['--after-cursor=s=vacuumed;i=1', '--since=-1h']);
  });

  it('fails clearly when journalctl fails for another reason', async () => {
    const denied: CommandRunner = async () => result('', { code: 1, stderr: 'No journal files were found.' });
    const reader = createJournalReader({ cursorFile: cursorFile(), runner: denied });
    await expect(reader.read()).rejects.toThrow(JournalError);
    await expect(reader.read()).rejects.toThrow('No journal files were found.');
  });

  it('uses what it got from an output cut by the cap', async () => {
    const cut: CommandRunner = async () => result(`${LINES[0]}\n${LINES[1]!.slice(0, 100)}`, { code: null, signal: 'SIGTERM', truncated: true });
    const batch = await createJournalReader({ cursorFile: cursorFile(), runner: cut }).read();
    expect(batch.events.map((e) => e.cursor)).toEqual([cursorOf(LINES[0]!)]);
    expect(batch.more).toBe(true);
  });
});
