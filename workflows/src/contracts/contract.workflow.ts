import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ConsumptionResult, HourBlockView, LedgerEntry } from '@vigie/core';
import { startEmailDeliveries } from '../shared/email-delivery';
import type { ContractActivities, HourBankOperation, HourBankOutcome, HourBankSnapshot } from '@vigie/activities';

const { loadHourBank, applyHourBank } = proxyActivities<ContractActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', nonRetryableErrorTypes: ['HourBankRefused', 'ContractNotFound'] },
});

export interface ContractWorkflowInput {
  tenantId: string;
  contractId: string;
  /** Carried over by continueAsNew, so the new run needs no reload. */
  snapshot?: HourBankSnapshot;
}

export interface ConsumeTimeRequest {
  timeEntryId: string;
  minutes: number;
}
export interface BuyBlockRequest {
  blockId: string;
  minutes: number;
  priceCents: number;
  expiresAt: string | null;
  actorId: string | null;
}
export interface AdjustRequest {
  adjustmentId: string;
  minutes: number;
  reason: string;
  actorId: string | null;
}

export const consumeTimeUpdate = defineUpdate<ConsumptionResult, [ConsumeTimeRequest]>('consumeTime');
export const reverseTimeUpdate = defineUpdate<ConsumptionResult, [{ timeEntryId: string }]>('reverseTime');
export const buyBlockUpdate = defineUpdate<HourBlockView, [BuyBlockRequest]>('buyBlock');
export const adjustBalanceUpdate = defineUpdate<LedgerEntry, [AdjustRequest]>('adjustBalance');
/** The contract row changed (status, terms): reload what the workflow keeps. */
export const contractChangedSignal = defineSignal('contractChanged');
export const hourBankQuery = defineQuery<HourBankSnapshot>('hourBank');

/** The longest single intervention a time entry may carry. */
export const MAX_ENTRY_MINUTES = 24 * 60;

const reject = (reason: string) => {
  throw ApplicationFailure.nonRetryable(reason, 'HourBankRefused');
};

/**
 * One hour-bank contract. Every change to its balance goes through here, one at a time (updates are
 * queued on a promise chain), and is written by an idempotent activity keyed by its business id; the
 * next block expiry is a durable timer. The history is bounded by continueAsNew.
 */
export async function contractWorkflow(input: ContractWorkflowInput): Promise<'ended'> {
  const { tenantId, contractId } = input;
  const now = () => new Date().toISOString();
  let reload = false;

  // Changes run one after the other even though update handlers are concurrent.
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  };

  // Handlers are set before the first await so an update sent with the start is not missed; until the
  // state is loaded, validators check only the request and the activity checks the rest.
  let snapshot: HourBankSnapshot | undefined = input.snapshot;
  const load = () => serially(async () => void (snapshot = await loadHourBank({ tenantId, contractId, at: now() })));
  if (!snapshot) load().catch(() => undefined);

  const apply = (operation: HourBankOperation): Promise<HourBankOutcome> =>
    serially(async () => {
      try {
        const outcome = await applyHourBank({ tenantId, contractId, at: now(), operation });
        snapshot = outcome.snapshot;
        await startEmailDeliveries(tenantId, outcome.emailIds);
        return outcome;
      } catch (err) {
        // A refusal fails the update with its reason; the workflow itself carries on.
        if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type);
        throw err;
      }
    });

  const requireActive = () => !snapshot || snapshot.status === 'active' || reject(`the contract is ${snapshot.status}; only an active contract consumes time`);
  const requireOpen = () => !snapshot || snapshot.status !== 'ended' || reject('the contract has ended');

  setHandler(
    consumeTimeUpdate,
    async (req) => (await apply({ kind: 'consume', ...req })).consumption!,
    {
      validator: (req) => {
        if (!Number.isInteger(req.minutes) || req.minutes < 1 || req.minutes > MAX_ENTRY_MINUTES) reject(`a time entry is a whole number of minutes from 1 to ${MAX_ENTRY_MINUTES}`);
        if (!req.timeEntryId) reject('a time entry id is required');
        requireActive();
      },
    },
  );
  setHandler(reverseTimeUpdate, async (req) => (await apply({ kind: 'reverse', ...req })).consumption!, {
    validator: (req) => void (req.timeEntryId || reject('a time entry id is required')),
  });
  setHandler(buyBlockUpdate, async (req) => (await apply({ kind: 'purchase', ...req })).block!, {
    validator: (req) => {
      if (!Number.isInteger(req.minutes) || req.minutes < 1) reject('a block has a positive whole number of minutes');
      if (req.expiresAt !== null && Date.parse(req.expiresAt) <= Date.now()) reject('the block would already be expired');
      requireOpen();
    },
  });
  setHandler(adjustBalanceUpdate, async (req) => (await apply({ kind: 'adjust', ...req })).ledger[0]!, {
    validator: (req) => {
      if (!Number.isInteger(req.minutes) || req.minutes === 0) reject('an adjustment is a non-zero whole number of minutes');
      if (!req.reason.trim()) reject('an adjustment needs a reason');
      const floor = -(snapshot?.overdraftLimitMinutes ?? 0);
      if (snapshot && snapshot.remainingMinutes + req.minutes < floor) reject(`the balance would go below ${floor} minutes`);
      requireOpen();
    },
  });
  setHandler(contractChangedSignal, () => void (reload = true));
  setHandler(hourBankQuery, () => {
    if (!snapshot) throw new Error('the hour bank is still loading');
    return snapshot;
  });

  await queue;
  if (!snapshot) throw ApplicationFailure.nonRetryable(`hour-bank contract ${contractId} not found`, 'ContractNotFound');
  for (;;) {
    const state = snapshot!;
    const expiry = state.nextExpiryAt ? Date.parse(state.nextExpiryAt) - Date.now() : null;
    // A change that moves the next expiry (a new block) restarts the wait with the new timer.
    const woken = () => reload || snapshot!.status === 'ended' || snapshot!.nextExpiryAt !== state.nextExpiryAt || workflowInfo().continueAsNewSuggested;
    const interrupted = expiry === null ? await condition(woken).then(() => true) : expiry > 0 ? await condition(woken, expiry) : false;
    if (!interrupted) await apply({ kind: 'expire' });
    if (reload) {
      reload = false;
      await load();
    }
    if (snapshot!.status === 'ended') {
      await condition(allHandlersFinished);
      return 'ended';
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await queue;
      return continueAsNew<typeof contractWorkflow>({ tenantId, contractId, snapshot });
    }
  }
}
