import { randomUUID } from 'node:crypto';
import { billedByRun, STANDARD_VAT_BP, subscriptionLine, type BillingBasis, type BillingFrequency, type RunPeriod } from '@vigie/core';
import type { TenantTx } from '../tenancy';
import { insertDraft } from './invoices';

export interface RunRef {
  tenantId: string;
  runId: string;
  frequency: BillingFrequency;
  period: RunPeriod;
}

interface SubscriptionRow {
  id: string;
  client_id: string;
  name: string;
  currency: string;
  start_date: string;
  end_date: string | null;
  billing_basis: BillingBasis;
  unit_price_cents: number;
  billing_period: BillingFrequency;
}

/** The quantity of a subscription counted now: the client's machines, its portal users, its sites, or 1 for a flat fee. */
async function quantityOf(tx: TenantTx, basis: BillingBasis, clientId: string): Promise<number> {
  const count = async (table: string, where: Record<string, unknown>) => Number(((await tx(table).where(where).count({ n: '*' }).first()) as { n: string }).n);
  switch (basis) {
    case 'flat':
      return 1;
    case 'per_user':
      return count('users', { client_id: clientId, role: 'client', disabled: false });
    case 'per_site':
      return count('client_sites', { client_id: clientId });
    case 'per_machine':
      // Machines of the fleet (enrolled agents) that are not disabled.
      return Number(((await tx('machines').where({ client_id: clientId }).whereNull('disabled_at').count({ n: '*' }).first()) as { n: string }).n);
  }
}

/** One draft per active subscription due in the run's period, made once per contract and period. */
export async function subscriptionDrafts(tx: TenantTx, run: RunRef): Promise<string[]> {
  const rows = (await tx('contracts')
    .where({ type: 'subscription', status: 'active' })
    .where('start_date', '<=', run.period.end)
    .where((w) => w.whereNull('end_date').orWhere('end_date', '>=', run.period.start))
    .orderBy('id')
    .select('id', 'client_id', 'name', 'currency', 'start_date', 'end_date', 'billing_basis', 'unit_price_cents', 'billing_period')) as SubscriptionRow[];
  const created: string[] = [];
  for (const c of rows) {
    // A yearly subscription waits for a yearly run; a monthly one is billed by any run.
    if (!billedByRun(c.billing_period, run.frequency)) continue;
    const quantity = await quantityOf(tx, c.billing_basis, c.client_id);
    const line = subscriptionLine(
      { contractName: c.name, billingBasis: c.billing_basis, billingPeriod: c.billing_period, unitPriceCents: c.unit_price_cents, startDate: c.start_date, endDate: c.end_date },
      { frequency: run.frequency, period: run.period },
      quantity,
    );
    if (!line) continue;
    const id = await insertDraft(tx, {
      tenantId: run.tenantId,
      clientId: c.client_id,
      contractId: c.id,
      billingRunId: run.runId,
      source: 'subscription',
      sourceKey: `subscription:${c.id}:${run.period.start}`,
      currency: c.currency,
      vatRounding: 'per_rate',
      periodStart: run.period.start,
      periodEnd: run.period.end,
      buyerReference: '',
      notes: '',
      createdBy: null,
      lines: [{ description: line.description, quantityMilli: line.quantityMilli, unitCode: line.unitCode, unitPriceCents: line.unitPriceCents, vatRateBp: STANDARD_VAT_BP, vatExemption: null }],
    });
    if (id) created.push(id);
  }
  return created;
}

interface SoldBlockRow {
  id: string;
  contract_id: string;
  client_id: string;
  contract_name: string;
  currency: string;
  minutes: number;
  price_cents: number;
  purchased_at: Date;
}

/** One draft per pack of hours sold and not invoiced yet; the block then points at its invoice. */
export async function hourBlockDrafts(tx: TenantTx, run: Omit<RunRef, 'frequency' | 'period'>): Promise<string[]> {
  const rows = (await tx('hour_blocks as b')
    .join('contracts as c', function () {
      this.on('c.tenant_id', 'b.tenant_id').andOn('c.id', 'b.contract_id');
    })
    .where('b.source', 'sale')
    .where('b.price_cents', '>', 0)
    .whereNull('b.invoice_id')
    .orderBy([{ column: 'b.purchased_at' }, { column: 'b.id' }])
    .forUpdate('b')
    .select('b.id', 'b.contract_id', 'c.client_id', 'c.name as contract_name', 'c.currency', 'b.minutes', 'b.price_cents', 'b.purchased_at')) as SoldBlockRow[];
  const created: string[] = [];
  for (const b of rows) {
    const hours = b.minutes / 60;
    const id = await insertDraft(tx, {
      tenantId: run.tenantId,
      id: randomUUID(),
      clientId: b.client_id,
      contractId: b.contract_id,
      billingRunId: run.runId,
      source: 'hour_block',
      sourceKey: `hour_block:${b.id}`,
      currency: b.currency,
      vatRounding: 'per_rate',
      periodStart: null,
      periodEnd: null,
      buyerReference: '',
      notes: '',
      createdBy: null,
      lines: [
        {
          description: `${b.contract_name} — pack de ${Number.isInteger(hours) ? hours : hours.toFixed(2).replace('.', ',')} h (banque d’heures)`,
          quantityMilli: 1000,
          unitCode: 'C62',
          unitPriceCents: b.price_cents,
          vatRateBp: STANDARD_VAT_BP,
          vatExemption: null,
        },
      ],
    });
    if (!id) continue;
    await tx('hour_blocks').where({ id: b.id }).update({ invoice_id: id });
    created.push(id);
  }
  return created;
}
