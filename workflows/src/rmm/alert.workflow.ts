import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ALERT_REPEAT_SECONDS, DEFAULT_ALERT_CLEAR_GRACE_SECONDS, siblingTaskQueue, workflowId, type AlertReading } from '@vigie/core';
import type { RmmActivities } from '@vigie/activities';
import { startEmailDeliveries } from '../shared/email-delivery';
import { ticketChangedSignal, type ticketWorkflow } from '../tickets/ticket.workflow';

const { openAlert, recordAlertRepeat, resolveAlert } = proxyActivities<RmmActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** What ingest (or the offline sweep, or the API when a rule stops applying) saw of one machine + rule. */
export interface AlertObservation {
  state: 'breached' | 'clear';
  /** When it was observed (sample time, sweep time). */
  at: string;
  reading: AlertReading | null;
  /** Why it cleared when it is not the reading (a rule disabled, a machine disabled), in words. */
  reason?: string;
}

export const alertObservedSignal = defineSignal<[AlertObservation]>('alertObserved');

/** What a run hands to the next one (continueAsNew). */
export interface AlertMemory {
  alertId: string;
  ticketId: string | null;
  ticketNumber: string | null;
  openedAt: string;
  occurrences: number;
  lastReading: AlertReading | null;
  /** Workflow time of the last note on the ticket (the opening counts as one). */
  lastNoteAt: string;
  pending: AlertObservation[];
}

export interface AlertWorkflowInput {
  tenantId: string;
  machineId: string;
  ruleId: string;
  /** After a clear, how long a returning breach still belongs to this alert; default 60 s. */
  clearGraceSeconds?: number;
  memory?: AlertMemory;
}

export type AlertPhase = 'waiting' | 'open' | 'clearing' | 'resolved' | 'ignored';

export interface AlertWorkflowState {
  phase: AlertPhase;
  alertId: string | null;
  ticketId: string | null;
  ticketNumber: string | null;
  occurrences: number;
  lastReading: AlertReading | null;
}
export const alertStateQuery = defineQuery<AlertWorkflowState>('alertState');

export type AlertOutcome = 'resolved' | 'ignored';

/** Notes on the ticket are at least this far apart, whatever the number of signals (replicas, sweeps). */
const NOTE_MIN_GAP_MS = (ALERT_REPEAT_SECONDS - 60) * 1000;

/**
 * One machine + rule (ID `alert:<tenant>:<machine>:<rule>`, signal-with-start from ingest): the first breach
 * opens the alert and one pre-filled ticket (then the ticket's own workflow); a breach that holds is counted
 * and noted on that ticket (rate-limited); a clear, once no breach came back within the grace period, resolves
 * the alert (and the ticket when the rule says so) and ends the run. A later breach starts a new run: a new
 * alert, a new ticket. Postgres holds the alert; every write is an idempotent activity.
 */
export async function alertWorkflow(input: AlertWorkflowInput): Promise<AlertOutcome> {
  const { tenantId, machineId, ruleId } = input;
  const graceMs = (input.clearGraceSeconds ?? DEFAULT_ALERT_CLEAR_GRACE_SECONDS) * 1000;
  const pending: AlertObservation[] = [...(input.memory?.pending ?? [])];
  let memory: AlertMemory | null = input.memory ? { ...input.memory, pending: [] } : null;
  let phase: AlertPhase = memory ? 'open' : 'waiting';
  setHandler(alertObservedSignal, (o) => void pending.push(o));
  setHandler(alertStateQuery, () => ({
    phase,
    alertId: memory?.alertId ?? null,
    ticketId: memory?.ticketId ?? null,
    ticketNumber: memory?.ticketNumber ?? null,
    occurrences: memory?.occurrences ?? 0,
    lastReading: memory?.lastReading ?? null,
  }));
  const nowIso = () => new Date().toISOString();

  if (!memory) {
    memory = await open();
    if (!memory) {
      phase = 'ignored';
      return 'ignored';
    }
    phase = 'open';
  }
  const m = memory;

  /** Waits for the first breach (clears before it have nothing to clear) and opens the alert and its ticket. */
  async function open(): Promise<AlertMemory | null> {
    await condition(() => pending.length > 0);
    const first = pending.shift()!;
    if (first.state === 'clear') return null;
    const opened = await openAlert({ tenantId, machineId, ruleId, alertId: uuid4(), at: first.at, reading: first.reading });
    if (!opened) return null;
    if (opened.ticketId && opened.ticketOpen) await startTicketWorkflow(opened.ticketId);
    return {
      alertId: opened.alertId,
      ticketId: opened.ticketId,
      ticketNumber: opened.ticketNumber,
      openedAt: opened.openedAt,
      occurrences: opened.occurrences,
      lastReading: first.reading,
      lastNoteAt: nowIso(),
      pending: [],
    };
  }

  async function startTicketWorkflow(ticketId: string): Promise<void> {
    try {
      await startChild<typeof ticketWorkflow>('ticketWorkflow', {
        taskQueue: siblingTaskQueue(workflowInfo().taskQueue, 'tickets'),
        workflowId: workflowId('ticket', tenantId, ticketId),
        args: [{ tenantId, ticketId }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }

  async function repeat(o: AlertObservation): Promise<void> {
    m.occurrences += 1;
    m.lastReading = o.reading ?? m.lastReading;
    const note = Date.now() - Date.parse(m.lastNoteAt) >= NOTE_MIN_GAP_MS;
    await recordAlertRepeat({ tenantId, alertId: m.alertId, occurrences: m.occurrences, at: o.at, reading: m.lastReading, note });
    if (note) m.lastNoteAt = nowIso();
  }

  /** True when a breach came back within the grace period (the clears before it are dropped). */
  async function relapsed(): Promise<boolean> {
    const breachPending = () => pending.some((p) => p.state === 'breached');
    const back = graceMs > 0 ? await condition(breachPending, graceMs) : breachPending();
    if (back) while (pending[0]?.state === 'clear') pending.shift();
    return back;
  }

  async function resolve(o: AlertObservation): Promise<void> {
    const result = await resolveAlert({ tenantId, alertId: m.alertId, at: o.at, reading: o.reading, reason: o.reason ?? null });
    if (result.ticketId && result.ticketResolvedAt) await tellTicketResolved(result.ticketId, result.ticketResolvedAt);
    await startEmailDeliveries(tenantId, result.emailIds);
  }

  async function tellTicketResolved(ticketId: string, at: string): Promise<void> {
    try {
      await getExternalWorkflowHandle(workflowId('ticket', tenantId, ticketId)).signal(ticketChangedSignal, { kind: 'status', status: 'resolved', at });
    } catch {
      // Its workflow is not running (closed ticket): it will read the status from Postgres if it starts again.
    }
  }

  for (;;) {
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof alertWorkflow>({ ...input, memory: { ...m, pending: [...pending] } });
    }
    await condition(() => pending.length > 0 || workflowInfo().continueAsNewSuggested);
    const o = pending.shift();
    if (!o) continue;
    if (o.state === 'breached') {
      await repeat(o);
      continue;
    }
    phase = 'clearing';
    if (await relapsed()) {
      phase = 'open';
      continue;
    }
    // Clears that came during the grace period are newer news: the last one is what is recorded.
    await resolve(pending.filter((p) => p.state === 'clear').pop() ?? o);
    phase = 'resolved';
    return 'resolved';
  }
}
