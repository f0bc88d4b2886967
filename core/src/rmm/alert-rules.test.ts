import { createAlertRuleBodySchema, updateAlertRuleBodySchema, type AlertRuleDefinition } from '../schemas/alerts';
import type { MetricsSample } from '../schemas/agents';
import {
  alertSubject,
  describeCondition,
  evaluateRule,
  frenchBytes,
  priorityForSeverity,
  ruleApplies,
  trackRule,
  CLEAR_TRACK,
  type AlertTransition,
  type RuleTrack,
} from './alert-rules';

const GB = 1024 ** 3;

function sample(over: Partial<MetricsSample> = {}): MetricsSample {
  return {
    seq: 1,
    collectedAt: '2027-03-01T10:00:00.000Z',
    cpuPercent: 12,
    load: { one: 0.5, five: 0.4, fifteen: 0.3 },
    memory: { totalBytes: 8 * GB, usedBytes: 2 * GB, availableBytes: 6 * GB },
    swap: { totalBytes: 2 * GB, usedBytes: 0 },
    disks: [
      { mountPoint: '/', device: '/dev/sda1', fsType: 'ext4', totalBytes: 100 * GB, usedBytes: 60 * GB, freeBytes: 40 * GB, usedPercent: 60 },
      { mountPoint: '/var', device: '/dev/sda2', fsType: 'ext4', totalBytes: 50 * GB, usedBytes: 48 * GB, freeBytes: 2 * GB, usedPercent: 96 },
    ],
    network: [],
    uptimeSeconds: 1000,
    ...over,
  };
}

const cpu = (threshold = 90, durationSeconds = 0): AlertRuleDefinition => ({ kind: 'metric_threshold', condition: { metric: 'cpu', operator: '>', threshold, durationSeconds } });

describe('metric thresholds', () => {
  it('compares CPU, memory, swap and load with the operator', () => {
    expect(evaluateRule(cpu(90), { kind: 'metrics', sample: sample({ cpuPercent: 95.26 }) })).toEqual({ breached: true, value: 95.26, unit: '%', subject: null, detail: 'CPU 95,3 %' });
    expect(evaluateRule(cpu(90), { kind: 'metrics', sample: sample({ cpuPercent: 90 }) })!.breached).toBe(false);
    const memory: AlertRuleDefinition = { kind: 'metric_threshold', condition: { metric: 'memory', operator: '>=', threshold: 25, durationSeconds: 0 } };
    expect(evaluateRule(memory, { kind: 'metrics', sample: sample() })).toMatchObject({ breached: true, value: 25, detail: 'Mémoire 25 %' });
    const load: AlertRuleDefinition = { kind: 'metric_threshold', condition: { metric: 'load1', operator: '>', threshold: 4, durationSeconds: 0 } };
    expect(evaluateRule(load, { kind: 'metrics', sample: sample({ load: { one: 4.5, five: 1, fifteen: 1 } }) })).toMatchObject({ breached: true, value: 4.5, unit: '' });
    const idle: AlertRuleDefinition = { kind: 'metric_threshold', condition: { metric: 'cpu', operator: '<', threshold: 1, durationSeconds: 0 } };
    expect(evaluateRule(idle, { kind: 'metrics', sample: sample({ cpuPercent: 0.5 }) })!.breached).toBe(true);
  });

  it('counts a machine without swap as using none, and unknown memory as not breached', () => {
    const swap: AlertRuleDefinition = { kind: 'metric_threshold', condition: { metric: 'swap', operator: '>', threshold: 50, durationSeconds: 0 } };
    expect(evaluateRule(swap, { kind: 'metrics', sample: sample({ swap: { totalBytes: 0, usedBytes: 0 } }) })).toMatchObject({ breached: false, value: 0 });
    const memory: AlertRuleDefinition = { kind: 'metric_threshold', condition: { metric: 'memory', operator: '>', threshold: 50, durationSeconds: 0 } };
    expect(evaluateRule(memory, { kind: 'metrics', sample: sample({ memory: { totalBytes: 0, usedBytes: 0, availableBytes: 0 } }) })).toMatchObject({ breached: false, value: null });
  });

  it('reads only the observations of its kind', () => {
    expect(evaluateRule(cpu(), { kind: 'presence', lastSeenAt: null, now: '2027-03-01T10:00:00Z', offlineAfterSeconds: 150 })).toBeNull();
  });
});

describe('disk free', () => {
  const disk = (condition: Partial<Extract<AlertRuleDefinition, { kind: 'disk_free' }>['condition']>): AlertRuleDefinition => ({
    kind: 'disk_free',
    condition: { mountPoint: null, durationSeconds: 0, ...condition },
  });

  it('fires on any disk below the percentage, reporting the worst one', () => {
    const result = evaluateRule(disk({ minFreePercent: 10 }), { kind: 'metrics', sample: sample() });
    expect(result).toEqual({ breached: true, value: 4, unit: '%', subject: '/var', detail: '/var : 2 Go libres sur 50 Go (4 %)' });
  });

  it('watches one mount point when named, by percent or bytes', () => {
    expect(evaluateRule(disk({ mountPoint: '/', minFreePercent: 10 }), { kind: 'metrics', sample: sample() })).toMatchObject({ breached: false, subject: '/', value: 40 });
    expect(evaluateRule(disk({ mountPoint: '/', minFreeBytes: 50 * GB }), { kind: 'metrics', sample: sample() })).toMatchObject({ breached: true, subject: '/' });
    expect(evaluateRule(disk({ mountPoint: '/data', minFreePercent: 10 }), { kind: 'metrics', sample: sample() })).toMatchObject({ breached: false, value: null, detail: 'Disque /data absent' });
  });

  it('needs a limit', () => {
    const parsed = createAlertRuleBodySchema.safeParse({ name: 'Disque', kind: 'disk_free', condition: { mountPoint: '/' } });
    expect(parsed.success).toBe(false);
  });
});

describe('offline', () => {
  const offline: AlertRuleDefinition = { kind: 'offline', condition: {} };
  const presence = (lastSeenAt: string | null, offlineAfterSeconds = 150) => ({ kind: 'presence' as const, lastSeenAt, now: '2027-03-01T10:00:00Z', offlineAfterSeconds });

  it('fires once the last heartbeat is older than the tenant’s threshold, or the rule’s own', () => {
    expect(evaluateRule(offline, presence('2027-03-01T09:57:31Z'))!.breached).toBe(false);
    expect(evaluateRule(offline, presence('2027-03-01T09:57:30Z'))).toMatchObject({ breached: true, value: 150 });
    expect(evaluateRule({ kind: 'offline', condition: { afterSeconds: 600 } }, presence('2027-03-01T09:57:30Z'))!.breached).toBe(false);
    expect(evaluateRule(offline, presence(null))!.breached).toBe(true);
  });
});

describe('services, antivirus and events (their telemetry is not sent yet)', () => {
  it('a stopped or missing service breaches', () => {
    const rule: AlertRuleDefinition = { kind: 'service_stopped', condition: { services: ['nginx', 'postgresql'], durationSeconds: 0 } };
    const running = [
      { name: 'nginx', exists: true, active: true },
      { name: 'postgresql', exists: true, active: true },
    ];
    expect(evaluateRule(rule, { kind: 'services', services: running })).toMatchObject({ breached: false, value: 0 });
    expect(evaluateRule(rule, { kind: 'services', services: [running[0]!, { name: 'postgresql', exists: true, active: false }] })).toMatchObject({ breached: true, subject: 'postgresql', detail: 'Arrêté : postgresql' });
    expect(evaluateRule(rule, { kind: 'services', services: [running[0]!] })).toMatchObject({ breached: true, detail: 'Arrêté : postgresql (introuvable)' });
  });

  it('an antivirus missing, or installed but not running, breaches', () => {
    const running: AlertRuleDefinition = { kind: 'antivirus', condition: { require: 'running' } };
    const installed: AlertRuleDefinition = { kind: 'antivirus', condition: { require: 'installed' } };
    const clam = { id: 'clamav', name: 'ClamAV', installed: true, running: false };
    expect(evaluateRule(running, { kind: 'security', products: [] })).toMatchObject({ breached: true, detail: 'Aucun antivirus connu installé' });
    expect(evaluateRule(running, { kind: 'security', products: [clam] })).toMatchObject({ breached: true, subject: 'clamav' });
    expect(evaluateRule(installed, { kind: 'security', products: [clam] })!.breached).toBe(false);
    expect(evaluateRule(running, { kind: 'security', products: [{ ...clam, running: true }] })!.breached).toBe(false);
  });

  it('an event matches by pattern, severity and source', () => {
    const rule: AlertRuleDefinition = { kind: 'event_pattern', condition: { pattern: 'I/O error', source: 'kernel', minSeverity: 'critical', clearAfterSeconds: 3600 } };
    const event = { at: '2027-03-01T10:00:00Z', severity: 'critical' as const, message: 'blk_update_request: I/O ERROR, dev sda', source: 'kernel' };
    expect(evaluateRule(rule, { kind: 'event', event })!.breached).toBe(true);
    expect(evaluateRule(rule, { kind: 'event', event: { ...event, severity: 'error' } })!.breached).toBe(false);
    expect(evaluateRule(rule, { kind: 'event', event: { ...event, source: 'sshd' } })!.breached).toBe(false);
    expect(evaluateRule(rule, { kind: 'event', event: { ...event, message: 'all good' } })!.breached).toBe(false);
    expect(createAlertRuleBodySchema.safeParse({ name: 'x', kind: 'event_pattern', condition: { pattern: '(' } }).success).toBe(false);
  });
});

describe('scope', () => {
  const machine = { id: 'm1', clientId: 'c1', siteId: 's1', tags: ['serveur', 'paris'] };
  it('matches all, a client, a site, a machine or a tag', () => {
    expect(ruleApplies({ scope: { kind: 'all' } }, machine)).toBe(true);
    expect(ruleApplies({ scope: { kind: 'client', id: 'c1' } }, machine)).toBe(true);
    expect(ruleApplies({ scope: { kind: 'client', id: 'c2' } }, machine)).toBe(false);
    expect(ruleApplies({ scope: { kind: 'site', id: 's1' } }, machine)).toBe(true);
    expect(ruleApplies({ scope: { kind: 'site', id: 's1' } }, { ...machine, siteId: null })).toBe(false);
    expect(ruleApplies({ scope: { kind: 'machine', id: 'm1' } }, machine)).toBe(true);
    expect(ruleApplies({ scope: { kind: 'tag', tag: 'paris' } }, machine)).toBe(true);
    expect(ruleApplies({ scope: { kind: 'tag', tag: 'lyon' } }, machine)).toBe(false);
  });
});

describe('words', () => {
  it('names the condition and the machine in French', () => {
    expect(alertSubject(cpu(90, 300), 'srv-01')).toBe('[Alerte] CPU > 90 % sur srv-01');
    expect(describeCondition(cpu(90, 300))).toBe('CPU > 90 % pendant 5 min');
    expect(describeCondition({ kind: 'offline', condition: {} }, { offlineAfterSeconds: 150 })).toBe('Hors ligne (aucun signal depuis 150 s)');
    expect(describeCondition({ kind: 'disk_free', condition: { mountPoint: '/', minFreePercent: 10, minFreeBytes: 5 * GB, durationSeconds: 0 } })).toBe('Espace libre < 10 % ou 5 Go sur /');
    expect(frenchBytes(1536)).toBe('1,5 Ko');
    expect(priorityForSeverity('critical')).toBe('critical');
    expect(priorityForSeverity('warning')).toBe('high');
    expect(priorityForSeverity('info')).toBe('normal');
  });
});

describe('rule bodies', () => {
  it('types the condition by the kind and fills defaults', () => {
    const parsed = createAlertRuleBodySchema.parse({ name: 'CPU', kind: 'metric_threshold', condition: { metric: 'cpu', threshold: 90 } });
    expect(parsed).toEqual({
      name: 'CPU',
      kind: 'metric_threshold',
      enabled: true,
      scope: { kind: 'all' },
      severity: 'warning',
      autoResolveTicket: false,
      condition: { metric: 'cpu', operator: '>', threshold: 90, durationSeconds: 0 },
    });
    expect(createAlertRuleBodySchema.parse({ name: 'Hors ligne', kind: 'offline' }).condition).toEqual({});
    expect(createAlertRuleBodySchema.safeParse({ name: 'CPU', kind: 'metric_threshold', condition: { metric: 'cpu', threshold: 120 } }).success).toBe(false);
    expect(createAlertRuleBodySchema.safeParse({ name: 'CPU', kind: 'metric_threshold', condition: { minFreePercent: 3 } }).success).toBe(false);
    expect(createAlertRuleBodySchema.safeParse({ name: 'x', kind: 'offline', scope: { kind: 'tag', tag: 'a b' } }).success).toBe(false);
    expect(updateAlertRuleBodySchema.safeParse({ kind: 'offline' }).success).toBe(false);
  });
});

describe('breaches over time', () => {
  const T0 = Date.parse('2027-03-01T10:00:00Z');
  const at = (s: number) => new Date(T0 + s * 1000).toISOString();

  /** Runs observations (second, breached) through trackRule; the transitions emitted, with their second. */
  function run(observations: [number, boolean][], durationSeconds: number, repeatEverySeconds = 300): [number, AlertTransition][] {
    let track: RuleTrack = CLEAR_TRACK;
    const emitted: [number, AlertTransition][] = [];
    for (const [s, breached] of observations) {
      const { next, emit } = trackRule(track, breached, at(s), { durationSeconds, repeatEverySeconds });
      track = next;
      if (emit) emitted.push([s, emit]);
    }
    return emitted;
  }

  it('fires at once without a duration, and clears on the first normal observation', () => {
    expect(run([[0, true], [10, true], [20, false], [30, false]], 0)).toEqual([[0, 'breach'], [20, 'clear']]);
  });

  it('fires only once the breach held on every observation for the duration', () => {
    expect(run([[0, true], [30, true], [50, true], [90, false], [100, true], [150, true], [160, true]], 60)).toEqual([[160, 'breach']]);
    expect(run([[0, true], [30, true], [60, true], [90, false]], 60)).toEqual([[60, 'breach'], [90, 'clear']]);
    // A dip resets the clock; no clear is sent for a breach that never fired.
    expect(run([[0, true], [50, false], [70, true], [120, true], [130, true]], 60)).toEqual([[130, 'breach']]);
  });

  it('repeats a lasting breach at most every repeat interval', () => {
    const observations: [number, boolean][] = Array.from({ length: 20 }, (_, i) => [i * 60, true]);
    expect(run([...observations, [1200, false]], 0, 300)).toEqual([[0, 'breach'], [300, 'repeat'], [600, 'repeat'], [900, 'repeat'], [1200, 'clear']]);
  });
});
