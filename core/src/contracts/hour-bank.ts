/**
 * The hour bank, as pure functions of its state: blocks of prepaid minutes consumed oldest first, an
 * optional overdraft, thresholds that notify once per crossing. Used by the contract workflow (which
 * serialises every change) and by tests; the ledger in Postgres records each movement it returns.
 * All quantities are integer minutes.
 */

export type MovementKind = 'purchase' | 'consumption' | 'adjustment' | 'reversal' | 'expiry';

export interface HourBlock {
  id: string;
  purchasedAt: string; // ISO; consumption order
  expiresAt: string | null;
  minutes: number;
  remaining: number;
}

export type Threshold = { kind: 'percent'; value: number } | { kind: 'minutes'; value: number };

export interface HourBankPolicy {
  /** Each intervention is rounded up to a multiple of this (0: none), after the minimum. */
  roundingMinutes: number;
  /** Each intervention counts at least this much (0: none). */
  minimumMinutes: number;
  /** null: refuse overdraft (the excess is out-of-contract billable time); n: allow down to −n. */
  overdraftLimitMinutes: number | null;
  thresholds: Threshold[];
}

export interface Consumption {
  entryId: string;
  chargedMinutes: number;
  fromBlocks: { blockId: string; minutes: number }[];
  overdraftMinutes: number;
  outOfContractMinutes: number;
  reversed: boolean;
}

export interface HourBankState {
  blocks: HourBlock[];
  /** Minutes consumed beyond the blocks (a negative balance), within the overdraft limit. */
  overdraftUsed: number;
  consumptions: Record<string, Consumption>;
  /** Keys of thresholds crossed and not re-armed since (see thresholdKey). */
  crossed: string[];
}

export interface Movement {
  kind: MovementKind;
  minutes: number; // signed: + adds to the balance, − takes from it
  balanceAfter: number;
  entryId?: string;
  blockId?: string;
  reason?: string;
}

export interface Change {
  state: HourBankState;
  movements: Movement[];
  /** Thresholds crossed downwards by this change: notify each once. */
  crossed: Threshold[];
}

export const emptyHourBank = (): HourBankState => ({ blocks: [], overdraftUsed: 0, consumptions: {}, crossed: [] });

export function balanceOf(state: HourBankState): number {
  return state.blocks.reduce((sum, b) => sum + b.remaining, 0) - state.overdraftUsed;
}

export const thresholdKey = (t: Threshold) => `${t.kind}:${t.value}`;

const isActive = (b: HourBlock, nowIso: string) => b.expiresAt === null || b.expiresAt > nowIso;

/**
 * Minutes, as bought, of the live blocks not used up yet: the 100 % that percent thresholds refer to
 * (a pack used up long ago must not make a fresh one look nearly empty).
 */
export function activeCapacity(state: HourBankState, nowIso: string): number {
  return state.blocks.filter((b) => isActive(b, nowIso) && b.remaining > 0).reduce((sum, b) => sum + b.minutes, 0);
}

function levelMinutes(t: Threshold, capacity: number): number {
  return t.kind === 'minutes' ? t.value : Math.floor((capacity * t.value) / 100);
}

/**
 * After any change: thresholds whose level the balance has now reached or passed going down are newly
 * crossed (once); those the balance is above again after it rose (a purchase, a reversal) are re-armed.
 * A level that moves because a block ran out never re-arms one: only a top-up does.
 */
function updateThresholds(before: HourBankState, after: HourBankState, policy: HourBankPolicy, nowIso: string): { crossed: string[]; newly: Threshold[] } {
  const capacity = activeCapacity(after, nowIso);
  const balance = balanceOf(after);
  const rose = balance > balanceOf(before);
  const crossed = new Set(before.crossed);
  const newly: Threshold[] = [];
  for (const t of policy.thresholds) {
    const key = thresholdKey(t);
    const level = levelMinutes(t, capacity);
    if (capacity === 0 && t.kind === 'percent') continue;
    if (balance <= level && !crossed.has(key)) {
      crossed.add(key);
      newly.push(t);
    } else if (balance > level && rose) crossed.delete(key);
  }
  return { crossed: [...crossed].sort(), newly };
}

function finish(before: HourBankState, state: HourBankState, movements: Movement[], policy: HourBankPolicy, nowIso: string): Change {
  const thresholds = updateThresholds(before, state, policy, nowIso);
  return { state: { ...state, crossed: thresholds.crossed }, movements, crossed: thresholds.newly };
}

export function chargeableMinutes(rawMinutes: number, policy: Pick<HourBankPolicy, 'roundingMinutes' | 'minimumMinutes'>): number {
  const atLeast = Math.max(rawMinutes, policy.minimumMinutes);
  if (policy.roundingMinutes <= 0) return atLeast;
  return Math.ceil(atLeast / policy.roundingMinutes) * policy.roundingMinutes;
}

export class HourBankError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'HourBankError';
  }
}

/** A new block; it first pays back any overdraft. */
export function purchase(state: HourBankState, block: Omit<HourBlock, 'remaining'>, policy: HourBankPolicy, nowIso: string): Change {
  if (!Number.isInteger(block.minutes) || block.minutes <= 0) throw new HourBankError('a block has a positive whole number of minutes');
  if (state.blocks.some((b) => b.id === block.id)) return { state, movements: [], crossed: [] };
  const payback = Math.min(block.minutes, state.overdraftUsed);
  const next: HourBankState = {
    ...state,
    blocks: [...state.blocks, { ...block, remaining: block.minutes - payback }],
    overdraftUsed: state.overdraftUsed - payback,
  };
  return finish(state, next, [{ kind: 'purchase', minutes: block.minutes, balanceAfter: balanceOf(next), blockId: block.id }], policy, nowIso);
}

/**
 * Applies one approved time entry, oldest live block first. Idempotent by entry: applying the same entry
 * again returns its first result and changes nothing.
 */
export function consume(
  state: HourBankState,
  entry: { entryId: string; minutes: number },
  policy: HourBankPolicy,
  nowIso: string,
): Change & { consumption: Consumption } {
  const existing = state.consumptions[entry.entryId];
  if (existing) return { state, movements: [], crossed: [], consumption: existing };
  if (!Number.isInteger(entry.minutes) || entry.minutes <= 0) throw new HourBankError('a time entry has a positive whole number of minutes');
  const charged = chargeableMinutes(entry.minutes, policy);
  let left = charged;
  const fromBlocks: Consumption['fromBlocks'] = [];
  const order = state.blocks
    .map((b, index) => ({ b, index }))
    .filter(({ b }) => isActive(b, nowIso) && b.remaining > 0)
    .sort((x, y) => x.b.purchasedAt.localeCompare(y.b.purchasedAt) || x.b.id.localeCompare(y.b.id));
  const blocks = state.blocks.map((b) => ({ ...b }));
  for (const { index } of order) {
    if (left === 0) break;
    const take = Math.min(left, blocks[index]!.remaining);
    blocks[index]!.remaining -= take;
    fromBlocks.push({ blockId: blocks[index]!.id, minutes: take });
    left -= take;
  }
  const room = policy.overdraftLimitMinutes === null ? 0 : Math.max(0, policy.overdraftLimitMinutes - state.overdraftUsed);
  const overdraftMinutes = Math.min(left, room);
  const consumption: Consumption = {
    entryId: entry.entryId,
    chargedMinutes: charged,
    fromBlocks,
    overdraftMinutes,
    outOfContractMinutes: left - overdraftMinutes,
    reversed: false,
  };
  const next: HourBankState = {
    ...state,
    blocks,
    overdraftUsed: state.overdraftUsed + overdraftMinutes,
    consumptions: { ...state.consumptions, [entry.entryId]: consumption },
  };
  const taken = charged - consumption.outOfContractMinutes;
  const movements: Movement[] =
    taken > 0 ? [{ kind: 'consumption', minutes: -taken, balanceAfter: balanceOf(next), entryId: entry.entryId }] : [];
  return { ...finish(state, next, movements, policy, nowIso), consumption };
}

/**
 * Gives back what an entry consumed (it was rejected after approval): overdraft first, then the blocks it
 * came from, if they are still live (minutes of an expired block stay expired). Idempotent by entry.
 */
export function reverse(state: HourBankState, entryId: string, policy: HourBankPolicy, nowIso: string): Change {
  const consumption = state.consumptions[entryId];
  if (!consumption || consumption.reversed) return { state, movements: [], crossed: [] };
  const blocks = state.blocks.map((b) => ({ ...b }));
  // Overdraft still owed is cancelled; what a later purchase already paid back returns to the newest
  // live blocks (those that paid it), never above what they were bought with.
  const cancelled = Math.min(consumption.overdraftMinutes, state.overdraftUsed);
  let restored = cancelled;
  let repaid = consumption.overdraftMinutes - cancelled;
  const newestFirst = [...blocks].sort((x, y) => y.purchasedAt.localeCompare(x.purchasedAt) || y.id.localeCompare(x.id));
  for (const block of newestFirst) {
    if (repaid === 0) break;
    if (!isActive(block, nowIso)) continue;
    const room = Math.min(repaid, block.minutes - block.remaining);
    block.remaining += room;
    restored += room;
    repaid -= room;
  }
  for (const part of consumption.fromBlocks) {
    const block = blocks.find((b) => b.id === part.blockId);
    if (block && isActive(block, nowIso)) {
      const room = Math.min(part.minutes, block.minutes - block.remaining);
      block.remaining += room;
      restored += room;
    }
  }
  const next: HourBankState = {
    ...state,
    blocks,
    overdraftUsed: state.overdraftUsed - cancelled,
    consumptions: { ...state.consumptions, [entryId]: { ...consumption, reversed: true } },
  };
  const movements: Movement[] = restored > 0 ? [{ kind: 'reversal', minutes: restored, balanceAfter: balanceOf(next), entryId }] : [];
  return finish(state, next, movements, policy, nowIso);
}

/** Records what is left of blocks whose expiry date has passed as expired. */
export function expire(state: HourBankState, policy: HourBankPolicy, nowIso: string): Change {
  const blocks = state.blocks.map((b) => ({ ...b }));
  const movements: Movement[] = [];
  let next: HourBankState = { ...state, blocks };
  for (const block of blocks) {
    if (!isActive(block, nowIso) && block.remaining > 0) {
      const minutes = block.remaining;
      block.remaining = 0;
      next = { ...next, blocks };
      movements.push({ kind: 'expiry', minutes: -minutes, balanceAfter: balanceOf(next), blockId: block.id });
    }
  }
  return finish(state, next, movements, policy, nowIso);
}

/**
 * A manager's correction with a reason. Positive: a non-expiring block named by the caller. Negative:
 * taken oldest first like a consumption; refused if it would exceed the overdraft limit.
 */
export function adjust(
  state: HourBankState,
  adjustment: { id: string; minutes: number; reason: string; at: string },
  policy: HourBankPolicy,
  nowIso: string,
): Change {
  if (!Number.isInteger(adjustment.minutes) || adjustment.minutes === 0) throw new HourBankError('an adjustment is a non-zero whole number of minutes');
  if (!adjustment.reason.trim()) throw new HourBankError('an adjustment needs a reason');
  if (adjustment.minutes > 0) {
    const change = purchase(state, { id: adjustment.id, purchasedAt: adjustment.at, expiresAt: null, minutes: adjustment.minutes }, policy, nowIso);
    return { ...change, movements: change.movements.map((m) => ({ ...m, kind: 'adjustment' as const, reason: adjustment.reason })) };
  }
  const limit = policy.overdraftLimitMinutes ?? 0;
  if (balanceOf(state) + adjustment.minutes < -limit) throw new HourBankError(`the balance would go below −${limit} minutes`);
  const change = consume(state, { entryId: `adjustment:${adjustment.id}`, minutes: -adjustment.minutes }, { ...policy, roundingMinutes: 0, minimumMinutes: 0, overdraftLimitMinutes: limit }, nowIso);
  return { ...change, movements: change.movements.map((m) => ({ ...m, kind: 'adjustment' as const, reason: adjustment.reason })) };
}
