import type {
  AlertMetric,
  AlertOperator,
  AlertRule,
  AlertRuleKind,
  AlertScope,
  AlertScopeKind,
  AlertSeverity,
  CreateAlertRuleBody,
  EventSeverity,
} from '@vigie/core';
import { UNIT_SECONDS, splitSeconds, type DurationUnit } from './rmm-format';

const GIB = 1024 ** 3;

/** A number field: '' (or null) while empty. */
type NumberField = number | '' | null;

/**
 * What the rule editor edits: one flat model holding the fields of every kind, so that switching the kind
 * keeps what was typed; `prepareRule` builds the body of the chosen kind only.
 */
export interface RuleDraft {
  name: string;
  kind: AlertRuleKind;
  severity: AlertSeverity;
  enabled: boolean;
  autoResolveTicket: boolean;
  scopeKind: AlertScopeKind;
  /** The client, site or machine of the scope. */
  scopeId: string | null;
  /** The client whose sites are offered, for a site scope. */
  siteClientId: string | null;
  scopeTag: string;
  // metric_threshold (and the duration of disk_free, service_stopped)
  metric: AlertMetric;
  operator: AlertOperator;
  threshold: NumberField;
  durationValue: NumberField;
  durationUnit: DurationUnit;
  // disk_free
  diskMode: 'percent' | 'gb';
  minFreePercent: NumberField;
  minFreeGb: NumberField;
  mountPoint: string;
  // offline
  offlineMinutes: NumberField;
  // service_stopped
  services: string;
  // antivirus
  antivirusRequire: 'installed' | 'running';
  // event_pattern
  pattern: string;
  eventSource: string;
  minSeverity: EventSeverity;
  clearAfterMinutes: NumberField;
}

/** The scope part of an editor's model (alert rules, agent policies): what RuleScopeFields edits. */
export type ScopeDraft = Pick<RuleDraft, 'scopeKind' | 'scopeId' | 'siteClientId' | 'scopeTag'>;

export function blankRule(): RuleDraft {
  return {
    name: '',
    kind: 'metric_threshold',
    severity: 'warning',
    enabled: true,
    autoResolveTicket: false,
    scopeKind: 'all',
    scopeId: null,
    siteClientId: null,
    scopeTag: '',
    metric: 'cpu',
    operator: '>',
    threshold: 90,
    durationValue: 5,
    durationUnit: 'min',
    diskMode: 'percent',
    minFreePercent: 10,
    minFreeGb: 5,
    mountPoint: '',
    offlineMinutes: '',
    services: '',
    antivirusRequire: 'running',
    pattern: '',
    eventSource: '',
    minSeverity: 'error',
    clearAfterMinutes: 60,
  };
}

const num = (value: unknown): NumberField => (typeof value === 'number' ? value : '');
const orUndefined = (value: NumberField) => (typeof value === 'number' ? value : undefined);

export function scopeFields(scope: AlertScope): Pick<ScopeDraft, 'scopeKind' | 'scopeId' | 'scopeTag'> {
  if (scope.kind === 'all') return { scopeKind: 'all', scopeId: null, scopeTag: '' };
  if (scope.kind === 'tag') return { scopeKind: 'tag', scopeId: null, scopeTag: scope.tag };
  return { scopeKind: scope.kind, scopeId: scope.id, scopeTag: '' };
}

/** The editor's model for a rule (`null`: a new one). */
export function draftFromRule(rule: AlertRule | null): RuleDraft {
  const draft = blankRule();
  if (!rule) return draft;
  const c = rule.condition as Record<string, unknown>;
  Object.assign(draft, { name: rule.name, kind: rule.kind, severity: rule.severity, enabled: rule.enabled, autoResolveTicket: rule.autoResolveTicket }, scopeFields(rule.scope));
  if (typeof c.durationSeconds === 'number') {
    const { value, unit } = splitSeconds(c.durationSeconds);
    Object.assign(draft, { durationValue: value, durationUnit: unit });
  }
  switch (rule.kind) {
    case 'metric_threshold':
      Object.assign(draft, { metric: rule.condition.metric, operator: rule.condition.operator, threshold: rule.condition.threshold });
      break;
    case 'disk_free': {
      const bytes = rule.condition.minFreeBytes;
      Object.assign(draft, {
        diskMode: rule.condition.minFreePercent === undefined && bytes !== undefined ? 'gb' : 'percent',
        minFreePercent: num(rule.condition.minFreePercent),
        minFreeGb: bytes === undefined ? draft.minFreeGb : Math.round((bytes / GIB) * 100) / 100,
        mountPoint: rule.condition.mountPoint ?? '',
      });
      break;
    }
    case 'offline':
      draft.offlineMinutes = rule.condition.afterSeconds === undefined ? '' : Math.round((rule.condition.afterSeconds / 60) * 100) / 100;
      break;
    case 'service_stopped':
      draft.services = rule.condition.services.join(', ');
      break;
    case 'antivirus':
      draft.antivirusRequire = rule.condition.require;
      break;
    case 'event_pattern':
      Object.assign(draft, {
        pattern: rule.condition.pattern,
        eventSource: rule.condition.source ?? '',
        minSeverity: rule.condition.minSeverity,
        clearAfterMinutes: Math.round(rule.condition.clearAfterSeconds / 60),
      });
      break;
  }
  return draft;
}

function durationSeconds(d: RuleDraft): number | undefined {
  return typeof d.durationValue === 'number' ? Math.round(d.durationValue * UNIT_SECONDS[d.durationUnit]) : undefined;
}

export function scopeOf(d: ScopeDraft): Record<string, unknown> {
  if (d.scopeKind === 'all') return { kind: 'all' };
  if (d.scopeKind === 'tag') return { kind: 'tag', tag: d.scopeTag.trim() };
  return { kind: d.scopeKind, id: d.scopeId ?? '' };
}

function conditionOf(d: RuleDraft): Record<string, unknown> {
  switch (d.kind) {
    case 'metric_threshold':
      return { metric: d.metric, operator: d.operator, threshold: orUndefined(d.threshold), durationSeconds: durationSeconds(d) };
    case 'disk_free':
      return {
        mountPoint: d.mountPoint.trim() || null,
        ...(d.diskMode === 'percent' ? { minFreePercent: orUndefined(d.minFreePercent) } : { minFreeBytes: typeof d.minFreeGb === 'number' ? Math.round(d.minFreeGb * GIB) : undefined }),
        durationSeconds: durationSeconds(d),
      };
    case 'offline':
      return typeof d.offlineMinutes === 'number' ? { afterSeconds: Math.round(d.offlineMinutes * 60) } : {};
    case 'service_stopped':
      return {
        services: d.services
          .split(/[,\n]/)
          .map((s) => s.trim())
          .filter(Boolean),
        durationSeconds: durationSeconds(d),
      };
    case 'antivirus':
      return { require: d.antivirusRequire };
    case 'event_pattern':
      return {
        pattern: d.pattern,
        ...(d.eventSource.trim() ? { source: d.eventSource.trim() } : {}),
        minSeverity: d.minSeverity,
        clearAfterSeconds: typeof d.clearAfterMinutes === 'number' ? Math.round(d.clearAfterMinutes * 60) : undefined,
      };
  }
}

/** The body of `POST /alert-rules` (checked by its schema before it is sent). */
export function prepareRule(d: RuleDraft): unknown {
  return {
    name: d.name,
    kind: d.kind,
    enabled: d.enabled,
    severity: d.severity,
    autoResolveTicket: d.autoResolveTicket,
    scope: scopeOf(d),
    condition: conditionOf(d),
  };
}

/** A rule's changes (`PATCH`): the same, without the kind, which does not change. */
export function toUpdate(body: CreateAlertRuleBody) {
  const { kind: _kind, ...changes } = body;
  return changes;
}

/** Errors on body paths, shown on the editor's fields. */
export const RULE_ALIASES: Record<string, string> = {
  'scope.id': 'scopeId',
  'scope.tag': 'scopeTag',
  'condition.metric': 'metric',
  'condition.operator': 'operator',
  'condition.threshold': 'threshold',
  'condition.durationSeconds': 'durationValue',
  'condition.minFreePercent': 'minFreePercent',
  'condition.minFreeBytes': 'minFreeGb',
  'condition.mountPoint': 'mountPoint',
  'condition.afterSeconds': 'offlineMinutes',
  'condition.services': 'services',
  'condition.require': 'antivirusRequire',
  'condition.pattern': 'pattern',
  'condition.source': 'eventSource',
  'condition.minSeverity': 'minSeverity',
  'condition.clearAfterSeconds': 'clearAfterMinutes',
};
