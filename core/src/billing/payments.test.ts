import fc from 'fast-check';
import { allocatePayment, invoiceBalanceOf, paymentStatus, type OpenInvoice } from './payments';

const inv = (id: string, dueDate: string, totalCents: number, paidCents = 0, creditedCents = 0): OpenInvoice => ({ id, issueDate: '2027-01-01', dueDate, totalCents, paidCents, creditedCents });

describe('payment allocation (examples)', () => {
  const open = [inv('F-3', '2027-03-31', 30_000), inv('F-1', '2027-01-31', 12_000, 2_000), inv('F-2', '2027-02-28', 50_000, 0, 10_000)];

  it('settles the oldest first and leaves the last one partially paid', () => {
    expect(allocatePayment(25_000, open, 'oldest_first')).toEqual({
      allocations: [
        { invoiceId: 'F-1', amountCents: 10_000 },
        { invoiceId: 'F-2', amountCents: 15_000 },
      ],
      unallocatedCents: 0,
      balances: [
        { invoiceId: 'F-3', balanceCents: 30_000, status: 'unpaid' },
        { invoiceId: 'F-1', balanceCents: 0, status: 'paid' },
        { invoiceId: 'F-2', balanceCents: 25_000, status: 'partially_paid' },
      ],
    });
  });

  it('follows a given order and returns the surplus', () => {
    const r = allocatePayment(100_000, open, { invoiceIds: ['F-3', 'F-2'] });
    expect(r.allocations).toEqual([
      { invoiceId: 'F-3', amountCents: 30_000 },
      { invoiceId: 'F-2', amountCents: 40_000 },
    ]);
    expect(r.unallocatedCents).toBe(30_000);
    expect(r.balances.find((b) => b.invoiceId === 'F-1')).toEqual({ invoiceId: 'F-1', balanceCents: 10_000, status: 'partially_paid' });
  });

  it('breaks ties on the due date by issue date then id', () => {
    const same = [{ ...inv('B', '2027-01-31', 100), issueDate: '2027-01-02' }, inv('C', '2027-01-31', 100), inv('A', '2027-01-31', 100)];
    expect(allocatePayment(250, same, 'oldest_first').allocations.map((a) => a.invoiceId)).toEqual(['A', 'C', 'B']);
  });

  it('skips settled invoices, accepts zero, refuses bad input', () => {
    expect(allocatePayment(500, [inv('P', '2027-01-01', 100, 100), inv('Q', '2027-02-01', 100)], 'oldest_first').allocations).toEqual([{ invoiceId: 'Q', amountCents: 100 }]);
    expect(allocatePayment(0, open, 'oldest_first')).toMatchObject({ allocations: [], unallocatedCents: 0 });
    expect(() => allocatePayment(-1, open, 'oldest_first')).toThrow(/payment/);
    expect(() => allocatePayment(1, open, { invoiceIds: ['F-9'] })).toThrow(/not among/);
    expect(() => allocatePayment(1, open, { invoiceIds: ['F-1', 'F-1'] })).toThrow(/twice/);
    expect(() => invoiceBalanceOf(inv('X', '2027-01-01', 100, 80, 30))).toThrow(/beyond its total/);
  });

  it('reports status from payments and credit notes', () => {
    expect(paymentStatus(inv('X', '2027-01-01', 100))).toBe('unpaid');
    expect(paymentStatus(inv('X', '2027-01-01', 100, 0, 40))).toBe('partially_paid');
    expect(paymentStatus(inv('X', '2027-01-01', 100, 60, 40))).toBe('paid');
  });
});

describe('payment allocation (properties)', () => {
  const invoiceArb = fc
    .record({ total: fc.integer({ min: 0, max: 1_000_000 }), paidShare: fc.double({ min: 0, max: 1, noNaN: true }), creditShare: fc.double({ min: 0, max: 1, noNaN: true }), due: fc.integer({ min: 1, max: 28 }) })
    .map(({ total, paidShare, creditShare, due }) => {
      const paid = Math.floor(total * paidShare);
      return { total, paid, credited: Math.floor((total - paid) * creditShare), due };
    });
  const scenario = fc.record({
    invoices: fc.array(invoiceArb, { maxLength: 8 }).map((xs) => xs.map((x, i) => inv(`F-${i}`, `2027-02-${String(x.due).padStart(2, '0')}`, x.total, x.paid, x.credited))),
    amount: fc.integer({ min: 0, max: 5_000_000 }),
    useOrder: fc.boolean(),
    seed: fc.integer(),
  });

  it('allocations sum to payment − surplus, stay within each balance, and a surplus means all named invoices are paid', () => {
    fc.assert(
      fc.property(scenario, ({ invoices, amount, useOrder, seed }) => {
        const ids = invoices.map((i) => i.id).filter((_, k) => !useOrder || (seed >> k) & 1);
        const r = allocatePayment(amount, invoices, useOrder ? { invoiceIds: ids } : 'oldest_first');
        const allocated = r.allocations.reduce((s, a) => s + a.amountCents, 0);
        expect(allocated).toBe(amount - r.unallocatedCents);
        expect(r.unallocatedCents).toBeGreaterThanOrEqual(0);
        for (const a of r.allocations) {
          const before = invoiceBalanceOf(invoices.find((i) => i.id === a.invoiceId)!);
          expect(a.amountCents).toBeGreaterThan(0);
          expect(a.amountCents).toBeLessThanOrEqual(before);
        }
        for (const b of r.balances) expect(b.balanceCents).toBeGreaterThanOrEqual(0);
        if (r.unallocatedCents > 0) for (const id of ids) expect(r.balances.find((b) => b.invoiceId === id)!.balanceCents).toBe(0);
        const owedBefore = ids.reduce((s, id) => s + invoiceBalanceOf(invoices.find((i) => i.id === id)!), 0);
        expect(allocated).toBe(Math.min(amount, owedBefore));
      }),
    );
  });
});
