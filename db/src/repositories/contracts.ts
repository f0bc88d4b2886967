import { randomUUID } from 'node:crypto';
import {
  type Burndown,
  type Consumption,
  type Contract,
  type ContractListQuery,
  type ContractStatus,
  type ContractType,
  type CreateContractBody,
  type HourBankPolicy,
  type HourBankState,
  type HourBankTerms,
  type HourBlock,
  type HourBlockView,
  type LedgerEntry,
  type LedgerQuery,
  type Movement,
  type Page,
  type SubscriptionTerms,
  type Threshold,
  type UpdateContractBody,
} from '@vigie/core';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

interface ContractRow {
  id: string;
  client_id: string;
  client_name: string;
  type: ContractType;
  name: string;
  status: ContractStatus;
  is_default: boolean;
  start_date: string;
  end_date: string | null;
  currency: string;
  hourly_rate_cents: number | null;
  account_manager_id: string | null;
  notify_contact_id: string | null;
  quote_id: string | null;
  notes: string;
  rounding_minutes: number | null;
  minimum_minutes: number | null;
  overdraft_limit_minutes: number | null;
  thresholds: Threshold[] | null;
  usual_pack_minutes: number | null;
  usual_pack_price_cents: number | null;
  balance_minutes: number;
  overdraft_used_minutes: number;
  thresholds_crossed: string[];
  capacity_minutes: number | null;
  billing_basis: SubscriptionTerms['billingBasis'] | null;
  unit_price_cents: number | null;
  billing_period: SubscriptionTerms['billingPeriod'] | null;
  included_minutes: number | null;
  created_at: Date;
  updated_at: Date;
}

function toContract(row: ContractRow): Contract {
  const hourBank = row.type === 'hour_bank';
  return {
    id: row.id,
    clientId: row.client_id,
    clientName: row.client_name,
    type: row.type,
    name: row.name,
    status: row.status,
    isDefault: row.is_default,
    startDate: row.start_date,
    endDate: row.end_date,
    currency: row.currency,
    hourlyRateCents: row.hourly_rate_cents,
    accountManagerId: row.account_manager_id,
    notifyContactId: row.notify_contact_id,
    quoteId: row.quote_id,
    notes: row.notes,
    hourBank: hourBank
      ? {
          roundingMinutes: row.rounding_minutes!,
          minimumMinutes: row.minimum_minutes!,
          overdraftLimitMinutes: row.overdraft_limit_minutes,
          thresholds: row.thresholds!,
          usualPackMinutes: row.usual_pack_minutes,
          usualPackPriceCents: row.usual_pack_price_cents,
        }
      : null,
    subscription:
      row.type === 'subscription'
        ? { billingBasis: row.billing_basis!, unitPriceCents: row.unit_price_cents!, billingPeriod: row.billing_period!, includedMinutes: row.included_minutes }
        : null,
    remainingMinutes: hourBank ? row.balance_minutes : null,
    capacityMinutes: hourBank ? (row.capacity_minutes ?? 0) : null,
    thresholdsCrossed: row.thresholds_crossed,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export function policyOf(contract: Pick<Contract, 'hourBank'>): HourBankPolicy {
  const terms = contract.hourBank!;
  return {
    roundingMinutes: terms.roundingMinutes,
    minimumMinutes: terms.minimumMinutes,
    overdraftLimitMinutes: terms.overdraftLimitMinutes,
    thresholds: terms.thresholds,
  };
}

function selectContracts(tx: TenantTx) {
  // Capacity as the hour-bank core counts it: live blocks not used up, as bought.
  const capacity = tx('hour_blocks as b')
    .whereRaw('b.tenant_id = k.tenant_id and b.contract_id = k.id and b.remaining_minutes > 0 and (b.expires_at is null or b.expires_at > now())')
    .sum('b.minutes');
  return tx('contracts as k')
    .join('clients as c', function () {
      this.on('c.tenant_id', 'k.tenant_id').andOn('c.id', 'k.client_id');
    })
    .select('k.*', 'c.name as client_name', capacity.as('capacity_minutes'));
}

const hourBankColumns = (t: Partial<HourBankTerms>) => ({
  rounding_minutes: t.roundingMinutes,
  minimum_minutes: t.minimumMinutes,
  overdraft_limit_minutes: t.overdraftLimitMinutes,
  thresholds: t.thresholds === undefined ? undefined : JSON.stringify(t.thresholds),
  usual_pack_minutes: t.usualPackMinutes,
  usual_pack_price_cents: t.usualPackPriceCents,
});

const subscriptionColumns = (t: Partial<SubscriptionTerms>) => ({
  billing_basis: t.billingBasis,
  unit_price_cents: t.unitPriceCents,
  billing_period: t.billingPeriod,
  included_minutes: t.includedMinutes,
});

export async function insertContract(
  tx: TenantTx,
  c: { tenantId: string; id: string; startDate: string; quoteId?: string | null },
  body: CreateContractBody,
): Promise<Contract> {
  await tx('contracts').insert({
    tenant_id: c.tenantId,
    id: c.id,
    client_id: body.clientId,
    type: body.type,
    name: body.name,
    is_default: body.isDefault,
    start_date: c.startDate,
    end_date: body.endDate ?? null,
    currency: body.currency,
    hourly_rate_cents: body.hourlyRateCents ?? null,
    account_manager_id: body.accountManagerId ?? null,
    notify_contact_id: body.notifyContactId ?? null,
    quote_id: c.quoteId ?? null,
    notes: body.notes ?? '',
    ...(body.type === 'hour_bank' ? hourBankColumns(body.hourBank) : {}),
    ...(body.type === 'subscription' ? subscriptionColumns(body.subscription) : {}),
  });
  return (await findContract(tx, c.id))!;
}

export async function findContract(tx: TenantTx, id: string): Promise<Contract | undefined> {
  const row = await selectContracts(tx).where('k.id', id).first();
  return row ? toContract(row as ContractRow) : undefined;
}

export async function listContracts(tx: TenantTx, query: ContractListQuery & { excludeDrafts?: boolean }): Promise<Page<Contract>> {
  const q = selectContracts(tx);
  if (query.excludeDrafts) q.whereNot('k.status', 'draft');
  if (query.clientId) q.where('k.client_id', query.clientId);
  if (query.type) q.where('k.type', query.type);
  if (query.status) q.where('k.status', query.status);
  if (query.q) q.where((w) => w.whereILike('k.name', likePattern(query.q!)).orWhereILike('c.name', likePattern(query.q!)));
  return paginate<ContractRow, Contract>(
    q,
    { sortable: { name: 'k.name', createdAt: 'k.created_at', startDate: 'k.start_date' }, defaultSort: '-createdAt', idColumn: 'k.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toContract,
  );
}

/** The client's default contract, if any (decides coverage for tickets that name none). */
export async function findDefaultContract(tx: TenantTx, clientId: string): Promise<Contract | undefined> {
  const row = await selectContracts(tx).where({ 'k.client_id': clientId, 'k.is_default': true }).first();
  return row ? toContract(row as ContractRow) : undefined;
}

/** Only one default per client: setting one clears the others (the unique index enforces it). */
export async function clearDefault(tx: TenantTx, clientId: string): Promise<void> {
  await tx('contracts').where({ client_id: clientId, is_default: true }).update({ is_default: false, updated_at: tx.fn.now() });
}

export async function updateContract(tx: TenantTx, id: string, body: UpdateContractBody): Promise<Contract> {
  const columns = {
    name: body.name,
    status: body.status,
    end_date: body.endDate,
    is_default: body.isDefault,
    account_manager_id: body.accountManagerId,
    notify_contact_id: body.notifyContactId,
    hourly_rate_cents: body.hourlyRateCents,
    notes: body.notes,
    ...(body.hourBank ? hourBankColumns(body.hourBank) : {}),
    ...(body.subscription ? subscriptionColumns(body.subscription) : {}),
  };
  const defined = Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined));
  await tx('contracts').where({ id }).update({ ...defined, updated_at: tx.fn.now() });
  return (await findContract(tx, id))!;
}

// ---------------------------------------------------------------- hour bank state

interface BlockRow {
  id: string;
  contract_id: string;
  source: 'sale' | 'adjustment';
  minutes: number;
  remaining_minutes: number;
  price_cents: number;
  purchased_at: Date;
  expires_at: Date | null;
  created_by: string | null;
}

const toBlockView = (row: BlockRow): HourBlockView => ({
  id: row.id,
  contractId: row.contract_id,
  source: row.source,
  minutes: row.minutes,
  remainingMinutes: row.remaining_minutes,
  priceCents: row.price_cents,
  purchasedAt: row.purchased_at.toISOString(),
  expiresAt: row.expires_at?.toISOString() ?? null,
  createdBy: row.created_by,
});

export async function listBlocks(tx: TenantTx, contractId: string): Promise<HourBlockView[]> {
  const rows = (await tx('hour_blocks').where({ contract_id: contractId }).orderBy([{ column: 'purchased_at' }, { column: 'id' }])) as BlockRow[];
  return rows.map(toBlockView);
}

export async function findBlock(tx: TenantTx, id: string): Promise<HourBlockView | undefined> {
  const row = (await tx('hour_blocks').where({ id }).first()) as BlockRow | undefined;
  return row ? toBlockView(row) : undefined;
}

interface ConsumptionRow {
  time_entry_id: string;
  contract_id: string;
  raw_minutes: number;
  charged_minutes: number;
  block_minutes: number;
  overdraft_minutes: number;
  out_of_contract_minutes: number;
  from_blocks: Consumption['fromBlocks'];
  reversed_at: Date | null;
}

export interface StoredConsumption extends Consumption {
  contractId: string;
  rawMinutes: number;
}

const toConsumption = (row: ConsumptionRow): StoredConsumption => ({
  entryId: row.time_entry_id,
  contractId: row.contract_id,
  rawMinutes: row.raw_minutes,
  chargedMinutes: row.charged_minutes,
  fromBlocks: row.from_blocks,
  overdraftMinutes: row.overdraft_minutes,
  outOfContractMinutes: row.out_of_contract_minutes,
  reversed: row.reversed_at !== null,
});

export async function findConsumption(tx: TenantTx, timeEntryId: string): Promise<StoredConsumption | undefined> {
  const row = (await tx('time_consumptions').where({ time_entry_id: timeEntryId }).first()) as ConsumptionRow | undefined;
  return row ? toConsumption(row) : undefined;
}

/**
 * Locks the contract row (every change to one hour bank is serialised here as well as in its workflow)
 * and rebuilds the core state from the database: the blocks that can still matter, the overdraft, the
 * crossed thresholds, and the one consumption the operation is about.
 */
export async function lockHourBank(
  tx: TenantTx,
  contractId: string,
  at: string,
  timeEntryId?: string,
): Promise<{ contract: Contract; state: HourBankState } | undefined> {
  const locked = await tx('contracts').where({ id: contractId }).forUpdate().first('id');
  if (!locked) return undefined;
  const contract = (await findContract(tx, contractId))!;
  const blocks = (await tx('hour_blocks')
    .where({ contract_id: contractId })
    .andWhere((w) => w.whereNull('expires_at').orWhere('expires_at', '>', at).orWhere('remaining_minutes', '>', 0))
    .orderBy([{ column: 'purchased_at' }, { column: 'id' }])) as BlockRow[];
  const consumption = timeEntryId ? await findConsumption(tx, timeEntryId) : undefined;
  const row = (await tx('contracts').where({ id: contractId }).first('overdraft_used_minutes', 'thresholds_crossed')) as Pick<
    ContractRow,
    'overdraft_used_minutes' | 'thresholds_crossed'
  >;
  return {
    contract,
    state: {
      blocks: blocks.map(
        (b): HourBlock => ({
          id: b.id,
          purchasedAt: b.purchased_at.toISOString(),
          expiresAt: b.expires_at?.toISOString() ?? null,
          minutes: b.minutes,
          remaining: b.remaining_minutes,
        }),
      ),
      overdraftUsed: row.overdraft_used_minutes,
      consumptions: consumption && consumption.contractId === contractId ? { [consumption.entryId]: consumption } : {},
      crossed: row.thresholds_crossed,
    },
  };
}

export interface NewBlock {
  id: string;
  source: 'sale' | 'adjustment';
  priceCents: number;
  createdBy: string | null;
}

/**
 * Writes what the core computed: new blocks, each block's remaining minutes, the overdraft, the crossed
 * thresholds, then the ledger rows (whose trigger checks each balance and moves the contract's).
 */
export async function saveHourBank(
  tx: TenantTx,
  tenantId: string,
  contractId: string,
  change: { before: HourBankState; after: HourBankState; movements: Movement[] },
  meta: { newBlock?: NewBlock; createdBy: string | null; ledgerIds?: string[] },
): Promise<LedgerEntry[]> {
  const known = new Set(change.before.blocks.map((b) => b.id));
  for (const block of change.after.blocks) {
    if (!known.has(block.id)) {
      const info = meta.newBlock!;
      await tx('hour_blocks').insert({
        tenant_id: tenantId,
        id: block.id,
        contract_id: contractId,
        source: info.source,
        minutes: block.minutes,
        remaining_minutes: block.remaining,
        price_cents: info.priceCents,
        purchased_at: block.purchasedAt,
        expires_at: block.expiresAt,
        created_by: info.createdBy,
      });
    } else {
      const old = change.before.blocks.find((b) => b.id === block.id)!;
      if (old.remaining !== block.remaining) await tx('hour_blocks').where({ id: block.id }).update({ remaining_minutes: block.remaining });
    }
  }
  await tx('contracts')
    .where({ id: contractId })
    .update({ overdraft_used_minutes: change.after.overdraftUsed, thresholds_crossed: change.after.crossed, updated_at: tx.fn.now() });
  const ids: string[] = [];
  for (const [i, m] of change.movements.entries()) {
    const id = meta.ledgerIds?.[i] ?? randomUUID();
    await tx('hour_ledger').insert({
      tenant_id: tenantId,
      id,
      contract_id: contractId,
      seq: 0, // set by the trigger
      kind: m.kind,
      minutes: m.minutes,
      balance_after: m.balanceAfter,
      time_entry_id: m.kind === 'consumption' || m.kind === 'reversal' ? (m.entryId ?? null) : null,
      block_id: m.blockId ?? null,
      reason: m.reason ?? null,
      created_by: meta.createdBy,
    });
    ids.push(id);
  }
  return ids.length ? listLedgerRows(tx, ids) : [];
}

export async function insertConsumption(tx: TenantTx, tenantId: string, contractId: string, rawMinutes: number, c: Consumption): Promise<void> {
  await tx('time_consumptions').insert({
    tenant_id: tenantId,
    time_entry_id: c.entryId,
    contract_id: contractId,
    raw_minutes: rawMinutes,
    charged_minutes: c.chargedMinutes,
    block_minutes: c.fromBlocks.reduce((sum, b) => sum + b.minutes, 0),
    overdraft_minutes: c.overdraftMinutes,
    out_of_contract_minutes: c.outOfContractMinutes,
    from_blocks: JSON.stringify(c.fromBlocks),
  });
}

export async function markConsumptionReversed(tx: TenantTx, timeEntryId: string): Promise<void> {
  await tx('time_consumptions').where({ time_entry_id: timeEntryId }).whereNull('reversed_at').update({ reversed_at: tx.fn.now() });
}

/** The earliest expiry still to record (a live block with minutes left), for the workflow's timer. */
export async function nextExpiry(tx: TenantTx, contractId: string): Promise<string | null> {
  const row = (await tx('hour_blocks').where({ contract_id: contractId }).where('remaining_minutes', '>', 0).whereNotNull('expires_at').min('expires_at as at').first()) as
    | { at: Date | null }
    | undefined;
  return row?.at ? row.at.toISOString() : null;
}

// ---------------------------------------------------------------- ledger

interface LedgerRow {
  id: string;
  contract_id: string;
  seq: number;
  kind: LedgerEntry['kind'];
  minutes: number;
  balance_after: number;
  time_entry_id: string | null;
  block_id: string | null;
  reason: string | null;
  created_by: string | null;
  created_by_name: string | null;
  created_at: Date;
}

const toLedgerEntry = (row: LedgerRow): LedgerEntry => ({
  id: row.id,
  contractId: row.contract_id,
  seq: row.seq,
  kind: row.kind,
  minutes: row.minutes,
  balanceAfter: row.balance_after,
  timeEntryId: row.time_entry_id,
  blockId: row.block_id,
  reason: row.reason,
  createdBy: row.created_by,
  createdByName: row.created_by_name,
  createdAt: row.created_at.toISOString(),
});

function selectLedger(tx: TenantTx) {
  return tx('hour_ledger as l')
    .leftJoin('users as u', function () {
      this.on('u.tenant_id', 'l.tenant_id').andOn('u.id', 'l.created_by');
    })
    .select('l.*', 'u.name as created_by_name');
}

export async function findLedgerEntry(tx: TenantTx, id: string): Promise<LedgerEntry | undefined> {
  const row = await selectLedger(tx).where('l.id', id).first();
  return row ? toLedgerEntry(row as LedgerRow) : undefined;
}

async function listLedgerRows(tx: TenantTx, ids: string[]): Promise<LedgerEntry[]> {
  const rows = (await selectLedger(tx).whereIn('l.id', ids).orderBy('l.seq')) as LedgerRow[];
  return rows.map(toLedgerEntry);
}

export async function listLedger(tx: TenantTx, contractId: string, query: LedgerQuery): Promise<Page<LedgerEntry>> {
  const q = selectLedger(tx).where('l.contract_id', contractId);
  if (query.kind) q.where('l.kind', query.kind);
  if (query.q) q.whereILike('l.reason', likePattern(query.q));
  return paginate<LedgerRow, LedgerEntry>(
    q,
    { sortable: { seq: 'l.seq' }, defaultSort: '-seq', idColumn: 'l.id', limit: query.limit, cursor: query.cursor, sort: query.sort },
    toLedgerEntry,
  );
}

/** Sum of the ledger: by construction equal to the contract's balance (tests check it). */
export async function ledgerSum(tx: TenantTx, contractId: string): Promise<number> {
  const row = (await tx('hour_ledger').where({ contract_id: contractId }).sum('minutes as total').first()) as { total: number | string | null };
  return Number(row.total ?? 0);
}

/** The balance at the end of each day with movements over the last `days` days (UTC dates). */
export async function burndown(tx: TenantTx, contractId: string, days: number, now = new Date()): Promise<Burndown> {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
  const before = (await tx('hour_ledger')
    .where({ contract_id: contractId })
    .whereRaw(`(created_at at time zone 'UTC')::date < ?::date`, [from])
    .orderBy('seq', 'desc')
    .first('balance_after')) as { balance_after: number } | undefined;
  const { rows } = await tx.raw(
    `select to_char((created_at at time zone 'UTC')::date, 'YYYY-MM-DD') as date,
            (array_agg(balance_after order by seq desc))[1] as balance,
            coalesce(sum(minutes) filter (where minutes > 0), 0) as added,
            coalesce(-sum(minutes) filter (where minutes < 0), 0) as used
       from hour_ledger
      where contract_id = ? and (created_at at time zone 'UTC')::date >= ?::date
      group by 1 order by 1`,
    [contractId, from],
  );
  return {
    from,
    to,
    startBalanceMinutes: before?.balance_after ?? 0,
    days: (rows as { date: string; balance: number; added: number | string; used: number | string }[]).map((r) => ({
      date: r.date,
      balanceMinutes: r.balance,
      addedMinutes: Number(r.added),
      usedMinutes: Number(r.used),
    })),
  };
}

/** For the renewal proposal: is one already open for this contract? */
export async function hasOpenRenewal(tx: TenantTx, contractId: string): Promise<boolean> {
  const row = await tx('opportunities as o')
    .join('pipeline_stages as s', function () {
      this.on('s.tenant_id', 'o.tenant_id').andOn('s.id', 'o.stage_id');
    })
    .where({ 'o.renews_contract_id': contractId, 's.kind': 'open' })
    .first('o.id');
  return row !== undefined;
}


/** The contract an opportunity renews and the pack size it proposes, if it is a renewal. */
export async function renewalOf(tx: TenantTx, opportunityId: string): Promise<{ contractId: string; packMinutes: number } | undefined> {
  const row = (await tx('opportunities').where({ id: opportunityId }).whereNotNull('renews_contract_id').first('renews_contract_id', 'renewal_minutes')) as
    | { renews_contract_id: string; renewal_minutes: number }
    | undefined;
  return row ? { contractId: row.renews_contract_id, packMinutes: row.renewal_minutes } : undefined;
}
