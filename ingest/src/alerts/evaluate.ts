import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import {
  ALERT_REPEAT_SECONDS,
  breachDurationSeconds,
  CLEAR_TRACK,
  evaluateRule,
  ruleApplies,
  trackRule,
  type AlertInput,
  type AlertRule,
  type MachineInventory,
  type MetricsSample,
  type ReportedEvent,
  type RuleTrack,
} from '@vigie/core';
import { alertsRepo, withTenant, type Db, type MachineFacts } from '@vigie/db';
import { signalAlert, type AlertObservation } from '@vigie/workflows/client';
import type { ParsedMetrics } from '../telemetry/metrics';

/** Where an observation goes: the machine + rule's alertWorkflow (a test may record instead). */
export type AlertSignal = (ids: { tenantId: string; machineId: string; ruleId: string }, observation: AlertObservation) => Promise<void>;

export function temporalAlertSignal(temporal: Client, clearGraceSeconds?: number): AlertSignal {
  return (ids, observation) => signalAlert(temporal, ids, observation, clearGraceSeconds === undefined ? {} : { clearGraceSeconds });
}

/** Rules evaluated here, on stored telemetry (offline rules have their own sweep). */
const EVALUATED_KINDS = new Set<AlertRule['kind']>(['metric_threshold', 'disk_free', 'service_stopped', 'antivirus', 'event_pattern']);

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
  evaluateMetrics(samples: readonly ParsedMetrics[]): Promise<number>;
  /** Evaluates a stored inventory snapshot (service_stopped and antivirus rules). */
  evaluateState(tenantId: string, machineId: string, inventory: MachineInventory): Promise<number>;
  /** Evaluates stored system events (event_pattern rules); each match keeps the alert open for the rule's clearAfterSeconds. */
  evaluateEvents(tenantId: string, machineId: string, events: ReportedEvent[]): Promise<number>;
  /** Cancels the pending "quiet since" clears of event rules. */
  stop(): void;
}

/**
 * Alert evaluation in ingest, after a metrics batch is stored: each sample against the tenant's enabled
 * metric rules that apply to its machine, each machine + rule tracked in memory (core's trackRule: breach
 * held for the rule's duration, repeats at most every few minutes, clear), and only state changes signalled.
 * After a restart (or on another replica) the state is seeded from the alerts open in Postgres, so a clear
 * is not lost. A signal that fails leaves the state as it was: the next sample tries again.
 * Inventory snapshots (service_stopped, antivirus) go through the same tracking. Events have no "clear"
 * reading: a matching event fires, and the alert clears after the rule's clearAfterSeconds without a match
 * (an in-memory timer: an event alert open when ingest restarts waits for its next match to be tracked again).
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
      const rules = (await alertsRepo.enabledRules(tx)).filter((r) => EVALUATED_KINDS.has(r.kind));
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

  /** Tells the machine + rule's workflow; false (state left as it was) when the signal failed. */
  async function send(ids: { tenantId: string; machineId: string; ruleId: string }, emit: 'breach' | 'repeat' | 'clear', at: string, reading: AlertObservation['reading']): Promise<boolean> {
    try {
      await opts.signal(ids, { state: emit === 'clear' ? 'clear' : 'breached', at, reading });
      return true;
    } catch (err) {
      opts.log.warn({ err, ...ids, emit }, 'alert signal failed; the next observation tries again');
      return false;
    }
  }

  /** One observation against one rule; true when an observation was signalled. */
  async function observe(tenantId: string, view: TenantView, machineId: string, rule: AlertRule, input: AlertInput, at: string): Promise<boolean> {
    const evaluation = evaluateRule(rule, input);
    if (!evaluation) return false;
    const key = `${machineId}:${rule.id}`;
    const { breached, ...reading } = evaluation;
    const { next, emit } = trackRule(trackOf(tenantId, view, key, at), breached, at, { durationSeconds: breachDurationSeconds(rule), repeatEverySeconds });
    if (emit && !(await send({ tenantId, machineId, ruleId: rule.id }, emit, at, reading))) return false;
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
      for (const rule of view.rules) if (ruleApplies(rule, machine) && (await observe(tenantId, view, machineId, rule, { kind: 'metrics', sample }, sample.collectedAt))) signalled++;
    }
    return signalled;
  }

  /** Whether the machine's report can judge the rule: a service rule needs at least one of its names watched. */
  function judges(rule: AlertRule, input: AlertInput): boolean {
    if (rule.kind !== 'service_stopped' || input.kind !== 'services') return true;
    return rule.condition.services.some((name) => input.services.some((s) => s.name === name));
  }

  /** The machine as the tenant's view knows it, if its report at `at` should be evaluated at all. */
  async function machineFor(tenantId: string, machineId: string, at: string): Promise<{ view: TenantView; machine: MachineFacts } | undefined> {
    if (Date.now() - Date.parse(at) > maxSampleAgeMs) return undefined;
    const view = await viewOf(tenantId);
    if (!view.rules.length) return undefined;
    await loadMachines(tenantId, view, [machineId]);
    const machine = view.machines.get(machineId);
    return machine && !machine.disabled ? { view, machine } : undefined;
  }

  /** Services and processes as one list (a name is running when either says so), security products apart. */
  function stateInputs(inv: MachineInventory): AlertInput[] {
    const inputs: AlertInput[] = [];
    const services = [
      ...(inv.unavailable.includes('services') ? [] : inv.services.map((s) => ({ name: s.name, exists: s.exists, active: s.active }))),
      ...(inv.unavailable.includes('processes') ? [] : inv.processes.map((p) => ({ name: p.name, exists: p.running, active: p.running }))),
    ];
    if (services.length) inputs.push({ kind: 'services', services });
    if (!inv.unavailable.includes('security')) inputs.push({ kind: 'security', products: inv.security });
    return inputs;
  }

  // ---- event rules: an event has no end, so a firing event rule clears after clearAfterSeconds without a match.
  const quietTimers = new Map<string, NodeJS.Timeout>();

  function scheduleQuietClear(ids: { tenantId: string; machineId: string; ruleId: string }, clearAfterSeconds: number, lastMatchAt: string, reading: AlertObservation['reading']): void {
    const key = `${ids.tenantId}:${ids.machineId}:${ids.ruleId}`;
    clearTimeout(quietTimers.get(key));
    const delay = Math.max(0, Date.parse(lastMatchAt) + clearAfterSeconds * 1000 - Date.now());
    const timer = setTimeout(() => void clearIfQuiet(ids, clearAfterSeconds, lastMatchAt, reading), delay);
    timer.unref();
    quietTimers.set(key, timer);
  }

  async function clearIfQuiet(ids: { tenantId: string; machineId: string; ruleId: string }, clearAfterSeconds: number, lastMatchAt: string, reading: AlertObservation['reading']): Promise<void> {
    const trackKey = `${ids.machineId}:${ids.ruleId}`;
    quietTimers.delete(`${ids.tenantId}:${ids.machineId}:${ids.ruleId}`);
    if (tracks.get(ids.tenantId)?.get(trackKey)?.phase !== 'firing') return;
    const quiet = reading ? { ...reading, detail: `Aucun événement correspondant depuis ${clearAfterSeconds} s (dernier : ${lastMatchAt})` } : null;
    if (await send(ids, 'clear', new Date().toISOString(), quiet)) tracks.get(ids.tenantId)!.set(trackKey, CLEAR_TRACK);
    // A failed signal is tried again a little later.
    else scheduleQuietClear(ids, 0, new Date(Date.now() + 30_000).toISOString(), reading);
  }

  /** A matching event fires (or repeats) the rule and pushes its quiet clear back; other events change nothing. */
  async function observeEvent(tenantId: string, view: TenantView, machineId: string, rule: AlertRule, event: ReportedEvent): Promise<boolean> {
    if (rule.kind !== 'event_pattern') return false;
    const evaluation = evaluateRule(rule, { kind: 'event', event });
    if (!evaluation?.breached) return false;
    const ids = { tenantId, machineId, ruleId: rule.id };
    const key = `${machineId}:${rule.id}`;
    const { breached: _breached, ...reading } = evaluation;
    const { next, emit } = trackRule(trackOf(tenantId, view, key, event.at), true, event.at, { durationSeconds: 0, repeatEverySeconds });
    if (emit && !(await send(ids, emit, event.at, reading))) return false;
    tracks.get(tenantId)!.set(key, next);
    scheduleQuietClear(ids, rule.condition.clearAfterSeconds, event.at, reading);
    return emit !== null;
  }

  return {
    async evaluateMetrics(samples) {
      const byTenant = new Map<string, { machineId: string; sample: MetricsSample }[]>();
      for (const parsed of samples) {
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
    async evaluateState(tenantId, machineId, inventory) {
      try {
        const found = await machineFor(tenantId, machineId, inventory.collectedAt);
        if (!found) return 0;
        let signalled = 0;
        for (const rule of found.view.rules) {
          if (!ruleApplies(rule, found.machine)) continue;
          for (const input of stateInputs(inventory)) if (judges(rule, input) && (await observe(tenantId, found.view, machineId, rule, input, inventory.collectedAt))) signalled++;
        }
        return signalled;
      } catch (err) {
        opts.log.error({ err, tenantId, machineId }, 'alert evaluation failed for this inventory');
        return 0;
      }
    },
    async evaluateEvents(tenantId, machineId, events) {
      let signalled = 0;
      try {
        // Oldest first: a rule's quiet period starts at its last match.
        for (const event of [...events].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))) {
          const found = await machineFor(tenantId, machineId, event.at);
          if (!found) continue;
          for (const rule of found.view.rules) if (ruleApplies(rule, found.machine) && (await observeEvent(tenantId, found.view, machineId, rule, event))) signalled++;
        }
      } catch (err) {
        opts.log.error({ err, tenantId, machineId }, 'alert evaluation failed for these events');
      }
      return signalled;
    },
    stop() {
      for (const timer of quietTimers.values()) clearTimeout(timer);
      quietTimers.clear();
    },
  };
}
