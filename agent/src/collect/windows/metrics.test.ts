import fs from 'node:fs';
import path from 'node:path';
import { metricsSampleSchema } from '@vigie/core';
import type { CommandRunner, RunResult } from '../../exec';
import { createWindowsCollector, METRICS_SCRIPT, nextLoad, parseMetricsJson, windowsCpuPercent, windowsMetrics } from './metrics';

const fixture = (name: string): unknown => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
const text = (name: string) => fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');
const result = (stdout: string): RunResult => ({ code: 0, signal: null, stdout, stderr: '', timedOut: false, truncated: false });
const BOOT = Date.parse('2024-06-07T06:12:44.500Z');
const MB = 1024 * 1024;

describe('the metrics script', () => {
  it('reads every part in its own try, on one line without double quotes', () => {
    expect(METRICS_SCRIPT).not.toMatch(/["\r\n]/);
    for (const part of ['os', 'cpu', 'system', 'pageFiles', 'disks', 'network']) {
      expect(METRICS_SCRIPT).toContain(`catch { $r.errors.${part} = $_.Exception.Message }`);
    }
    expect(METRICS_SCRIPT).toContain("Win32_PerfRawData_Counters_ProcessorInformation -Filter 'Name=''_Total'''");
    expect(METRICS_SCRIPT).toContain("Win32_LogicalDisk -Filter 'DriveType=3'");
    // Lists are wrapped in @() so that one disk is still an array.
    expect(METRICS_SCRIPT).toContain('$r.disks = @(Get-CimInstance');
    expect(METRICS_SCRIPT.length).toBeLessThan(8000);
  });
});

describe('parseMetricsJson', () => {
  it('a Windows 11 client (PowerShell 5.1): memory, boot time, page file, fixed disks, adapters', () => {
    const raw = parseMetricsJson(fixture('metrics-client-ps51-a.json'));
    expect(raw.memory).toEqual({ totalBytes: 16633856 * 1024, availableBytes: 7340032 * 1024 });
    expect(raw.bootTime).toBe(BOOT);
    expect(raw.cpu).toEqual({ idle100ns: 2398456789012, timestamp100ns: 133624800000000000 });
    expect(raw.processorQueueLength).toBe(3);
    expect(raw.swap).toEqual({ totalBytes: 2432 * MB, usedBytes: 118 * MB });
    // E: (a locked BitLocker volume: no size) is left out.
    expect(raw.disks).toEqual([
      { mountPoint: 'C:\\', device: 'C:', fsType: 'NTFS', totalBytes: 511101005824, usedBytes: 511101005824 - 212331237376, freeBytes: 212331237376, usedPercent: 58.5 },
      { mountPoint: 'D:\\', device: 'D:', fsType: 'NTFS', totalBytes: 1000186310656, usedBytes: 1000186310656 - 600111786393, freeBytes: 600111786393, usedPercent: 40 },
    ]);
    expect([...raw.network.keys()]).toEqual(['Ethernet', 'Wi-Fi', 'vEthernet (Default Switch)']);
    expect(raw.problems).toEqual([]);
  });

  it('a Windows Server: no page file, one disk as an object, a wrapped date, the CPU as a list, no NetAdapter module', () => {
    const raw = parseMetricsJson(fixture('metrics-server-ps51.json'));
    expect(raw.bootTime).toBe(BOOT);
    expect(raw.cpu.idle100ns).toBe(901234567890);
    expect(raw.swap).toEqual({ totalBytes: 0, usedBytes: 0 });
    expect(raw.disks.map((d) => [d.mountPoint, d.totalBytes])).toEqual([['C:\\', 136363114496]]);
    expect(raw.network.size).toBe(0);
    expect(raw.processorQueueLength).toBe(0);
    expect(raw.problems).toEqual([expect.stringMatching(/^network: The term 'Get-NetAdapterStatistics' is not recognized/)]);
  });

  it('PowerShell 7: ISO dates with an offset, a null page file list, the {value, Count} wrapper, one adapter as an object', () => {
    const raw = parseMetricsJson(fixture('metrics-ps7.json'));
    expect(raw.bootTime).toBe(BOOT);
    expect(raw.swap).toEqual({ totalBytes: 0, usedBytes: 0 });
    expect(raw.disks.map((d) => [d.device, d.fsType, d.usedPercent])).toEqual([['C:', 'ReFS', 50]]);
    expect(raw.network.get('Ethernet 2')).toEqual({ rxBytes: 1000, txBytes: 2000 });
  });

  it('refuses a sample without memory or CPU counters, saying which class failed', () => {
    const json = fixture('metrics-client-ps51-a.json') as Record<string, unknown>;
    expect(() => parseMetricsJson({ ...json, os: undefined, errors: { os: 'Access denied ' } })).toThrow(/Win32_OperatingSystem\): Access denied/);
    expect(() => parseMetricsJson({ ...json, cpu: null, errors: { cpu: 'Invalid class ' } })).toThrow(/ProcessorInformation\): Invalid class/);
    expect(() => parseMetricsJson([])).toThrow('no JSON object');
  });
});

describe('rates and load', () => {
  it('CPU % from the raw idle counter and the 100 ns timestamp', () => {
    const a = { idle100ns: 1_000_000_000, timestamp100ns: 133624800000000000 };
    expect(windowsCpuPercent(a, { idle100ns: 1_075_000_000, timestamp100ns: 133624800100000000 })).toBe(25);
    expect(windowsCpuPercent(a, a)).toBe(0);
    // Idle more than elapsed (counter noise) clamps to 0; a counter that went back gives 0.
    expect(windowsCpuPercent(a, { idle100ns: 1_200_000_000, timestamp100ns: 133624800100000000 })).toBe(0);
    expect(windowsCpuPercent(a, { idle100ns: 1, timestamp100ns: 133624800100000000 })).toBe(0);
  });

  it('load: damped averages of the processor queue length, seeded by the first sample', () => {
    expect(nextLoad(undefined, 4, 60)).toEqual({ one: 4, five: 4, fifteen: 4 });
    const after = nextLoad({ one: 4, five: 4, fifteen: 4 }, 0, 60);
    expect(after.one).toBeCloseTo(4 * Math.exp(-1), 2);
    expect(after.five).toBeCloseTo(4 * Math.exp(-60 / 300), 2);
    expect(after.fifteen).toBeCloseTo(4 * Math.exp(-60 / 900), 2);
    expect(nextLoad({ one: 1, five: 1, fifteen: 1 }, -3, 60).one).toBeLessThan(1);
  });

  it('two client samples 10 s apart make a sample the server accepts, in the Linux shape', () => {
    const at = Date.parse('2024-06-10T08:00:10Z');
    const metrics = windowsMetrics({
      before: parseMetricsJson(fixture('metrics-client-ps51-a.json')),
      beforeAt: at - 10_000,
      current: parseMetricsJson(fixture('metrics-client-ps51-b.json')),
      at,
      previousLoad: { one: 3, five: 3, fifteen: 3 },
    });
    expect(metrics.cpuPercent).toBe(25);
    expect(metrics.memory).toEqual({ totalBytes: 16633856 * 1024, usedBytes: (16633856 - 7000000) * 1024, availableBytes: 7000000 * 1024 });
    expect(metrics.swap).toEqual({ totalBytes: 2432 * MB, usedBytes: 120 * MB });
    // Ethernet: +1 MB in, +100 kB out; Wi-Fi's counters went back (adapter reset): 0, not a spike.
    expect(metrics.network).toEqual([
      { name: 'Ethernet', rxBytesPerSec: 100_000, txBytesPerSec: 10_000 },
      { name: 'Wi-Fi', rxBytesPerSec: 0, txBytesPerSec: 0 },
      { name: 'vEthernet (Default Switch)', rxBytesPerSec: 0, txBytesPerSec: 0 },
    ]);
    expect(metrics.uptimeSeconds).toBe(Math.floor((at - BOOT) / 1000));
    // Queue length 1 after 3, over 10 s: the 1-minute average moves most.
    const e = (period: number) => Math.exp(-10 / period);
    expect(metrics.load.one).toBeCloseTo(3 * e(60) + 1 - e(60), 2);
    expect(metrics.load.fifteen).toBeCloseTo(3 * e(900) + 1 - e(900), 2);
    expect(metrics.collectedAt).toBe('2024-06-10T08:00:10.000Z');
    expect(Object.keys(metrics).sort()).toEqual(['collectedAt', 'cpuPercent', 'disks', 'load', 'memory', 'network', 'swap', 'uptimeSeconds']);
    expect(metricsSampleSchema.parse({ seq: 1, ...metrics })).toEqual({ seq: 1, ...metrics });
  });

  it('keeps the previous load when the queue length is missing', () => {
    const current = { ...parseMetricsJson(fixture('metrics-client-ps51-b.json')), processorQueueLength: undefined };
    const before = parseMetricsJson(fixture('metrics-client-ps51-a.json'));
    const metrics = windowsMetrics({ before, beforeAt: 0, current, at: 10_000, previousLoad: { one: 1, five: 2, fifteen: 3 } });
    expect(metrics.load).toEqual({ one: 1, five: 2, fifteen: 3 });
  });
});

describe('createWindowsCollector', () => {
  it('runs one PowerShell per sample (two for the first), keeps the load between samples, logs failing parts once', async () => {
    const outputs = [text('metrics-client-ps51-a.json'), text('metrics-client-ps51-b.json'), text('metrics-server-ps51.json'), text('metrics-server-ps51.json')];
    const calls: string[][] = [];
    const runner: CommandRunner = async (file, args) => {
      calls.push([file, ...args]);
      return result(outputs.shift()!);
    };
    let clock = Date.parse('2024-06-10T08:00:00Z');
    const logs: string[] = [];
    const collector = createWindowsCollector({ runner, firstSampleMs: 1, now: () => (clock += 10_000), log: (msg) => logs.push(msg) });

    const first = await collector.collect();
    expect(calls).toHaveLength(2);
    expect(calls[0]![0]).toMatch(/powershell\.exe$/);
    expect(calls[0]!.slice(1)).toEqual(['-NoProfile', '-NonInteractive', '-NoLogo', '-ExecutionPolicy', 'Bypass', '-Command', METRICS_SCRIPT]);
    expect(first.cpuPercent).toBe(25);
    expect(first.load).toEqual({ one: 1, five: 1, fifteen: 1 });
    expect(metricsSampleSchema.safeParse({ seq: 1, ...first }).success).toBe(true);

    const second = await collector.collect();
    expect(calls).toHaveLength(3);
    expect(second.network).toEqual([]);
    expect(second.load.one).toBeLessThan(1);
    await collector.collect();
    expect(logs).toEqual(['some Windows metrics could not be read; sent without them']);
  });
});
