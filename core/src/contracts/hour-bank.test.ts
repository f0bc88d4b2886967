import fc from 'fast-check';
import {
  adjust,
  balanceOf,
  chargeableMinutes,
  consume,
  emptyHourBank,
  expire,
  purchase,
  reverse,
  thresholdKey,
  type Change,
  type HourBankPolicy,
  type HourBankState,
  type Movement,
} from './hour-bank';

const DAY = 86_400_000;
const T0 = Date.parse('2027-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

const policy = (over: Partial<HourBankPolicy> = {}): HourBankPolicy => ({
  roundingMinutes: 0,
  minimumMinutes: 0,
  overdraftLimitMinutes: null,
  thresholds: [],
  ...over,
});

describe('examples', () => {
  it('rounds each intervention after the minimum', () => {
    expect(chargeableMinutes(7, { roundingMinutes: 15, minimumMinutes: 0 })).toBe(15);
    expect(chargeableMinutes(16, { roundingMinutes: 15, minimumMinutes: 0 })).toBe(30);
    expect(chargeableMinutes(10, { roundingMinutes: 15, minimumMinutes: 30 })).toBe(30);
    expect(chargeableMinutes(31, { roundingMinutes: 0, minimumMinutes: 30 })).toBe(31);
  });

  it('consumes the oldest block first and sends the excess out of contract when overdraft is refused', () => {
    const p = policy();
    let s = purchase(emptyHourBank(), { id: 'b2', purchasedAt: iso(T0 + DAY), expiresAt: null, minutes: 600 }, p, iso(T0)).state;
    s = purchase(s, { id: 'b1', purchasedAt: iso(T0), expiresAt: null, minutes: 60 }, p, iso(T0)).state;
    const c = consume(s, { entryId: 'e1', minutes: 90 }, p, iso(T0 + 2 * DAY));
    expect(c.consumption.fromBlocks).toEqual([
      { blockId: 'b1', minutes: 60 },
      { blockId: 'b2', minutes: 30 },
    ]);
    const big = consume(c.state, { entryId: 'e2', minutes: 700 }, p, iso(T0 + 2 * DAY));
    expect(big.consumption).toMatchObject({ chargedMinutes: 700, overdraftMinutes: 0, outOfContractMinutes: 130 });
    expect(balanceOf(big.state)).toBe(0);
  });

  it('allows overdraft up to the limit, then the next purchase pays it back', () => {
    const p = policy({ overdraftLimitMinutes: 60 });
    let s = purchase(emptyHourBank(), { id: 'b1', purchasedAt: iso(T0), expiresAt: null, minutes: 60 }, p, iso(T0)).state;
    const c = consume(s, { entryId: 'e1', minutes: 150 }, p, iso(T0));
    expect(c.consumption).toMatchObject({ overdraftMinutes: 60, outOfContractMinutes: 30 });
    expect(balanceOf(c.state)).toBe(-60);
    s = purchase(c.state, { id: 'b2', purchasedAt: iso(T0 + DAY), expiresAt: null, minutes: 600 }, p, iso(T0 + DAY)).state;
    expect(balanceOf(s)).toBe(540);
    expect(s.blocks.find((b) => b.id === 'b2')!.remaining).toBe(540);
  });

  it('records the unused remainder of an expired block', () => {
    const p = policy();
    const s = purchase(emptyHourBank(), { id: 'b1', purchasedAt: iso(T0), expiresAt: iso(T0 + 10 * DAY), minutes: 600 }, p, iso(T0)).state;
    const used = consume(s, { entryId: 'e1', minutes: 100 }, p, iso(T0 + DAY)).state;
    const e = expire(used, p, iso(T0 + 11 * DAY));
    expect(e.movements).toEqual([{ kind: 'expiry', minutes: -500, balanceAfter: 0, blockId: 'b1' }]);
    expect(expire(e.state, p, iso(T0 + 12 * DAY)).movements).toEqual([]);
  });

  it('notifies each threshold once per crossing, and again only after a top-up re-arms it', () => {
    const p = policy({ thresholds: [{ kind: 'percent', value: 20 }, { kind: 'minutes', value: 120 }] });
    let s = purchase(emptyHourBank(), { id: 'b1', purchasedAt: iso(T0), expiresAt: null, minutes: 600 }, p, iso(T0)).state;
    const a = consume(s, { entryId: 'e1', minutes: 470 }, p, iso(T0)); // 130 left: 20 % = 120 not reached
    expect(a.crossed).toEqual([]);
    const b = consume(a.state, { entryId: 'e2', minutes: 15 }, p, iso(T0)); // 115 left: both reached
    expect(b.crossed.map(thresholdKey).sort()).toEqual(['minutes:120', 'percent:20']);
    const c = consume(b.state, { entryId: 'e3', minutes: 15 }, p, iso(T0));
    expect(c.crossed).toEqual([]);
    s = purchase(c.state, { id: 'b2', purchasedAt: iso(T0 + DAY), expiresAt: null, minutes: 600 }, p, iso(T0)).state;
    expect(s.crossed).toEqual([]);
  });

  it('measures percent thresholds against the packs still in use, and only a top-up re-arms them', () => {
    const p = policy({ thresholds: [{ kind: 'percent', value: 20 }] });
    let s = purchase(emptyHourBank(), { id: 'old', purchasedAt: iso(T0), expiresAt: null, minutes: 3000 }, p, iso(T0)).state;
    s = consume(s, { entryId: 'e1', minutes: 2900 }, p, iso(T0)).state; // 100 of 3000 left: crossed
    expect(s.crossed).toEqual(['percent:20']);
    s = purchase(s, { id: 'new', purchasedAt: iso(T0 + DAY), expiresAt: null, minutes: 1200 }, p, iso(T0)).state; // 1300 of 4200
    expect(s.crossed).toEqual([]);
    // The old pack runs out: the fresh 1200-minute pack is now the 100 %, and 1100 left is no crossing.
    const used = consume(s, { entryId: 'e2', minutes: 200 }, p, iso(T0));
    expect(balanceOf(used.state)).toBe(1100);
    expect(used.crossed).toEqual([]);
    const low = consume(used.state, { entryId: 'e3', minutes: 900 }, p, iso(T0)); // 200 of 1200 left
    expect(low.crossed.map(thresholdKey)).toEqual(['percent:20']);
  });

  it('refuses nonsense with a reason', () => {
    const p = policy();
    expect(() => consume(emptyHourBank(), { entryId: 'x', minutes: 0 }, p, iso(T0))).toThrow('positive whole number');
    expect(() => purchase(emptyHourBank(), { id: 'b', purchasedAt: iso(T0), expiresAt: null, minutes: 1.5 }, p, iso(T0))).toThrow();
    expect(() => adjust(emptyHourBank(), { id: 'a', minutes: -10, reason: 'erreur', at: iso(T0) }, p, iso(T0))).toThrow('below');
    expect(() => adjust(emptyHourBank(), { id: 'a', minutes: 10, reason: ' ', at: iso(T0) }, p, iso(T0))).toThrow('reason');
  });
});

// ---------------------------------------------------------------- properties

type Op =
  | { op: 'purchase'; minutes: number; expiresInDays: number | null }
  | { op: 'consume'; entry: number; minutes: number }
  | { op: 'reverse'; entry: number }
  | { op: 'advance'; days: number }
  | { op: 'adjust'; minutes: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('purchase' as const), minutes: fc.integer({ min: 1, max: 3000 }), expiresInDays: fc.option(fc.integer({ min: 1, max: 60 }), { nil: null }) }),
  fc.record({ op: fc.constant('consume' as const), entry: fc.integer({ min: 0, max: 15 }), minutes: fc.integer({ min: 1, max: 600 }) }),
  fc.record({ op: fc.constant('reverse' as const), entry: fc.integer({ min: 0, max: 15 }) }),
  fc.record({ op: fc.constant('advance' as const), days: fc.integer({ min: 0, max: 30 }) }),
  fc.record({ op: fc.constant('adjust' as const), minutes: fc.integer({ min: -300, max: 300 }).filter((m) => m !== 0) }),
);

const policyArb: fc.Arbitrary<HourBankPolicy> = fc.record({
  roundingMinutes: fc.constantFrom(0, 15, 30),
  minimumMinutes: fc.constantFrom(0, 15, 60),
  overdraftLimitMinutes: fc.option(fc.integer({ min: 0, max: 600 }), { nil: null }),
  thresholds: fc.constantFrom(
    [],
    [{ kind: 'percent' as const, value: 20 }],
    [{ kind: 'percent' as const, value: 20 }, { kind: 'percent' as const, value: 10 }, { kind: 'minutes' as const, value: 120 }],
  ),
});

function run(p: HourBankPolicy, ops: Op[], check: (before: HourBankState, change: Change, op: Op, movements: Movement[]) => void): void {
  let state = emptyHourBank();
  let now = T0;
  const movements: Movement[] = [];
  ops.forEach((o, i) => {
    const at = iso(now);
    let change: Change;
    try {
      switch (o.op) {
        case 'purchase':
          change = purchase(state, { id: `b${i}`, purchasedAt: at, expiresAt: o.expiresInDays === null ? null : iso(now + o.expiresInDays * DAY), minutes: o.minutes }, p, at);
          break;
        case 'consume':
          change = consume(state, { entryId: `e${o.entry}`, minutes: o.minutes }, p, at);
          break;
        case 'reverse':
          change = reverse(state, `e${o.entry}`, p, at);
          break;
        case 'advance':
          now += o.days * DAY;
          change = expire(state, p, iso(now));
          break;
        case 'adjust':
          change = adjust(state, { id: `a${i}`, minutes: o.minutes, reason: 'correction', at }, p, at);
          break;
      }
    } catch {
      return; // refused with a reason (e.g. adjustment past the limit): nothing changes
    }
    movements.push(...change.movements);
    check(state, change, o, movements);
    state = change.state;
  });
}

describe('properties (fast-check)', () => {
  it('the balance always equals purchases − consumption + reversals − expiry ± adjustments, row by row', () => {
    fc.assert(
      fc.property(policyArb, fc.array(opArb, { maxLength: 60 }), (p, ops) => {
        run(p, ops, (_before, change, _op, movements) => {
          const sum = (kind: Movement['kind']) => movements.filter((m) => m.kind === kind).reduce((s, m) => s + m.minutes, 0);
          const expected = sum('purchase') + sum('consumption') + sum('reversal') + sum('expiry') + sum('adjustment');
          expect(balanceOf(change.state)).toBe(expected);
          let running = 0;
          for (const m of movements) {
            running += m.minutes;
            expect(m.balanceAfter).toBe(running);
          }
          expect(balanceOf(change.state)).toBeGreaterThanOrEqual(-(p.overdraftLimitMinutes ?? 0));
          for (const b of change.state.blocks) expect(b.remaining >= 0 && b.remaining <= b.minutes).toBe(true);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never applies an entry twice, nor reverses it twice', () => {
    fc.assert(
      fc.property(policyArb, fc.array(opArb, { maxLength: 60 }), (p, ops) => {
        run(p, ops, (_before, _change, _op, movements) => {
          const count = (kind: string) => {
            const per = new Map<string, number>();
            for (const m of movements) if (m.kind === kind && m.entryId) per.set(m.entryId, (per.get(m.entryId) ?? 0) + 1);
            return Math.max(0, ...per.values());
          };
          expect(count('consumption')).toBeLessThanOrEqual(1);
          expect(count('reversal')).toBeLessThanOrEqual(1);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('never notifies the same threshold twice without the balance going back above it in between', () => {
    fc.assert(
      fc.property(policyArb, fc.array(opArb, { maxLength: 60 }), (p, ops) => {
        const armed = new Map<string, boolean>(p.thresholds.map((t) => [thresholdKey(t), true]));
        run(p, ops, (before, change) => {
          for (const t of change.crossed) {
            const key = thresholdKey(t);
            expect(before.crossed).not.toContain(key);
            expect(armed.get(key)).toBe(true);
            armed.set(key, false);
          }
          for (const t of p.thresholds) if (!change.state.crossed.includes(thresholdKey(t))) armed.set(thresholdKey(t), true);
        });
      }),
      { numRuns: 300 },
    );
  });
});
