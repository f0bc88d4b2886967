import type {
  AlertReading,
  AlertRuleDefinition,
  AlertScope,
  AlertSeverity,
  AntivirusCondition,
  DiskFreeCondition,
  EventPatternCondition,
  EventSeverity,
  MetricThresholdCondition,
  OfflineCondition,
  ServiceStoppedCondition,
} from '../schemas/alerts';
import type { MetricsSample } from '../schemas/agents';
import type { TicketPriority } from '../schemas/tickets';

/**
 * Alert rules, evaluated without I/O: what a rule says about one observation of one machine (a metrics
 * sample, a heartbeat age, a service or antivirus snapshot, a system event), whether it watches a machine,
 * and how breaches held over time become the transitions sent to the machine + rule's alertWorkflow.
 */

/** One observation of a machine, by the telemetry it comes from. */
export type AlertInput =
  | { kind: 'metrics'; sample: MetricsSample }
  | { kind: 'presence'; lastSeenAt: string | null; now: string; offlineAfterSeconds: number }
  | { kind: 'services'; services: { name: string; exists: boolean; active: boolean }[] }
  | { kind: 'security'; products: { id: string; name: string; installed: boolean; running: boolean }[] }
  | { kind: 'event'; event: { at: string; severity: EventSeverity; message: string; source: string; unit?: string | undefined } };

export interface AlertEvaluation extends AlertReading {
  breached: boolean;
}

/** The machine facts scopes look at. */
export interface MachineScope {
  id: string;
  clientId: string;
  siteId: string | null;
  tags: readonly string[];
}

export function ruleApplies(rule: { scope: AlertScope }, machine: MachineScope): boolean {
  const scope = rule.scope;
  switch (scope.kind) {
    case 'all':
      return true;
    case 'client':
      return machine.clientId === scope.id;
    case 'site':
      return machine.siteId === scope.id;
    case 'machine':
      return machine.id === scope.id;
    case 'tag':
      return machine.tags.includes(scope.tag);
  }
}

const PRIORITY_OF_SEVERITY: Record<AlertSeverity, TicketPriority> = { critical: 'critical', warning: 'high', info: 'normal' };

export function priorityForSeverity(severity: AlertSeverity): TicketPriority {
  return PRIORITY_OF_SEVERITY[severity];
}

// ---------------------------------------------------------------- words (French first)

/** 97.25 → "97,3"; 12 → "12". */
export function frenchNumber(n: number, digits = 1): string {
  return String(Number(n.toFixed(digits))).replace('.', ',');
}

/** 1536 → "1,5 Ko"… in the units a French admin reads (Mo, Go). */
export function frenchBytes(bytes: number): string {
  const units = ['o', 'Ko', 'Mo', 'Go', 'To', 'Po'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${frenchNumber(value)} ${units[unit]}`;
}

const METRIC_LABEL: Record<MetricThresholdCondition['metric'], string> = { cpu: 'CPU', memory: 'Mémoire', swap: 'Swap', load1: 'Charge (1 min)' };
const isPercent = (metric: MetricThresholdCondition['metric']) => metric !== 'load1';

const formatMetric = (metric: MetricThresholdCondition['metric'], value: number) => (isPercent(metric) ? `${frenchNumber(value)} %` : frenchNumber(value, 2));

function durationWords(seconds: number): string {
  if (seconds <= 0) return '';
  if (seconds % 60 === 0) return ` pendant ${seconds / 60} min`;
  return ` pendant ${seconds} s`;
}

/** The condition in words, for the ticket subject and description: « CPU > 90 % pendant 5 min ». */
export function describeCondition(rule: AlertRuleDefinition, opts: { offlineAfterSeconds?: number; withDuration?: boolean } = {}): string {
  const forDuration = (seconds: number) => (opts.withDuration === false ? '' : durationWords(seconds));
  switch (rule.kind) {
    case 'metric_threshold': {
      const c = rule.condition;
      return `${METRIC_LABEL[c.metric]} ${c.operator} ${formatMetric(c.metric, c.threshold)}${forDuration(c.durationSeconds)}`;
    }
    case 'disk_free': {
      const c = rule.condition;
      const limits = [c.minFreePercent !== undefined ? `${frenchNumber(c.minFreePercent)} %` : null, c.minFreeBytes !== undefined ? frenchBytes(c.minFreeBytes) : null].filter(Boolean);
      return `Espace libre < ${limits.join(' ou ')} sur ${c.mountPoint ?? 'un disque'}${forDuration(c.durationSeconds)}`;
    }
    case 'offline': {
      const after = rule.condition.afterSeconds ?? opts.offlineAfterSeconds;
      return after ? `Hors ligne (aucun signal depuis ${after} s)` : 'Hors ligne';
    }
    case 'service_stopped':
      return `Service arrêté : ${rule.condition.services.join(', ')}${forDuration(rule.condition.durationSeconds)}`;
    case 'antivirus':
      return rule.condition.require === 'installed' ? 'Antivirus absent' : 'Antivirus désactivé ou absent';
    case 'event_pattern':
      return `Événement « ${rule.condition.pattern} »${rule.condition.source ? ` de ${rule.condition.source}` : ''}`;
  }
}

/** « [Alerte] CPU > 90 % sur srv-01 » (the duration is left to the description). */
export function alertSubject(rule: AlertRuleDefinition, hostname: string): string {
  return `[Alerte] ${describeCondition(rule, { withDuration: false })} sur ${hostname}`;
}

// ---------------------------------------------------------------- evaluation

function compare(value: number, operator: MetricThresholdCondition['operator'], threshold: number): boolean {
  switch (operator) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

const percentOf = (used: number, total: number): number | null => (total > 0 ? (used / total) * 100 : null);

function metricValue(metric: MetricThresholdCondition['metric'], s: MetricsSample): number | null {
  switch (metric) {
    case 'cpu':
      return s.cpuPercent;
    case 'memory':
      return percentOf(s.memory.usedBytes, s.memory.totalBytes);
    case 'swap':
      // A machine without swap uses none of it.
      return s.swap.totalBytes > 0 ? percentOf(s.swap.usedBytes, s.swap.totalBytes) : 0;
    case 'load1':
      return s.load.one;
  }
}

export function evaluateMetricThreshold(c: MetricThresholdCondition, sample: MetricsSample): AlertEvaluation {
  const value = metricValue(c.metric, sample);
  const unit = isPercent(c.metric) ? '%' : '';
  if (value === null) return { breached: false, value: null, unit, subject: null, detail: `${METRIC_LABEL[c.metric]} inconnu` };
  const rounded = Math.round(value * 100) / 100;
  return { breached: compare(value, c.operator, c.threshold), value: rounded, unit, subject: null, detail: `${METRIC_LABEL[c.metric]} ${formatMetric(c.metric, value)}` };
}

type Disk = MetricsSample['disks'][number];

const freePercentOf = (d: Disk) => (d.freeBytes / d.totalBytes) * 100;

function diskBreached(c: DiskFreeCondition, d: Disk): boolean {
  return (c.minFreePercent !== undefined && freePercentOf(d) < c.minFreePercent) || (c.minFreeBytes !== undefined && d.freeBytes < c.minFreeBytes);
}

/** The worst disk is reported: the first breaching one with the least free space, else the fullest. */
export function evaluateDiskFree(c: DiskFreeCondition, sample: MetricsSample): AlertEvaluation {
  const disks = sample.disks.filter((d) => d.totalBytes > 0 && (c.mountPoint === null || d.mountPoint === c.mountPoint));
  if (!disks.length) return { breached: false, value: null, unit: '%', subject: c.mountPoint, detail: c.mountPoint ? `Disque ${c.mountPoint} absent` : 'Aucun disque' };
  const byFree = [...disks].sort((a, b) => freePercentOf(a) - freePercentOf(b));
  const worst = byFree.find((d) => diskBreached(c, d)) ?? byFree[0]!;
  const percent = freePercentOf(worst);
  return {
    breached: diskBreached(c, worst),
    value: Math.round(percent * 100) / 100,
    unit: '%',
    subject: worst.mountPoint,
    detail: `${worst.mountPoint} : ${frenchBytes(worst.freeBytes)} libres sur ${frenchBytes(worst.totalBytes)} (${frenchNumber(percent)} %)`,
  };
}

export function evaluateOffline(c: OfflineCondition, input: Extract<AlertInput, { kind: 'presence' }>): AlertEvaluation {
  const after = c.afterSeconds ?? input.offlineAfterSeconds;
  if (!input.lastSeenAt) return { breached: true, value: null, unit: 's', subject: null, detail: 'Aucun signal reçu de cette machine' };
  const silent = Math.max(0, Math.round((Date.parse(input.now) - Date.parse(input.lastSeenAt)) / 1000));
  return { breached: silent >= after, value: silent, unit: 's', subject: null, detail: `Dernier signal il y a ${silent} s (${input.lastSeenAt})` };
}

export function evaluateServiceStopped(c: ServiceStoppedCondition, services: Extract<AlertInput, { kind: 'services' }>['services']): AlertEvaluation {
  const stopped = c.services.filter((name) => !services.some((s) => s.name === name && s.exists && s.active));
  const missing = new Set(c.services.filter((name) => !services.some((s) => s.name === name && s.exists)));
  const words = stopped.map((name) => (missing.has(name) ? `${name} (introuvable)` : name));
  return {
    breached: stopped.length > 0,
    value: stopped.length,
    unit: '',
    subject: stopped[0] ?? null,
    detail: stopped.length ? `Arrêté : ${words.join(', ')}` : `En marche : ${c.services.join(', ')}`,
  };
}

export function evaluateAntivirus(c: AntivirusCondition, products: Extract<AlertInput, { kind: 'security' }>['products']): AlertEvaluation {
  const installed = products.filter((p) => p.installed || p.running);
  const running = products.filter((p) => p.running);
  const names = (list: typeof products) => list.map((p) => p.name).join(', ');
  if (!installed.length) return { breached: true, value: 0, unit: '', subject: null, detail: 'Aucun antivirus connu installé' };
  if (c.require === 'running' && !running.length) return { breached: true, value: 0, unit: '', subject: installed[0]!.id, detail: `Antivirus installé mais arrêté : ${names(installed)}` };
  return { breached: false, value: running.length, unit: '', subject: (running[0] ?? installed[0])!.id, detail: `Antivirus : ${names(running.length ? running : installed)}` };
}

const SEVERITY_RANK: Record<EventSeverity, number> = { emergency: 0, alert: 1, critical: 2, error: 3 };

/** Breached when the event matches; an event rule clears by silence (clearAfterSeconds), not by a reading. */
export function evaluateEventPattern(c: EventPatternCondition, event: Extract<AlertInput, { kind: 'event' }>['event']): AlertEvaluation {
  const severe = SEVERITY_RANK[event.severity] <= SEVERITY_RANK[c.minSeverity];
  const fromSource = !c.source || event.source === c.source || event.unit === c.source;
  const matches = severe && fromSource && new RegExp(c.pattern, 'i').test(event.message);
  return { breached: matches, value: null, unit: '', subject: event.source, detail: `${event.at} ${event.source} : ${event.message.slice(0, 500)}` };
}

/** What a rule says about one observation; null when the observation is not the kind the rule reads. */
export function evaluateRule(rule: AlertRuleDefinition, input: AlertInput): AlertEvaluation | null {
  switch (rule.kind) {
    case 'metric_threshold':
      return input.kind === 'metrics' ? evaluateMetricThreshold(rule.condition, input.sample) : null;
    case 'disk_free':
      return input.kind === 'metrics' ? evaluateDiskFree(rule.condition, input.sample) : null;
    case 'offline':
      return input.kind === 'presence' ? evaluateOffline(rule.condition, input) : null;
    case 'service_stopped':
      return input.kind === 'services' ? evaluateServiceStopped(rule.condition, input.services) : null;
    case 'antivirus':
      return input.kind === 'security' ? evaluateAntivirus(rule.condition, input.products) : null;
    case 'event_pattern':
      return input.kind === 'event' ? evaluateEventPattern(rule.condition, input.event) : null;
  }
}

/** How long a breach must hold before it fires (0 for kinds without a duration). */
export function breachDurationSeconds(rule: AlertRuleDefinition): number {
  return 'durationSeconds' in rule.condition ? rule.condition.durationSeconds : 0;
}

// ---------------------------------------------------------------- breaches over time

/**
 * Where one machine + rule stands between observations: `pending` while a breach has not held for the
 * rule's duration yet, `firing` once the alert was signalled (and when it was last told so).
 */
export type RuleTrack = { phase: 'clear' } | { phase: 'pending'; since: string } | { phase: 'firing'; since: string; signalledAt: string };

/** What the alertWorkflow is told: a breach starts, still holds, or is over. */
export type AlertTransition = 'breach' | 'repeat' | 'clear';

export const CLEAR_TRACK: RuleTrack = { phase: 'clear' };

/**
 * The next state after one observation at `at` (observations in time order). A breach fires once it held on
 * every observation for `durationSeconds`; a firing breach is repeated at most every `repeatEverySeconds`;
 * one clear observation ends it (or a pending one, silently).
 */
export function trackRule(prev: RuleTrack, breached: boolean, at: string, opts: { durationSeconds: number; repeatEverySeconds: number }): { next: RuleTrack; emit: AlertTransition | null } {
  const t = Date.parse(at);
  if (!breached) return { next: CLEAR_TRACK, emit: prev.phase === 'firing' ? 'clear' : null };
  switch (prev.phase) {
    case 'clear':
      return opts.durationSeconds <= 0 ? { next: { phase: 'firing', since: at, signalledAt: at }, emit: 'breach' } : { next: { phase: 'pending', since: at }, emit: null };
    case 'pending':
      return t - Date.parse(prev.since) >= opts.durationSeconds * 1000
        ? { next: { phase: 'firing', since: prev.since, signalledAt: at }, emit: 'breach' }
        : { next: prev, emit: null };
    case 'firing':
      return t - Date.parse(prev.signalledAt) >= opts.repeatEverySeconds * 1000 ? { next: { ...prev, signalledAt: at }, emit: 'repeat' } : { next: prev, emit: null };
  }
}
