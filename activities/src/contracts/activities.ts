import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import {
  adjust,
  balanceOf,
  consume,
  expire,
  HourBankError,
  purchase,
  reverse,
  thresholdKey,
  type Change,
  type ConsumptionResult,
  type Contract,
  type ContractStatus,
  type HourBankState,
  type HourBlockView,
  type LedgerEntry,
  type Threshold,
} from '@vigie/core';
import { clientsRepo, contractsRepo, notificationsRepo, outboxRepo, staffRepo, withTenant, type Db, type NewBlock, type StoredConsumption, type TenantTx } from '@vigie/db';
import { proposeRenewal } from './renewal';
import { thresholdMessage } from './threshold-notice';

export interface ContractActivityDeps {
  db: Db;
}

/** One change to an hour bank. `at` is the workflow's clock, so timers and tests agree on "now". */
export type HourBankOperation =
  | { kind: 'consume'; timeEntryId: string; minutes: number }
  | { kind: 'reverse'; timeEntryId: string }
  | { kind: 'purchase'; blockId: string; minutes: number; priceCents: number; expiresAt: string | null; actorId: string | null }
  | { kind: 'adjust'; adjustmentId: string; minutes: number; reason: string; actorId: string | null }
  | { kind: 'expire' };

/** What the contract workflow keeps in memory: enough to validate requests and set its expiry timer. */
export interface HourBankSnapshot {
  status: ContractStatus;
  remainingMinutes: number;
  overdraftLimitMinutes: number | null;
  thresholdsCrossed: string[];
  nextExpiryAt: string | null;
}

export interface HourBankOutcome {
  snapshot: HourBankSnapshot;
  ledger: LedgerEntry[];
  consumption?: ConsumptionResult;
  block?: HourBlockView;
  /** Queued threshold e-mails, for the workflow to hand to their delivery. */
  emailIds: string[];
}

/** Refusals are final (a retry would be refused again) and carry the reason to the caller. */
const refuse = (reason: string, type = 'HourBankRefused') => ApplicationFailure.nonRetryable(reason, type);

function toResult(c: StoredConsumption | (Omit<StoredConsumption, 'contractId' | 'rawMinutes'>), balanceAfter: number): ConsumptionResult {
  return {
    timeEntryId: c.entryId,
    chargedMinutes: c.chargedMinutes,
    blockMinutes: c.fromBlocks.reduce((sum, b) => sum + b.minutes, 0),
    overdraftMinutes: c.overdraftMinutes,
    outOfContractMinutes: c.outOfContractMinutes,
    balanceAfter,
    reversed: c.reversed,
  };
}

async function snapshotOf(tx: TenantTx, contract: Contract, balance: number, crossed: string[]): Promise<HourBankSnapshot> {
  return {
    status: contract.status,
    remainingMinutes: balance,
    overdraftLimitMinutes: contract.hourBank!.overdraftLimitMinutes,
    thresholdsCrossed: crossed,
    nextExpiryAt: await contractsRepo.nextExpiry(tx, contract.id),
  };
}

function assertAllowed(contract: Contract, op: HourBankOperation): void {
  if (contract.type !== 'hour_bank') throw refuse('only an hour-bank contract has a balance');
  if (op.kind === 'consume' && contract.status !== 'active') throw refuse(`the contract is ${contract.status}; only an active contract consumes time`);
  if ((op.kind === 'purchase' || op.kind === 'adjust') && contract.status === 'ended') throw refuse('the contract has ended');
}

/** Runs the pure hour-bank core; its refusals become final failures with their reason. */
function compute(state: HourBankState, contract: Contract, op: Exclude<HourBankOperation, { kind: 'consume' }>, at: string): Change {
  const policy = contractsRepo.policyOf(contract);
  try {
    switch (op.kind) {
      case 'reverse':
        return reverse(state, op.timeEntryId, policy, at);
      case 'purchase':
        if (op.expiresAt !== null && op.expiresAt <= at) throw new HourBankError('the block would already be expired');
        return purchase(state, { id: op.blockId, purchasedAt: at, expiresAt: op.expiresAt, minutes: op.minutes }, policy, at);
      case 'adjust':
        return adjust(state, { id: op.adjustmentId, minutes: op.minutes, reason: op.reason, at }, policy, at);
      case 'expire':
        return expire(state, policy, at);
    }
  } catch (err) {
    if (err instanceof HourBankError) throw refuse(err.reason);
    throw err;
  }
}

/** Activities of the contract workflow. Each change is one transaction, idempotent by its business key. */
export function createContractActivities({ db }: ContractActivityDeps) {
  /** Notifications, e-mails and the renewal proposal for thresholds just crossed, in the same transaction. */
  async function onThresholds(tx: TenantTx, tenantId: string, contract: Contract, crossed: Threshold[], cause: string, balance: number): Promise<string[]> {
    if (crossed.length === 0) return [];
    // The account manager, else the tenant's admins and managers.
    const recipients = await staffRepo.noticeRecipients(tx, contract.accountManagerId);
    const contact = contract.notifyContactId ? await clientsRepo.findContact(tx, contract.notifyContactId) : undefined;
    const emailIds: string[] = [];
    for (const threshold of crossed) {
      const key = `contract-threshold:${contract.id}:${thresholdKey(threshold)}:${cause}`;
      const message = thresholdMessage(contract, threshold, balance);
      for (const user of recipients) {
        await notificationsRepo.notify(tx, { tenantId, userId: user.id, kind: 'contract-threshold', title: message.subject, body: message.text, link: `/contracts/${contract.id}`, sourceKey: `${key}:${user.id}` });
        emailIds.push(await outboxRepo.enqueueEmail(tx, { tenantId, idempotencyKey: `${key}:${user.email}`, to: user.email, subject: message.subject, text: message.text }));
      }
      if (contact?.email) {
        emailIds.push(await outboxRepo.enqueueEmail(tx, { tenantId, idempotencyKey: `${key}:${contact.email}`, to: contact.email, subject: message.subject, text: message.clientText }));
      }
    }
    await proposeRenewal(tx, tenantId, contract);
    return emailIds;
  }

  async function consumeTime(tx: TenantTx, tenantId: string, contractId: string, op: { timeEntryId: string; minutes: number }, at: string): Promise<HourBankOutcome> {
    const locked = await contractsRepo.lockHourBank(tx, contractId, at, op.timeEntryId);
    if (!locked) throw refuse(`contract ${contractId} not found`, 'ContractNotFound');
    const { contract, state } = locked;
    if (contract.type !== 'hour_bank') throw refuse('only an hour-bank contract has a balance');
    const existing = await contractsRepo.findConsumption(tx, op.timeEntryId);
    if (existing && existing.contractId !== contractId) throw refuse('this time entry was already applied to another contract');
    if (existing) {
      return { snapshot: await snapshotOf(tx, contract, balanceOf(state), state.crossed), ledger: [], consumption: toResult(existing, balanceOf(state)), emailIds: [] };
    }
    assertAllowed(contract, { kind: 'consume', ...op });
    let change: ReturnType<typeof consume>;
    try {
      change = consume(state, { entryId: op.timeEntryId, minutes: op.minutes }, contractsRepo.policyOf(contract), at);
    } catch (err) {
      if (err instanceof HourBankError) throw refuse(err.reason);
      throw err;
    }
    const ledger = await contractsRepo.saveHourBank(tx, tenantId, contractId, { before: state, after: change.state, movements: change.movements }, { createdBy: null });
    await contractsRepo.insertConsumption(tx, tenantId, contractId, op.minutes, change.consumption);
    const balance = balanceOf(change.state);
    const emailIds = await onThresholds(tx, tenantId, contract, change.crossed, `entry:${op.timeEntryId}`, balance);
    return { snapshot: await snapshotOf(tx, contract, balance, change.state.crossed), ledger, consumption: toResult(change.consumption, balance), emailIds };
  }

  async function otherChange(tx: TenantTx, tenantId: string, contractId: string, op: Exclude<HourBankOperation, { kind: 'consume' }>, at: string): Promise<HourBankOutcome> {
    const locked = await contractsRepo.lockHourBank(tx, contractId, at, op.kind === 'reverse' ? op.timeEntryId : undefined);
    if (!locked) throw refuse(`contract ${contractId} not found`, 'ContractNotFound');
    const { contract, state } = locked;
    assertAllowed(contract, op);
    // Replays of an applied purchase or adjustment return what it did.
    const replayId = op.kind === 'purchase' ? op.blockId : op.kind === 'adjust' ? op.adjustmentId : undefined;
    const replayed = replayId ? await contractsRepo.findLedgerEntry(tx, replayId) : undefined;
    if (replayed) {
      const block = op.kind === 'purchase' ? await contractsRepo.findBlock(tx, op.blockId) : undefined;
      return { snapshot: await snapshotOf(tx, contract, balanceOf(state), state.crossed), ledger: [replayed], ...(block ? { block } : {}), emailIds: [] };
    }
    if (op.kind === 'reverse' && !state.consumptions[op.timeEntryId]) throw refuse('this time entry consumed nothing from this contract');

    const change = compute(state, contract, op, at);
    const newBlock: NewBlock | undefined =
      op.kind === 'purchase'
        ? { id: op.blockId, source: 'sale', priceCents: op.priceCents, createdBy: op.actorId }
        : op.kind === 'adjust' && op.minutes > 0
          ? { id: op.adjustmentId, source: 'adjustment', priceCents: 0, createdBy: op.actorId }
          : undefined;
    const actorId = op.kind === 'purchase' || op.kind === 'adjust' ? op.actorId : null;
    // A purchase or adjustment's ledger row takes its business id, which makes a retry find it above.
    const ledgerIds = replayId ? [replayId] : undefined;
    const ledger = await contractsRepo.saveHourBank(
      tx,
      tenantId,
      contractId,
      { before: state, after: change.state, movements: change.movements },
      { createdBy: actorId, ...(newBlock ? { newBlock } : {}), ...(ledgerIds ? { ledgerIds } : {}) },
    );
    if (op.kind === 'reverse') await contractsRepo.markConsumptionReversed(tx, op.timeEntryId);
    const balance = balanceOf(change.state);
    const emailIds = await onThresholds(tx, tenantId, contract, change.crossed, `ledger:${ledger.at(-1)?.id ?? randomUUID()}`, balance);
    const block = op.kind === 'purchase' ? await contractsRepo.findBlock(tx, op.blockId) : undefined;
    const consumption = op.kind === 'reverse' ? await contractsRepo.findConsumption(tx, op.timeEntryId) : undefined;
    return {
      snapshot: await snapshotOf(tx, contract, balance, change.state.crossed),
      ledger,
      ...(block ? { block } : {}),
      ...(consumption ? { consumption: toResult(consumption, balance) } : {}),
      emailIds,
    };
  }

  return {
    /** The state the workflow starts from (and reloads after the contract was edited). */
    async loadHourBank({ tenantId, contractId, at }: { tenantId: string; contractId: string; at: string }): Promise<HourBankSnapshot> {
      return withTenant(db, tenantId, async (tx) => {
        const contract = await contractsRepo.findContract(tx, contractId);
        if (!contract || contract.type !== 'hour_bank') throw refuse(`hour-bank contract ${contractId} not found`, 'ContractNotFound');
        const locked = (await contractsRepo.lockHourBank(tx, contractId, at))!;
        return snapshotOf(tx, contract, balanceOf(locked.state), locked.state.crossed);
      });
    },

    /**
     * Applies one operation to the hour bank through the pure core, over the state read (and locked) from
     * Postgres, and writes the result in the same transaction: blocks, ledger rows, the consumption mark,
     * and threshold notifications. Applying the same time entry, block or adjustment twice changes nothing.
     */
    async applyHourBank({ tenantId, contractId, at, operation }: { tenantId: string; contractId: string; at: string; operation: HourBankOperation }): Promise<HourBankOutcome> {
      return withTenant(db, tenantId, (tx) =>
        operation.kind === 'consume' ? consumeTime(tx, tenantId, contractId, operation, at) : otherChange(tx, tenantId, contractId, operation, at),
      );
    },
  };
}

export type ContractActivities = ReturnType<typeof createContractActivities>;
