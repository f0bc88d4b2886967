import { randomUUID } from 'node:crypto';
import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowFailedError,
  ScheduleAlreadyRunning,
  type Client,
  type WorkflowHandle,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, type UpdateDefinition } from '@temporalio/common';
import type { Workflow } from '@temporalio/common';
import { taskQueueOf, workflowId, type ConsumptionResult, type Domain, type HourBlockView, type LedgerEntry } from '@vigie/core';
import type { tenantOnboardingWorkflow } from './tenants/tenant-onboarding.workflow';
import { cancelReminderSignal, completeReminderSignal, snoozeReminderSignal, type reminderWorkflow } from './crm/reminder.workflow';
import type { quotePdfWorkflow } from './crm/quote-pdf.workflow';
import type { emailDeliveryWorkflow } from './crm/email-delivery.workflow';
import {
  adjustBalanceUpdate,
  buyBlockUpdate,
  consumeTimeUpdate,
  contractChangedSignal,
  reverseTimeUpdate,
  type AdjustRequest,
  type BuyBlockRequest,
  type ConsumeTimeRequest,
  type contractWorkflow,
} from './contracts/contract.workflow';
import { ticketChangedSignal, type TicketChange, type ticketWorkflow } from './tickets/ticket.workflow';
import {
  interventionReminderCancelSignal,
  interventionRescheduledSignal,
  type InterventionSchedule,
  type interventionReminderWorkflow,
} from './planning/intervention-reminder.workflow';

import { invoicePaidSignal, invoiceStateQuery, type InvoiceWorkflowState, type invoiceWorkflow } from './billing/invoice.workflow';
import type { InvoicePreviewInput, invoicePreviewWorkflow } from './billing/invoice-preview.workflow';
import { billingRunProgressQuery, type BillingRunInput, type BillingRunProgress, type billingRunWorkflow } from './billing/billing-run.workflow';
export type { TicketChange } from './tickets/ticket.workflow';
import { alertObservedSignal, type AlertObservation, type AlertWorkflowInput, type alertWorkflow } from './rmm/alert.workflow';
export type { AlertObservation } from './rmm/alert.workflow';

/** Typed starters used by api and ingest (outside the workflow sandbox). Starting twice is not an error. */

export const TENANT_ID_KEY = defineSearchAttributeKey('TenantId', 'KEYWORD');

/** The queue of a domain in this process's deployment (see TEMPORAL_TASK_QUEUE_SUFFIX in core/src/config.ts). */
export const queueOf = (domain: Domain): string => taskQueueOf(domain, process.env.TEMPORAL_TASK_QUEUE_SUFFIX ?? '');

/**
 * Starts a workflow under its business ID on its domain's task queue, tagged with the tenant; when it is
 * already running, returns a handle to that run instead.
 */
async function startOnce<W extends Workflow>(
  client: Client,
  type: string,
  opts: { domain: Domain; id: string; tenantId: string; args: Parameters<W>; executionTimeout?: string },
): Promise<WorkflowHandle<W>> {
  // The SDK types `args` with a conditional type a generic W cannot satisfy; Parameters<W> is what it means.
  const options = {
    taskQueue: queueOf(opts.domain),
    workflowId: opts.id,
    args: opts.args,
    typedSearchAttributes: [{ key: TENANT_ID_KEY, value: opts.tenantId }],
    ...(opts.executionTimeout ? { workflowExecutionTimeout: opts.executionTimeout } : {}),
  } as unknown as WorkflowStartOptions<W>;
  try {
    return await client.workflow.start<W>(type, options);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle<W>(opts.id);
    throw err;
  }
}

export function tenantOnboardingId(tenantId: string): string {
  return workflowId('tenant-onboarding', tenantId, tenantId);
}

export function startTenantOnboarding(client: Client, input: { tenantId: string }): Promise<WorkflowHandle<typeof tenantOnboardingWorkflow>> {
  return startOnce<typeof tenantOnboardingWorkflow>(client, 'tenantOnboardingWorkflow', {
    domain: 'tenants',
    id: tenantOnboardingId(input.tenantId),
    tenantId: input.tenantId,
    args: [input],
  });
}

export function reminderId(tenantId: string, id: string): string {
  return workflowId('reminder', tenantId, id);
}

export function startReminder(
  client: Client,
  input: { tenantId: string; reminderId: string; dueAt: string },
): Promise<WorkflowHandle<typeof reminderWorkflow>> {
  return startOnce<typeof reminderWorkflow>(client, 'reminderWorkflow', {
    domain: 'crm',
    id: reminderId(input.tenantId, input.reminderId),
    tenantId: input.tenantId,
    args: [input],
  });
}

export type ReminderCommand = { kind: 'snooze'; until: string } | { kind: 'complete' } | { kind: 'cancel' };

/** Delivers the owner's answer to the reminder's workflow. */
export async function signalReminder(client: Client, tenantId: string, id: string, command: ReminderCommand): Promise<void> {
  const handle = client.workflow.getHandle(reminderId(tenantId, id));
  if (command.kind === 'snooze') await handle.signal(snoozeReminderSignal, { until: command.until });
  else if (command.kind === 'complete') await handle.signal(completeReminderSignal);
  else await handle.signal(cancelReminderSignal);
}

/** Renders (or reuses) a quote's PDF through the worker and waits for it. Concurrent calls share one run. */
export async function renderQuotePdf(client: Client, input: { tenantId: string; quoteId: string }): Promise<{ documentId: string; rendered: boolean }> {
  const handle = await startOnce<typeof quotePdfWorkflow>(client, 'quotePdfWorkflow', {
    domain: 'crm',
    id: workflowId('quote-pdf', input.tenantId, input.quoteId),
    tenantId: input.tenantId,
    args: [input],
    executionTimeout: '5 minutes',
  });
  return handle.result();
}

/** Hands a queued e-mail (email_outbox row) to its durable delivery. Starting twice is harmless. */
export async function startEmailDelivery(client: Client, input: { tenantId: string; emailId: string }): Promise<void> {
  await startOnce<typeof emailDeliveryWorkflow>(client, 'emailDeliveryWorkflow', {
    domain: 'crm',
    id: workflowId('email', input.tenantId, input.emailId),
    tenantId: input.tenantId,
    args: [input],
  });
}

export function contractWorkflowId(tenantId: string, contractId: string): string {
  return workflowId('contract', tenantId, contractId);
}

/** The contract workflow refused a change; `reason` says why (shown to the user as a 409). */
export class HourBankRefusal extends Error {
  constructor(
    readonly reason: string,
    readonly kind: string,
  ) {
    super(reason);
    this.name = 'HourBankRefusal';
  }
}

/**
 * gRPC codes worth another try: RESOURCE_EXHAUSTED (the server caps the updates in flight per workflow,
 * 10 by default) and UNAVAILABLE (e.g. the run was closing for continueAsNew).
 */
const RETRYABLE_CODES = new Set([8, 14]);
const UPDATE_RETRY_WINDOW_MS = 60_000;

/**
 * Sends one change to a contract's workflow, starting it if it is not running (update-with-start), and
 * waits for its result. A validator's or activity's refusal is thrown as HourBankRefusal. A burst beyond
 * the server's in-flight limit, or a run closing, is retried with jittered backoff: every change is idempotent by its id.
 */
async function updateHourBank<Ret, Arg>(client: Client, ids: { tenantId: string; contractId: string }, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  return inFlight.run(contractWorkflowId(ids.tenantId, ids.contractId), () => sendUpdate(client, ids, update, arg));
}

/**
 * At most `limit` calls at once per key, the rest wait here in order: a burst of approvals on one
 * contract queues in this process instead of bouncing off the server's in-flight cap.
 */
class KeyedLimiter {
  private readonly waiting = new Map<string, { active: number; queue: (() => void)[] }>();
  constructor(private readonly limit: number) {}

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const slot = this.waiting.get(key) ?? { active: 0, queue: [] };
    this.waiting.set(key, slot);
    // A finishing call hands its slot straight to the next waiter, so the count never overshoots.
    if (slot.active >= this.limit) await new Promise<void>((resolve) => slot.queue.push(resolve));
    else slot.active++;
    try {
      return await work();
    } finally {
      const next = slot.queue.shift();
      if (next) next();
      else if (--slot.active === 0) this.waiting.delete(key);
    }
  }
}

const inFlight = new KeyedLimiter(8);

async function sendUpdate<Ret, Arg>(client: Client, ids: { tenantId: string; contractId: string }, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  const deadline = Date.now() + UPDATE_RETRY_WINDOW_MS;
  for (let attempt = 0; ; attempt++) {
    const startWorkflowOperation = new WithStartWorkflowOperation<typeof contractWorkflow>('contractWorkflow', {
      workflowId: contractWorkflowId(ids.tenantId, ids.contractId),
      taskQueue: queueOf('contracts'),
      args: [{ tenantId: ids.tenantId, contractId: ids.contractId }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: ids.tenantId }],
    });
    try {
      return await client.workflow.executeUpdateWithStart(update, { args: [arg], startWorkflowOperation });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) throw new HourBankRefusal(err.cause.message, err.cause.type ?? 'HourBankRefused');
      const busy = isGrpcServiceError(err) && RETRYABLE_CODES.has(err.code);
      if (!busy || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }
}

type ContractIds = { tenantId: string; contractId: string };

/** Applies an approved time entry to the hour bank (idempotent by time entry). */
export function consumeTime(client: Client, ids: ContractIds, request: ConsumeTimeRequest): Promise<ConsumptionResult> {
  return updateHourBank(client, ids, consumeTimeUpdate, request);
}

/** Gives back what a time entry consumed (it was rejected after approval). Idempotent. */
export function reverseTime(client: Client, ids: ContractIds, request: { timeEntryId: string }): Promise<ConsumptionResult> {
  return updateHourBank(client, ids, reverseTimeUpdate, request);
}

/** Sells a pack of hours (idempotent by block id). */
export function buyBlock(client: Client, ids: ContractIds, request: BuyBlockRequest): Promise<HourBlockView> {
  return updateHourBank(client, ids, buyBlockUpdate, request);
}

/** A manager's correction with a reason (idempotent by adjustment id). */
export function adjustBalance(client: Client, ids: ContractIds, request: AdjustRequest): Promise<LedgerEntry> {
  return updateHourBank(client, ids, adjustBalanceUpdate, request);
}

/** Tells a running contract workflow that the contract row changed; none running means nothing to tell. */
export async function notifyContractChanged(client: Client, ids: ContractIds): Promise<void> {
  try {
    await client.workflow.getHandle(contractWorkflowId(ids.tenantId, ids.contractId)).signal(contractChangedSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

export function ticketWorkflowId(tenantId: string, ticketId: string): string {
  return workflowId('ticket', tenantId, ticketId);
}

/** Starts a ticket's workflow (SLA clocks, auto-close, pre-billing). Starting twice is harmless. */
export async function startTicketWorkflow(client: Client, ids: { tenantId: string; ticketId: string }): Promise<void> {
  await startOnce<typeof ticketWorkflow>(client, 'ticketWorkflow', {
    domain: 'tickets',
    id: ticketWorkflowId(ids.tenantId, ids.ticketId),
    tenantId: ids.tenantId,
    args: [{ tenantId: ids.tenantId, ticketId: ids.ticketId }],
  });
}

/**
 * Tells a ticket's workflow what changed, starting it if it is not running (signal-with-start), so a
 * change is never lost even if the start failed earlier. A workflow started this way loads the ticket
 * as it is in Postgres, so it also catches up on what it missed.
 */
export async function signalTicket(client: Client, ids: { tenantId: string; ticketId: string }, change: TicketChange): Promise<void> {
  await client.workflow.signalWithStart<typeof ticketWorkflow, [TicketChange]>('ticketWorkflow', {
    taskQueue: queueOf('tickets'),
    workflowId: ticketWorkflowId(ids.tenantId, ids.ticketId),
    args: [{ tenantId: ids.tenantId, ticketId: ids.ticketId }],
    signal: ticketChangedSignal,
    signalArgs: [change],
    typedSearchAttributes: [{ key: TENANT_ID_KEY, value: ids.tenantId }],
  });
}

export function interventionReminderId(tenantId: string, interventionId: string): string {
  return workflowId('intervention-reminder', tenantId, interventionId);
}

/**
 * Times (or re-times) the reminder before an on-site intervention: signal-with-start, so the first call
 * starts the timer and later ones move it; after the reminder went out, a new start times a new one.
 */
export async function scheduleInterventionReminder(
  client: Client,
  input: { tenantId: string; interventionId: string; startAt: string; reminderLeadMinutes: number },
): Promise<void> {
  const schedule = { startAt: input.startAt, reminderLeadMinutes: input.reminderLeadMinutes };
  await client.workflow.signalWithStart<typeof interventionReminderWorkflow, [InterventionSchedule]>('interventionReminderWorkflow', {
    taskQueue: queueOf('planning'),
    workflowId: interventionReminderId(input.tenantId, input.interventionId),
    args: [input],
    signal: interventionRescheduledSignal,
    signalArgs: [schedule],
    typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
  });
}

/** No reminder any more (cancelled, done, or now remote); none running means nothing to stop. */
export async function cancelInterventionReminder(client: Client, ids: { tenantId: string; interventionId: string }): Promise<void> {
  try {
    await client.workflow.getHandle(interventionReminderId(ids.tenantId, ids.interventionId)).signal(interventionReminderCancelSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

export function invoiceWorkflowId(tenantId: string, invoiceId: string): string {
  return workflowId('invoice', tenantId, invoiceId);
}

/** Starts the life of an issued invoice or credit note (PDF, e-mail, dunning); once per invoice. */
export async function startInvoiceWorkflow(client: Client, ids: { tenantId: string; invoiceId: string }): Promise<void> {
  await startOnce<typeof invoiceWorkflow>(client, 'invoiceWorkflow', { domain: 'billing', id: invoiceWorkflowId(ids.tenantId, ids.invoiceId), tenantId: ids.tenantId, args: [ids] });
}

/** Tells a running invoice workflow it was paid; none running (finished, never started) is fine. */
export async function signalInvoicePaid(client: Client, ids: { tenantId: string; invoiceId: string }): Promise<void> {
  try {
    await client.workflow.getHandle(invoiceWorkflowId(ids.tenantId, ids.invoiceId)).signal(invoicePaidSignal);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
}

/** The invoice workflow's phase and next dunning step; null when it never ran. */
export async function invoiceWorkflowState(
  client: Client,
  ids: { tenantId: string; invoiceId: string },
): Promise<((InvoiceWorkflowState | { phase: 'unavailable'; nextStep: null }) & { running: boolean }) | null> {
  const handle = client.workflow.getHandle(invoiceWorkflowId(ids.tenantId, ids.invoiceId));
  let running: boolean;
  try {
    running = (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  try {
    return { ...(await handle.query(invoiceStateQuery)), running };
  } catch {
    // A query needs a worker; with none polling (stopped, deploying) the run is there but cannot answer.
    return { phase: 'unavailable', nextStep: null, running };
  }
}

export function billingRunWorkflowId(input: BillingRunInput): string {
  return workflowId('billing-run', input.tenantId, `${input.frequency}-${input.periodStart ?? 'current'}`);
}

/** Starts a billing run by hand (a run already going for that period is joined, not doubled). */
/**
 * Starts the period's run; a run still in progress is that run. With `rerun` (the period's row was finished and
 * has just been reopened), a predecessor that closed its row but has not ended yet must not swallow the
 * request: its end is awaited (moments), then a new run starts.
 */
export async function startBillingRun(client: Client, input: BillingRunInput & { periodStart: string; rerun?: boolean }): Promise<WorkflowHandle<typeof billingRunWorkflow>> {
  const { rerun, ...args } = input;
  const id = billingRunWorkflowId(args);
  for (let attempt = 0; ; attempt += 1) {
    try {
      const options = { taskQueue: queueOf('billing'), workflowId: id, args: [args], typedSearchAttributes: [{ key: TENANT_ID_KEY, value: args.tenantId }] };
      return await client.workflow.start<typeof billingRunWorkflow>('billingRunWorkflow', options as unknown as WorkflowStartOptions<typeof billingRunWorkflow>);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const running = client.workflow.getHandle<typeof billingRunWorkflow>(id);
      if (!rerun || attempt >= 3) return running;
      await Promise.race([running.result().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000))]);
    }
  }
}

export async function billingRunProgress(client: Client, input: BillingRunInput & { periodStart: string }): Promise<BillingRunProgress | null> {
  try {
    return await client.workflow.getHandle(billingRunWorkflowId(input)).query(billingRunProgressQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

export const billingScheduleId = (tenantId: string) => `billing-run:${tenantId}`;

const SCHEDULE_MONTHS = { monthly: undefined, quarterly: ['JANUARY', 'APRIL', 'JULY', 'OCTOBER'], yearly: ['JANUARY'] } as const;

/**
 * The tenant's periodic billing run as a Temporal Schedule: the first day of each month, quarter or year
 * at 06:00 in the tenant's zone. Created, or updated when the frequency or zone changed.
 */
export async function ensureBillingSchedule(client: Client, input: { tenantId: string; frequency: BillingRunInput['frequency']; timezone: string }): Promise<void> {
  const months = SCHEDULE_MONTHS[input.frequency];
  const spec = {
    calendars: [{ dayOfMonth: 1, hour: 6, minute: 0, ...(months ? { month: [...months] } : {}) }],
    timezone: input.timezone,
  };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: 'billingRunWorkflow',
    taskQueue: queueOf('billing'),
    workflowId: workflowId('billing-run', input.tenantId, 'scheduled'),
    args: [{ tenantId: input.tenantId, frequency: input.frequency, periodStart: null } satisfies BillingRunInput],
    typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
  };
  try {
    await client.schedule.create({ scheduleId: billingScheduleId(input.tenantId), spec, action, policies: { overlap: 'SKIP', catchupWindow: '7 days' } });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(billingScheduleId(input.tenantId)).update((previous) => ({ ...previous, spec, action }));
  }
}

/** Thrown when an uploaded invoice template cannot be rendered; the message says why. */
export class InvalidTemplateError extends Error {}

/** Renders the sample invoice in the worker (checking an uploaded template first); the PDF bytes. */
export async function previewInvoice(client: Client, input: InvoicePreviewInput): Promise<Buffer> {
  try {
    const base64 = await client.workflow.execute<typeof invoicePreviewWorkflow>('invoicePreviewWorkflow', {
      taskQueue: queueOf('billing'),
      workflowId: workflowId('invoice-preview', input.tenantId, randomUUID()),
      args: [input],
      workflowExecutionTimeout: '3 minutes',
      typedSearchAttributes: [{ key: TENANT_ID_KEY, value: input.tenantId }],
    });
    return Buffer.from(base64, 'base64');
  } catch (err) {
    const cause = err instanceof WorkflowFailedError ? err.cause?.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'InvalidTemplate') throw new InvalidTemplateError(cause.message);
    throw err;
  }
}

export function alertWorkflowId(ids: { tenantId: string; machineId: string; ruleId: string }): string {
  return workflowId('alert', ids.tenantId, `${ids.machineId}:${ids.ruleId}`);
}

/**
 * Tells a machine + rule's alert workflow what was observed. A breach starts it if none runs
 * (signal-with-start); a clear only goes to a running one (nothing runs: nothing is open to clear).
 */
export async function signalAlert(
  client: Client,
  ids: { tenantId: string; machineId: string; ruleId: string },
  observation: AlertObservation,
  opts: { clearGraceSeconds?: number } = {},
): Promise<void> {
  const id = alertWorkflowId(ids);
  if (observation.state === 'clear') {
    try {
      await client.workflow.getHandle(id).signal(alertObservedSignal, observation);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return;
  }
  const input: AlertWorkflowInput = { ...ids, ...(opts.clearGraceSeconds !== undefined ? { clearGraceSeconds: opts.clearGraceSeconds } : {}) };
  await client.workflow.signalWithStart<typeof alertWorkflow, [AlertObservation]>('alertWorkflow', {
    taskQueue: queueOf('rmm'),
    workflowId: id,
    args: [input],
    signal: alertObservedSignal,
    signalArgs: [observation],
    typedSearchAttributes: [{ key: TENANT_ID_KEY, value: ids.tenantId }],
  });
}
