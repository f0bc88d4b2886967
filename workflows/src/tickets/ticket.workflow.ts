import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { SlaState, SlaTargetState, TicketPriority, TicketStatus } from '@vigie/core';
import { startEmailDeliveries } from '../shared/email-delivery';
import type { SlaCrossing, TicketActivities, TicketSlaInputs } from '@vigie/activities';
import { deadlines, newClock, overallState, pause, reopen, resume, RUNNING_STATUSES, SLA_TARGETS, stop, targetState, type SlaClock } from './sla-clock';

const { loadTicketSla, saveTicketSla, autoCloseTicket, queueTicketPreBilling } = proxyActivities<TicketActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

/** One change to a ticket, as the API (or the mail ingest) tells its workflow. `at` is when it happened. */
export type TicketChange =
  /** Every status change: the clocks pause while 'waiting', resolution stops on 'resolved', 'closed' ends the workflow, a reopen restarts them. */
  | { kind: 'status'; status: TicketStatus; at: string }
  /** The first public reply by staff. */
  | { kind: 'firstResponse'; at: string }
  /** Targets follow the priority. */
  | { kind: 'priority'; priority: TicketPriority; at: string }
  /** The SLA policy, the business calendar or the contract changed: read them again. */
  | { kind: 'reload'; at: string };

export const ticketChangedSignal = defineSignal<[TicketChange]>('ticketChanged');

type SlaColumns = Parameters<TicketActivities['saveTicketSla']>[0]['sla'];
type Policy = Pick<TicketSlaInputs, 'targets' | 'warningPercent' | 'autoCloseDays' | 'calendar'>;

/** What the workflow keeps between changes (carried over continueAsNew). */
export interface TicketSlaMemory {
  status: TicketStatus;
  priority: TicketPriority;
  policy: Policy;
  firstResponse: SlaClock;
  resolution: SlaClock;
  /** When the ticket was resolved, for the auto-close timer; null unless resolved. */
  resolvedAt: string | null;
  /** The SLA columns last written to the ticket (JSON), so unchanged ones are not written again. */
  saved: string | null;
}

export interface TicketWorkflowInput {
  tenantId: string;
  ticketId: string;
  /** Carried over by continueAsNew. */
  memory?: TicketSlaMemory;
}

export interface TicketSlaView {
  status: TicketStatus;
  priority: TicketPriority;
  slaState: SlaState;
  firstResponse: { state: SlaTargetState; dueAt: string | null; spentMinutes: number };
  resolution: { state: SlaTargetState; dueAt: string | null; spentMinutes: number };
  autoCloseAt: string | null;
}
export const ticketSlaQuery = defineQuery<TicketSlaView | null>('ticketSla');

export type TicketOutcome = 'closed' | 'not-found';

const DAY = 86_400_000;

function retarget(m: TicketSlaMemory): void {
  const targets = m.policy.targets?.[m.priority];
  m.firstResponse.target = targets?.firstResponseMinutes ?? null;
  m.resolution.target = targets?.resolutionMinutes ?? null;
}

/** Applies a status change: clocks run only in RUNNING_STATUSES; resolved stops resolution; leaving resolved reopens it. */
function setStatus(m: TicketSlaMemory, status: TicketStatus, at: string): void {
  const cal = m.policy.calendar;
  const previous = m.status;
  m.status = status;
  if (status === 'closed') {
    stop(m.firstResponse, at, cal);
    stop(m.resolution, at, cal);
    m.resolvedAt = null;
    return;
  }
  if (status === 'resolved') {
    stop(m.resolution, at, cal);
    m.resolvedAt = at;
  } else if (previous === 'resolved') {
    reopen(m.resolution);
    m.resolvedAt = null;
  }
  const running = RUNNING_STATUSES.includes(status);
  for (const clock of [m.firstResponse, m.resolution]) {
    if (clock.stopped) continue;
    if (running) resume(clock, at);
    else pause(clock, at, m.policy.calendar);
  }
}

function apply(m: TicketSlaMemory, change: Exclude<TicketChange, { kind: 'reload' }>): void {
  switch (change.kind) {
    case 'status':
      return setStatus(m, change.status, change.at);
    case 'firstResponse':
      return stop(m.firstResponse, change.at, m.policy.calendar);
    case 'priority':
      m.priority = change.priority;
      return retarget(m);
  }
}

/** New policy, calendar or priority from Postgres: the running segments are counted on the old calendar up to now. */
function reload(m: TicketSlaMemory, inputs: TicketSlaInputs, at: string): void {
  const running = [m.firstResponse, m.resolution].filter((c) => c.since !== null);
  for (const clock of running) pause(clock, at, m.policy.calendar);
  m.policy = { targets: inputs.targets, warningPercent: inputs.warningPercent, autoCloseDays: inputs.autoCloseDays, calendar: inputs.calendar };
  m.priority = inputs.priority;
  retarget(m);
  for (const clock of running) resume(clock, at);
}

/** The memory of a ticket as Postgres tells it: clocks from creation, then its recorded status changes replayed. */
function fromInputs(inputs: TicketSlaInputs, now: string): TicketSlaMemory {
  const m: TicketSlaMemory = {
    status: 'open',
    priority: inputs.priority,
    policy: { targets: inputs.targets, warningPercent: inputs.warningPercent, autoCloseDays: inputs.autoCloseDays, calendar: inputs.calendar },
    firstResponse: newClock(null, inputs.createdAt),
    resolution: newClock(null, inputs.createdAt),
    resolvedAt: null,
    saved: null,
  };
  retarget(m);
  const history: Exclude<TicketChange, { kind: 'reload' }>[] = inputs.statusHistory.map((s) => ({ kind: 'status', ...s }));
  if (inputs.firstRespondedAt) history.push({ kind: 'firstResponse', at: inputs.firstRespondedAt });
  history.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  for (const change of history) apply(m, change);
  // A status the timeline did not record (or not yet): taken as of now.
  if (m.status !== inputs.status) setStatus(m, inputs.status, inputs.status === 'resolved' && inputs.resolvedAt ? inputs.resolvedAt : now);
  if (m.status === 'resolved' && inputs.resolvedAt) m.resolvedAt = inputs.resolvedAt;
  return m;
}

function columnsOf(m: TicketSlaMemory): SlaColumns {
  const target = (clock: SlaClock) => ({ state: targetState(clock), dueAt: clock.target === null ? null : clock.dueAt });
  return { slaState: overallState([m.firstResponse, m.resolution]), firstResponse: target(m.firstResponse), resolution: target(m.resolution) };
}

const autoCloseAt = (m: TicketSlaMemory) => (m.status === 'resolved' && m.resolvedAt ? Date.parse(m.resolvedAt) + m.policy.autoCloseDays * DAY : null);

/**
 * One ticket: its SLA clocks (first response, resolution) in business minutes on the tenant's calendar,
 * paused while it waits on the customer; a durable timer at each target's warning and breach instants;
 * the auto-close of a resolved ticket; the pre-billing of its uncovered time once closed. Changes arrive
 * by signal (`ticketChangedSignal`), are applied in order by the main loop, and every write is an
 * idempotent activity. The history is bounded by continueAsNew.
 */
export async function ticketWorkflow(input: TicketWorkflowInput): Promise<TicketOutcome> {
  const { tenantId, ticketId } = input;
  const pending: TicketChange[] = [];
  let m: TicketSlaMemory | null = input.memory ?? null;
  setHandler(ticketChangedSignal, (change) => void pending.push(change));
  setHandler(ticketSlaQuery, () => (m ? view(m) : null));
  const nowIso = () => new Date().toISOString();

  if (!m) {
    const inputs = await loadTicketSla({ tenantId, ticketId });
    if (!inputs) return 'not-found';
    m = fromInputs(inputs, nowIso());
  }
  const memory = m;

  /** Writes the SLA columns when they changed (always with a crossing, which also notifies). */
  async function save(crossing?: SlaCrossing): Promise<void> {
    const sla = columnsOf(memory);
    const json = JSON.stringify(sla);
    if (!crossing && json === memory.saved) return;
    const { emailIds } = await saveTicketSla({ tenantId, ticketId, sla, ...(crossing ? { crossing } : {}) });
    memory.saved = json;
    await startEmailDeliveries(tenantId, emailIds);
  }

  /** Fires what is due now (a breach also covers its warning) and refreshes the due dates of running clocks. */
  async function crossings(): Promise<void> {
    const now = Date.now();
    for (const target of SLA_TARGETS) {
      const clock = memory[target];
      const { warnAt, breachAt } = deadlines(clock, memory.policy.warningPercent, memory.policy.calendar);
      if (breachAt) clock.dueAt = breachAt;
      if (breachAt && Date.parse(breachAt) <= now) {
        clock.breached = clock.warned = true;
        await save({ target, level: 'breached', dueAt: breachAt, at: new Date(now).toISOString() });
      } else if (warnAt && Date.parse(warnAt) <= now) {
        clock.warned = true;
        await save({ target, level: 'warning', dueAt: breachAt!, at: new Date(now).toISOString() });
      }
    }
    await save();
  }

  async function finish(): Promise<TicketOutcome> {
    await save();
    await queueTicketPreBilling({ tenantId, ticketId });
    await condition(allHandlersFinished);
    return 'closed';
  }

  for (;;) {
    while (pending.length > 0) {
      const change = pending.shift()!;
      if (change.kind === 'reload') {
        const inputs = await loadTicketSla({ tenantId, ticketId });
        if (!inputs) return 'not-found';
        reload(memory, inputs, nowIso());
      } else apply(memory, change);
      if (memory.status === 'closed') return finish();
    }
    if (memory.status === 'closed') return finish();
    await crossings();

    const closeAt = autoCloseAt(memory);
    if (closeAt !== null && Date.now() >= closeAt && pending.length === 0) {
      const at = nowIso();
      const result = await autoCloseTicket({ tenantId, ticketId, at, resolvedBefore: new Date(Date.now() - memory.policy.autoCloseDays * DAY).toISOString() });
      if (result.status === null) return 'not-found';
      if (result.closed || result.status === 'closed') {
        setStatus(memory, 'closed', at);
        return finish();
      }
      // Not closed: the ticket moved on without telling us (reopened), or was resolved again later.
      if (result.status !== 'resolved') pending.push({ kind: 'status', status: result.status, at });
      else memory.resolvedAt = result.resolvedAt && Date.parse(result.resolvedAt) > Date.parse(memory.resolvedAt!) ? result.resolvedAt : at;
      continue;
    }

    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (pending.length === 0) return continueAsNew<typeof ticketWorkflow>({ tenantId, ticketId, memory });
      continue;
    }

    const next = nextWake(memory);
    const woken = () => pending.length > 0 || workflowInfo().continueAsNewSuggested;
    if (next === null) await condition(woken);
    else if (next > Date.now()) await condition(woken, next - Date.now());
  }
}

/** The next instant something is due: a warning, a breach or the auto-close. */
function nextWake(m: TicketSlaMemory): number | null {
  const instants: number[] = [];
  for (const target of SLA_TARGETS) {
    const { warnAt, breachAt } = deadlines(m[target], m.policy.warningPercent, m.policy.calendar);
    for (const at of [warnAt, breachAt]) if (at) instants.push(Date.parse(at));
  }
  const closeAt = autoCloseAt(m);
  if (closeAt !== null) instants.push(closeAt);
  return instants.length > 0 ? Math.min(...instants) : null;
}

function view(m: TicketSlaMemory): TicketSlaView {
  const columns = columnsOf(m);
  const closeAt = autoCloseAt(m);
  return {
    status: m.status,
    priority: m.priority,
    slaState: columns.slaState,
    firstResponse: { ...columns.firstResponse, spentMinutes: m.firstResponse.spent },
    resolution: { ...columns.resolution, spentMinutes: m.resolution.spent },
    autoCloseAt: closeAt === null ? null : new Date(closeAt).toISOString(),
  };
}
