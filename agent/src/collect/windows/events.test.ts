import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineEventsPayloadSchema } from '@vigie/core';
import type { CommandRunner, RunResult } from '../../exec';
import { toReportedEvent } from '../../telemetry/machine-state';
import { MAX_MESSAGE_CHARS } from '../events';
import { eventsScript, parseCursor, parseEventsJson, windowsEventSource } from './events';

const text = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const fixture = (name: string): unknown => JSON.parse(text(name));
const result = (stdout: string): RunResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-winevents-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the events script', () => {
  it('writes only the cursor integers into the script, -1 for a log never read', () => {
    const script = eventsScript({ System: 48211 }, 500);
    expect(script).toContain('$cursor = @{ System = [long]48211; Application = [long]-1 }');
    expect(script).toContain("foreach ($log in @('System', 'Application'))");
    expect(script).toContain('$from = [Math]::Max($after, $newest - 500); $o.skipped = $from - $after; $xpath = ');
    expect(script).toContain("'*[System[EventRecordID>{0} and EventRecordID<={1}]]' -f $from, $newest");
    expect(script).toContain('-MaxEvents ($newest - $from) -FilterXPath $xpath | Where-Object { $_.Level -eq 1 -or $_.Level -eq 2 }');
    expect(script).toContain("[ordered]@{ Log = $log; RecordId = $_.RecordId;");
    expect(script).toContain("$_.TimeCreated.ToUniversalTime().ToString('o')");
    expect(script).toMatch(/; \$r\.events = \$events; \$json = ConvertTo-Json/);
    expect(script).not.toMatch(/["\r\n]/);
    expect(() => eventsScript({ System: -5 })).toThrow('invalid System cursor');
    expect(() => eventsScript({ System: 1.5 })).toThrow();
    expect(() => eventsScript({ Application: Number.NaN })).toThrow();
    expect(() => eventsScript({}, 0)).toThrow();
  });
});

describe('parseEventsJson', () => {
  it('first read: takes each log position, sends nothing', () => {
    expect(parseEventsJson(fixture('events-first.json'), {})).toEqual({ events: [], cursor: { System: 48211, Application: 17045 }, skipped: {}, errors: {} });
  });

  it('next read: critical and error events oldest first, French text intact, a missing message explained', () => {
    const read = parseEventsJson(fixture('events-next.json'), { System: 48211, Application: 17045 });
    expect(read.cursor).toEqual({ System: 48230, Application: 17050 });
    expect(read.events).toEqual([
      {
        cursor: 'System:48213',
        at: '2024-06-10T07:55:40.000Z',
        priority: 2,
        severity: 'critical',
        message: expect.stringMatching(/^The system has rebooted without cleanly shutting down first/),
        source: 'Microsoft-Windows-Kernel-Power',
        pid: 4,
      },
      {
        cursor: 'Application:17049',
        at: '2024-06-10T07:59:59.999Z',
        priority: 3,
        severity: 'error',
        message: '(no message text: event 1000 from Application Error)',
        source: 'Application Error',
      },
      {
        cursor: 'System:48229',
        at: '2024-06-10T08:01:02.123Z',
        priority: 3,
        severity: 'error',
        message: expect.stringContaining('Le service Spouleur d’impression s’est arrêté de façon inattendue.'),
        source: 'Service Control Manager',
        pid: 780,
      },
    ]);
    const payload = { seq: 1, events: read.events.map(toReportedEvent) };
    expect(machineEventsPayloadSchema.parse(payload)).toEqual(payload);
  });

  it('a log that failed keeps its cursor; skipped records are counted; other levels are dropped', () => {
    const read = parseEventsJson(fixture('events-partial.json'), { System: 83000, Application: 17050 });
    expect(read.cursor).toEqual({ System: 90500, Application: 17050 });
    expect(read.skipped).toEqual({ System: 7500 });
    expect(read.errors).toEqual({ Application: 'Attempted to perform an unauthorized operation.' });
    // Only System's error: the informational record and the failed log's event are not sent.
    expect(read.events.map((e) => [e.cursor, e.source, e.message])).toEqual([['System:90490', 'disk', 'The device, \\Device\\Harddisk1\\DR1, has a bad block.']]);
    expect(read.events[0]!.pid).toBeUndefined();
  });

  it('caps long messages like the journal reader; one event printed as an object', () => {
    const long = { errors: {}, logs: { System: { newest: 2, skipped: 0 } }, events: { Log: 'System', RecordId: 2, Level: 2, ProviderName: 'x', Id: 1, TimeCreated: '2024-06-10T08:00:00Z', Message: 'a'.repeat(MAX_MESSAGE_CHARS + 10) } };
    expect(parseEventsJson(long, { System: 1 }).events[0]!.message).toHaveLength(MAX_MESSAGE_CHARS + 1);
  });

  it('a cleared log (newest id below the cursor) is read from its start; records beyond the newest wait for the next read', () => {
    const event = (RecordId: number) => ({ Log: 'System', RecordId, Level: 2, ProviderName: 'x', Id: 1, TimeCreated: '2024-06-10T08:00:00Z', Message: `#${RecordId}` });
    const cleared = { errors: {}, logs: { System: { newest: 120, skipped: 0 } }, events: [event(3), event(121)] };
    const read = parseEventsJson(cleared, { System: 50_000, Application: 10 });
    expect(read.events.map((e) => e.message)).toEqual(['#3']);
    expect(read.cursor).toEqual({ System: 120, Application: 10 });
  });

  it('reads back only valid cursors', () => {
    expect(parseCursor('{"System":5,"Application":-1,"Security":3}')).toEqual({ System: 5 });
    expect(parseCursor('s=abc;i=12')).toEqual({});
    expect(parseCursor(undefined)).toEqual({});
  });
});

describe('windowsEventSource', () => {
  it('starts from now, then sends only what is new; the cursor survives a restart once committed', async () => {
    const outputs = [text('events-first.json'), text('events-next.json'), text('events-next.json')];
    const scripts: string[] = [];
    const runner: CommandRunner = async (_file, args) => {
      scripts.push(args[args.length - 1]!);
      return result(outputs.shift()!);
    };
    const cursorFile = path.join(dir, 'events.cursor');
    const logs: string[] = [];
    const source = windowsEventSource({ cursorFile, log: (msg) => logs.push(msg), runner });

    const first = await source.read();
    expect(first.events).toEqual([]);
    expect(scripts[0]).toContain('System = [long]-1; Application = [long]-1');
    source.commit(first.cursor);
    expect(JSON.parse(fs.readFileSync(cursorFile, 'utf8'))).toEqual({ System: 48211, Application: 17045 });

    const second = await source.read();
    expect(scripts[1]).toContain('System = [long]48211; Application = [long]17045');
    expect(second.events).toHaveLength(3);
    // Not committed (the outbox append failed, say): the next agent re-reads from the committed cursor.
    const restarted = windowsEventSource({ cursorFile, log: () => undefined, runner });
    await restarted.read();
    expect(scripts[2]).toContain('System = [long]48211; Application = [long]17045');
    restarted.commit(second.cursor);
    expect(JSON.parse(fs.readFileSync(cursorFile, 'utf8'))).toEqual({ System: 48230, Application: 17050 });
    expect(logs).toEqual([]);
  });

  it('never throws: a failing log or script is logged when it changes, no powershell.exe stops the asking', async () => {
    const outputs = [result(text('events-partial.json')), result(text('events-partial.json')), result('garbage')];
    const logs: string[] = [];
    const cursorFile = path.join(dir, 'events.cursor');
    fs.writeFileSync(cursorFile, '{"System":83000,"Application":17050}\n');
    const source = windowsEventSource({ cursorFile, log: (msg) => logs.push(msg), runner: async () => outputs.shift()! });
    expect((await source.read()).events).toHaveLength(1);
    await source.read();
    expect(await source.read()).toEqual({ events: [], cursor: undefined, more: false });
    expect(logs).toEqual([
      'Windows events unavailable for now',
      'Windows events skipped: too many records since the last read',
      'Windows events skipped: too many records since the last read',
      'Windows events unavailable for now',
    ]);

    let calls = 0;
    const missing = windowsEventSource({
      cursorFile,
      log: (msg) => logs.push(msg),
      runner: async () => {
        calls += 1;
        throw Object.assign(new Error('spawn powershell.exe ENOENT'), { code: 'ENOENT' });
      },
    });
    await missing.read();
    await missing.read();
    expect(calls).toBe(1);
    expect(logs[logs.length - 1]).toBe('Windows events unavailable on this machine (no powershell.exe); not collected');
  });
});
