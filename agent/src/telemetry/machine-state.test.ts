import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { machineEventsPayloadSchema, machineInventorySchema } from '@vigie/core';
import type { CommandRunner, RunResult } from '../exec';
import { parseJournalJson } from '../collect/events';
import { buildSnapshot, chunkEvents, createStateCollector, journalEventSource, nameList, systemdUnavailable, toReportedEvent } from './machine-state';

const FIXTURES = path.join(__dirname, '..', 'collect', 'fixtures');
const SHOW = fs.readFileSync(path.join(FIXTURES, 'systemctl-show.txt'), 'utf8');
const JOURNAL = fs.readFileSync(path.join(FIXTURES, 'journalctl-err.jsonl'), 'utf8');
const result = (stdout: string, code = 0): RunResult => ({ code, signal: null, stdout, stderr: '', timedOut: false, truncated: false });
const enoent: CommandRunner = async () => {
  throw Object.assign(new Error('spawn systemctl ENOENT'), { code: 'ENOENT' });
};

const unknownService = (name: string) => ({ name, unit: `${name}.service`, loadState: 'unknown', activeState: 'unknown', subState: 'unknown', unitFileState: '', exists: false, active: false });

describe('nameList', () => {
  it('splits, trims and dedupes; nothing when absent', () => {
    expect(nameList(' nginx, postgresql,,nginx ')).toEqual(['nginx', 'postgresql']);
    expect(nameList(undefined)).toEqual([]);
  });
});

describe('buildSnapshot', () => {
  it('is a valid inventory payload once numbered, without the unit file state', () => {
    const snapshot = buildSnapshot({
      collectedAt: new Date('2026-11-29T10:00:00Z'),
      services: [{ name: 'nginx', unit: 'nginx.service', loadState: 'loaded', activeState: 'failed', subState: 'failed', unitFileState: 'enabled', exists: true, active: false }],
      processes: [{ name: 'backup-agent', running: true, pids: [42] }],
      security: [{ id: 'clamav', name: 'ClamAV', installed: true, running: false }],
    });
    expect(snapshot.services[0]).not.toHaveProperty('unitFileState');
    expect(snapshot.security).toEqual([{ id: 'clamav', name: 'ClamAV', installed: true, running: false, realtimeProtection: null }]);
    expect(snapshot.unavailable).toEqual([]);
    expect(machineInventorySchema.parse({ seq: 7, ...snapshot })).toMatchObject({ seq: 7, collectedAt: '2026-11-29T10:00:00.000Z' });
  });

  it('says which sources could not be read, so the server does not take them for "all stopped"', () => {
    const snapshot = buildSnapshot({ collectedAt: new Date(), services: [unknownService('nginx')], processes: undefined, security: undefined });
    expect(snapshot.unavailable).toEqual(['services', 'processes', 'security']);
    expect(machineInventorySchema.safeParse({ seq: 1, ...snapshot }).success).toBe(true);
  });

  it('watching nothing is not "systemd unavailable"', () => {
    expect(systemdUnavailable([])).toBe(false);
    expect(buildSnapshot({ collectedAt: new Date(), services: [], processes: [], security: [] }).unavailable).toEqual([]);
  });
});

describe('createStateCollector', () => {
  it('reads systemd through the runner', async () => {
    const runner: CommandRunner = async (file) => (file === 'systemctl' ? result(SHOW) : result('', 1));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-state-'));
    try {
      const collect = createStateCollector({ watch: () => ({ services: ['sshd', 'nginx'], processes: [] }), log: () => {}, runner, root });
      const snapshot = await collect();
      expect(snapshot.services.map((s) => [s.name, s.active])).toEqual([
        ['sshd', true],
        ['nginx', false],
      ]);
      expect(snapshot.unavailable).toEqual([]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('without systemd or /proc: reports them unavailable every time, logs it once', async () => {
    const logs: string[] = [];
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-state-'));
    try {
      const collect = createStateCollector({ watch: () => ({ services: ['nginx'], processes: ['nginx'] }), log: (m) => logs.push(m), runner: enoent, procRoot: path.join(root, 'no-proc'), root });
      const first = await collect();
      const second = await collect();
      expect(first.unavailable).toEqual(['services', 'processes']);
      expect(second.unavailable).toEqual(['services', 'processes']);
      expect(logs).toHaveLength(2);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('events payload', () => {
  it('drops the journal cursor and boot id, and validates', () => {
    const { events } = parseJournalJson(JOURNAL);
    const reported = events.map(toReportedEvent);
    expect(reported.length).toBeGreaterThan(0);
    for (const e of reported) {
      expect(e).not.toHaveProperty('cursor');
      expect(e).not.toHaveProperty('bootId');
    }
    expect(machineEventsPayloadSchema.safeParse({ seq: 3, events: reported }).success).toBe(true);
  });

  it('chunks by count and by size, one event at least per chunk', () => {
    expect(chunkEvents([1, 2, 3, 4, 5], 2).map((c) => c.length)).toEqual([2, 2, 1]);
    const big = 'x'.repeat(300);
    expect(chunkEvents([big, big, big], 100, 700).map((c) => c.length)).toEqual([2, 1]);
    expect(chunkEvents(['x'.repeat(2000)], 100, 700)).toHaveLength(1);
    expect(chunkEvents([])).toEqual([]);
  });
});

describe('journalEventSource', () => {
  it('without journalctl: nothing, said once, journalctl not asked again', async () => {
    const logs: string[] = [];
    let calls = 0;
    const runner: CommandRunner = async (...args) => {
      calls++;
      return enoent(...args);
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-events-'));
    try {
      const source = journalEventSource({ cursorFile: path.join(dir, 'events.cursor'), log: (m) => logs.push(m), runner });
      expect(await source.read()).toEqual({ events: [], cursor: undefined, more: false });
      expect(await source.read()).toEqual({ events: [], cursor: undefined, more: false });
      expect(calls).toBe(1);
      expect(logs).toHaveLength(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing journalctl is logged when its error changes, and retried', async () => {
    const logs: string[] = [];
    let calls = 0;
    const runner: CommandRunner = async () => {
      calls++;
      return calls < 3 ? { ...result('', 1), stderr: 'No journal files were opened due to insufficient permissions.' } : result(JOURNAL);
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-events-'));
    try {
      const source = journalEventSource({ cursorFile: path.join(dir, 'events.cursor'), log: (m) => logs.push(m), runner });
      await source.read();
      await source.read();
      const batch = await source.read();
      expect(batch.events.length).toBeGreaterThan(0);
      expect(logs).toEqual(['system events unavailable for now', 'system events available again']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
