import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import {
  ALERT_REPEAT_SECONDS,
  breachDurationSeconds,
  CLEAR_TRACK,
  evaluateRule,
  ruleApplies,
  trackRule,
  type AlertRule,
  type MetricsSample,
  type RuleTrack,
} from '@vigie/core';
import { alertsRepo, withTenant, type Db, type MachineFacts } from '@vigie/db';
import { signalAlert, type AlertObservation } from '@vigie/workflows/client';
import { parseMetricsMessage, type MetricsMessage } from '../telemetry/metrics';

/** Where an observation goes: the machine + rule's alertWorkflow (a test may record instead). */
export type AlertSignal = (ids: { tenantId: string; machineId: string; ruleId: string }, observation: AlertObservation) => Promise<void>;

export function temporalAlertSignal(temporal: Client, clearGraceSeconds?: number): AlertSignal {
  return (ids, observation) => signalAlert(temporal, ids, observation, clearGraceSeconds === undefined ? {} : { clearGraceSeconds });
}

const METRIC_KINDS = new Set<AlertRule['kind']>(['metric_threshold', 'disk_free']);

/** A tenant's rules as last read (for a few seconds), with the machines seen since. */
interface TenantView {
  loadedAt: number;
  rules: AlertRule[];
  /** `<machine>:<rule>` of the alerts open when the rules were read. */
  openKeys: Set<string>;
  machines: Map<string, MachineFacts>;
}

export interface AlertEvaluatorOptions {
  db: Db;
  signal: AlertSignal;
  log: Logger;
  /** How long a tenant's rules are reused before they are read again. */
  rulesTtlMs?: number;
  repeatEverySeconds?: number;
  /** Samples older than this (an agent's outbox replayed after a long outage) are history, not alerts. */
  maxSampleAgeMs?: number;
}

export interface AlertEvaluator {
  /** Evaluates stored metrics messages against their tenant's rules; returns the observations signalled. */
  evaluateMetrics(messages: MetricsMessage[]): Promise<number>;
}

/**
 * Alert evaluation in ingest, after a metrics batch is stored: each sample against the tenant's enabled
 * metric rules that apply to its machine, each machine + rule tracked in memory (core's trackRule: breach
 * held for the rule's duration, repeats at most every few minutes, clear), and only state changes signalled.
 * After a restart (or on another replica) the state is seeded from the alerts open in Postgres, so a clear
 * is not lost. A signal that fails leaves the state as it was: the next sample tries again.
 */
export function createAlertEvaluator(opts: AlertEvaluatorOptions): AlertEvaluator {
  const rulesTtlMs = opts.rulesTtlMs ?? 5000;
  const repeatEverySeconds = opts.repeatEverySeconds ?? ALERT_REPEAT_SECONDS;
  const maxSampleAgeMs = opts.maxSampleAgeMs ?? 10 * 60_000;
  const views = new Map<string, TenantView>();
  const tracks = new Map<string, Map<string, RuleTrack>>();

  async function viewOf(tenantId: string): Promise<TenantView> {
    const cached = views.get(tenantId);
    if (cached && Date.now() - cached.loadedAt < rulesTtlMs) return cached;
    const view = await withTenant(opts.db, tenantId, async (tx) => {
      const rules = (await alertsRepo.enabledRules(tx)).filter((r) => METRIC_KINDS.has(r.kind));
      return { loadedAt: Date.now(), rules, openKeys: new Set(rules.length ? await alertsRepo.openAlertKeys(tx) : []), machines: new Map<string, MachineFacts>() };
    });
    views.set(tenantId, view);
    forgetRulesOtherThan(tenantId, view.rules);
    return view;
  }

  function forgetRulesOtherThan(tenantId: string, rules: AlertRule[]): void {
    const ids = new Set(rules.map((r) => r.id));
    const mine = tracks.get(tenantId);
    for (const key of mine?.keys() ?? []) if (!ids.has(key.split(':')[1]!)) mine!.delete(key);
  }

  async function loadMachines(tenantId: string, view: TenantView, machineIds: string[]): Promise<void> {
    const missing = machineIds.filter((id) => !view.machines.has(id));
    if (!missing.length) return;
    for (const m of await withTenant(opts.db, tenantId, (tx) => alertsRepo.machineFacts(tx, missing))) view.machines.set(m.id, m);
  }

  function trackOf(tenantId: string, view: TenantView, key: string, at: string): RuleTrack {
    const mine = tracks.get(tenantId) ?? new Map<string, RuleTrack>();
    tracks.set(tenantId, mine);
    return mine.get(key) ?? (view.openKeys.has(key) ? { phase: 'firing', since: at, signalledAt: at } : CLEAR_TRACK);
  }

  /** One sample against one rule; true when an observation was signalled. */
  async function observe(tenantId: string, view: TenantView, machineId: string, rule: AlertRule, sample: MetricsSample): Promise<boolean> {
    const evaluation = evaluateRule(rule, { kind: 'metrics', sample });
    if (!evaluation) return false;
    const key = `${machineId}:${rule.id}`;
    const { breached, ...reading } = evaluation;
    const { next, emit } = trackRule(trackOf(tenantId, view, key, sample.collectedAt), breached, sample.collectedAt, { durationSeconds: breachDurationSeconds(rule), repeatEverySeconds });
    if (emit) {
      try {
        await opts.signal({ tenantId, machineId, ruleId: rule.id }, { state: emit === 'clear' ? 'clear' : 'breached', at: sample.collectedAt, reading });
      } catch (err) {
        opts.log.warn({ err, tenantId, machineId, ruleId: rule.id, emit }, 'alert signal failed; the next sample tries again');
        return false;
      }
    }
    tracks.get(tenantId)!.set(key, next);
    return emit !== null;
  }

  async function evaluateTenant(tenantId: string, samples: { machineId: string; sample: MetricsSample }[]): Promise<number> {
    const view = await viewOf(tenantId);
    if (!view.rules.length) return 0;
    await loadMachines(tenantId, view, [...new Set(samples.map((s) => s.machineId))]);
    let signalled = 0;
    for (const { machineId, sample } of samples) {
      const machine = view.machines.get(machineId);
      if (!machine || machine.disabled || Date.now() - Date.parse(sample.collectedAt) > maxSampleAgeMs) continue;
      for (const rule of view.rules) if (ruleApplies(rule, machine) && (await observe(tenantId, view, machineId, rule, sample))) signalled++;
    }
    return signalled;
  }

  return {
    async evaluateMetrics(messages) {
      const byTenant = new Map<string, { machineId: string; sample: MetricsSample }[]>();
      for (const m of messages) {
        const parsed = parseMetricsMessage(m.subject, m.data, m.msgId);
        if (!parsed) continue;
        const list = byTenant.get(parsed.tenantId) ?? [];
        list.push({ machineId: parsed.machineId, sample: parsed.sample });
        byTenant.set(parsed.tenantId, list);
      }
      let signalled = 0;
      for (const [tenantId, samples] of byTenant) {
        // Time order per machine: a duration is measured across consecutive samples.
        samples.sort((a, b) => a.machineId.localeCompare(b.machineId) || Date.parse(a.sample.collectedAt) - Date.parse(b.sample.collectedAt) || a.sample.seq - b.sample.seq);
        try {
          signalled += await evaluateTenant(tenantId, samples);
        } catch (err) {
          opts.log.error({ err, tenantId }, 'alert evaluation failed for this batch');
        }
      }
      return signalled;
    },
  };
}
