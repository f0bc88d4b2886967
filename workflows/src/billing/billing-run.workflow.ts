import { ParentClosePolicy, defineQuery, proxyActivities, setHandler, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { workflowId, type BillingFrequency, type LocalDate } from '@vigie/core';
import type { BillingActivities } from '@vigie/activities';
import type { invoiceWorkflow } from './invoice.workflow';

const { openBillingRun, draftRunInvoices, validateRunInvoice, closeBillingRun } = proxyActivities<BillingActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '2 seconds', maximumInterval: '2 minutes', maximumAttempts: 10 },
});

export interface BillingRunInput {
  tenantId: string;
  frequency: BillingFrequency;
  /** First day of the period; null: the period containing today in the tenant's zone (a scheduled run). */
  periodStart: LocalDate | null;
}

export interface BillingRunProgress {
  runId: string | null;
  phase: 'opening' | 'drafting' | 'validating' | 'done' | 'failed';
  drafted: number;
  validated: number;
  refused: { invoiceId: string; reason: string }[];
}
export const billingRunProgressQuery = defineQuery<BillingRunProgress>('billingRunProgress');

/**
 * One billing run of a tenant for one period, started by its Temporal Schedule (or by hand): drafts the
 * period's invoices (subscriptions, packs of hours sold, ticket time waiting in pre-billing), then, when
 * the tenant chose so, validates them and starts each invoice's workflow. Idempotent per tenant and
 * period: every draft has a source key and the run row is unique, so a second run adds nothing.
 */
export async function billingRunWorkflow(input: BillingRunInput): Promise<BillingRunProgress> {
  const progress: BillingRunProgress = { runId: null, phase: 'opening', drafted: 0, validated: 0, refused: [] };
  setHandler(billingRunProgressQuery, () => progress);
  const run = await openBillingRun(input);
  progress.runId = run.runId;
  try {
    progress.phase = 'drafting';
    const drafts = await draftRunInvoices({ tenantId: input.tenantId, runId: run.runId, frequency: input.frequency, period: run.period });
    progress.drafted = drafts.length;
    if (run.autoValidate) {
      progress.phase = 'validating';
      for (const invoiceId of drafts) {
        const outcome = await validateRunInvoice({ tenantId: input.tenantId, invoiceId });
        if (!outcome.ok) {
          progress.refused.push({ invoiceId, reason: outcome.reason });
          continue;
        }
        progress.validated++;
        await startInvoice(input.tenantId, invoiceId);
      }
    }
    progress.phase = 'done';
    await closeBillingRun({ tenantId: input.tenantId, runId: run.runId, status: 'done', error: progress.refused.length ? `${progress.refused.length} invoice(s) left as drafts: ${progress.refused[0]!.reason}` : null });
  } catch (err) {
    progress.phase = 'failed';
    await closeBillingRun({ tenantId: input.tenantId, runId: run.runId, status: 'failed', error: err instanceof Error ? err.message : String(err) });
    throw err;
  }
  return progress;
}

/** The invoice's own workflow outlives the run (it waits weeks for payment). */
async function startInvoice(tenantId: string, invoiceId: string): Promise<void> {
  try {
    await startChild<typeof invoiceWorkflow>('invoiceWorkflow', {
      taskQueue: workflowInfo().taskQueue,
      workflowId: workflowId('invoice', tenantId, invoiceId),
      args: [{ tenantId, invoiceId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
