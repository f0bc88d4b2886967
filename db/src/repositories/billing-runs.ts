import { randomUUID } from 'node:crypto';
import type { BillingFrequency, BillingRun, Page } from '@vigie/core';
import { paginate } from '../pagination';
import type { TenantTx } from '../tenancy';

interface RunRow {
  id: string;
  frequency: BillingFrequency;
  period_start: string;
  period_end: string;
  status: BillingRun['status'];
  invoice_count: number;
  total_cents: number;
  error: string | null;
  started_at: Date;
  finished_at: Date | null;
}

const toRun = (r: RunRow): BillingRun => ({
  id: r.id,
  frequency: r.frequency,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  status: r.status,
  invoiceCount: r.invoice_count,
  totalCents: r.total_cents,
  error: r.error,
  startedAt: r.started_at.toISOString(),
  finishedAt: r.finished_at?.toISOString() ?? null,
});

/** The run of a period, created on first call: a later call reopens the same run (one run per period). */
export async function claimRun(tx: TenantTx, tenantId: string, frequency: BillingFrequency, periodStart: string, periodEnd: string): Promise<BillingRun> {
  await tx('billing_runs')
    .insert({ tenant_id: tenantId, id: randomUUID(), frequency, period_start: periodStart, period_end: periodEnd })
    .onConflict(tx.raw('(tenant_id, frequency, period_start)'))
    .merge({ status: 'running', error: null, finished_at: null });
  const row = (await tx('billing_runs').where({ frequency, period_start: periodStart }).first()) as RunRow;
  return toRun(row);
}

/** The period's run row, locked: a concurrent claim of the same period waits for this one. */
export async function findRunForPeriod(tx: TenantTx, frequency: BillingFrequency, periodStart: string): Promise<BillingRun | undefined> {
  const row = (await tx('billing_runs').where({ frequency, period_start: periodStart }).forUpdate().first()) as RunRow | undefined;
  return row ? toRun(row) : undefined;
}

export async function finishRun(tx: TenantTx, id: string, outcome: { status: 'done' | 'failed'; error?: string }): Promise<BillingRun> {
  await tx('billing_runs')
    .where({ id })
    .update({
      status: outcome.status,
      error: outcome.error ?? null,
      finished_at: tx.fn.now(),
      invoice_count: tx.raw('(select count(*) from invoices i where i.tenant_id = billing_runs.tenant_id and i.billing_run_id = billing_runs.id)'),
      total_cents: tx.raw('(select coalesce(sum(total_cents), 0) from invoices i where i.tenant_id = billing_runs.tenant_id and i.billing_run_id = billing_runs.id)'),
    });
  return toRun((await tx('billing_runs').where({ id }).first()) as RunRow);
}

export async function findRun(tx: TenantTx, id: string): Promise<BillingRun | undefined> {
  const row = (await tx('billing_runs').where({ id }).first()) as RunRow | undefined;
  return row ? toRun(row) : undefined;
}

export async function listRuns(tx: TenantTx, query: { limit: number; cursor?: string | undefined; sort?: string | undefined }): Promise<Page<BillingRun>> {
  return paginate<RunRow, BillingRun>(
    tx('billing_runs').select('*'),
    { sortable: { startedAt: 'started_at', periodStart: 'period_start' }, defaultSort: '-periodStart', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toRun,
  );
}
