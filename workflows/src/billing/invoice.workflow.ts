import { condition, defineQuery, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import { addDays, dunningSteps, startOfLocalDate, type DunningKind, type DunningStep, type LocalDate } from '@vigie/core';
import type { BillingActivities } from '@vigie/activities';
import { startEmailDeliveries } from '../shared/email-delivery';

const { renderInvoicePdf, sendInvoiceEmail, loadDunningPlan, markInvoice } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '5 minutes', nonRetryableErrorTypes: ['InvoiceNotFound'] },
});

export interface InvoiceWorkflowInput {
  tenantId: string;
  invoiceId: string;
}

/** A payment settled the invoice (recorded in Postgres first): the dunning stops at once. */
export const invoicePaidSignal = defineSignal('paid');

export type InvoicePhase = 'rendering' | 'sending' | 'awaiting_payment' | 'dunning' | 'paid' | 'unpaid' | 'done';
export interface InvoiceWorkflowState {
  phase: InvoicePhase;
  nextStep: { kind: DunningKind; on: LocalDate } | null;
}
export const invoiceStateQuery = defineQuery<InvoiceWorkflowState>('invoiceState');

/**
 * One issued invoice or credit note: renders its PDF (Factur-X), e-mails it, then (an invoice) waits for
 * payment. Past the due date it turns overdue and the dunning ladder runs: each step is a durable timer
 * to its date in the tenant's time zone, then an e-mail recorded in the history. After the last step the
 * invoice is unpaid. A `paid` signal ends the wait wherever it is.
 */
export async function invoiceWorkflow(input: InvoiceWorkflowInput): Promise<'paid' | 'unpaid' | 'done'> {
  const state: InvoiceWorkflowState = { phase: 'rendering', nextStep: null };
  let paid = false;
  setHandler(invoicePaidSignal, () => void (paid = true));
  setHandler(invoiceStateQuery, () => state);
  // The e-mails go out in their own workflows; this one ends after they have (a run never leaves one behind).
  const deliveries: Promise<unknown>[] = [];
  const deliver = async (emailIds: string[]) => {
    for (const child of await startEmailDeliveries(input.tenantId, emailIds)) deliveries.push(child.result().catch(() => undefined));
  };
  const outcome = await followInvoice(input, state, () => paid, deliver);
  await Promise.all(deliveries);
  return outcome;
}

async function followInvoice(
  { tenantId, invoiceId }: InvoiceWorkflowInput,
  state: InvoiceWorkflowState,
  isPaid: () => boolean,
  deliver: (emailIds: string[]) => Promise<void>,
): Promise<'paid' | 'unpaid' | 'done'> {
  let paidBefore = false;
  const paid = () => paidBefore || isPaid();

  await renderInvoicePdf({ tenantId, invoiceId });
  state.phase = 'sending';
  const sent = await sendInvoiceEmail({ tenantId, invoiceId, kind: 'invoice' });
  await deliver(sent.emailIds);

  const plan = await loadDunningPlan({ tenantId, invoiceId });
  if (plan.kind === 'credit_note') return done(state, 'done');
  paidBefore = plan.paid;
  state.phase = 'awaiting_payment';

  // Overdue the day after the due date.
  if (await sleepUntil(addDays(plan.dueDate, 1), plan.timezone, paid)) return settled(state);
  if (!(await markInvoice({ tenantId, invoiceId, status: 'overdue' }))) return settled(state);
  state.phase = 'dunning';

  const steps: DunningStep[] = plan.steps;
  const sentKinds: DunningKind[] = [...plan.sentKinds];
  for (;;) {
    const next = dunningSteps(plan.dueDate, steps, plan.today, null, sentKinds);
    if (next.status === 'done') break;
    state.nextStep = { kind: next.step.kind, on: next.scheduledOn };
    if (await sleepUntil(next.scheduledOn, plan.timezone, paid)) return settled(state);
    const reminder = await sendInvoiceEmail({ tenantId, invoiceId, kind: next.step.kind });
    if (reminder.settled) return settled(state);
    await deliver(reminder.emailIds);
    sentKinds.push(next.step.kind);
    plan.today = next.scheduledOn;
  }
  state.nextStep = null;
  if (paid() || !(await markInvoice({ tenantId, invoiceId, status: 'unpaid' }))) return settled(state);
  return done(state, 'unpaid');
}

/** Waits until the start of `date` in `timezone`; true when `stop` became true first. */
async function sleepUntil(date: LocalDate, timezone: string, stop: () => boolean): Promise<boolean> {
  const wait = Date.parse(startOfLocalDate(date, timezone)) - Date.now();
  if (wait > 0) await condition(stop, wait);
  return stop();
}

function done<T extends 'paid' | 'unpaid' | 'done'>(state: InvoiceWorkflowState, outcome: T): T {
  state.phase = outcome === 'done' ? 'done' : outcome;
  state.nextStep = null;
  return outcome;
}

function settled(state: InvoiceWorkflowState): 'paid' {
  return done(state, 'paid');
}
