import fc from 'fast-check';
import { AppError } from '../errors';
import { computeInvoiceTotals, creditNote, remainingToCredit, type CreditableInvoice, type CreditedQuantity, type InvoiceLine } from './invoice-totals';

const line = (quantityMilli: number, unitPriceCents: number, vatRateBp: number, vatExemption: InvoiceLine['vatExemption'] = null): InvoiceLine => ({
  quantityMilli,
  unitPriceCents,
  vatRateBp,
  vatExemption,
});

describe('invoice totals', () => {
  it('adds the exemption mentions of 0 % lines, once each', () => {
    const totals = computeInvoiceTotals(
      [line(1000, 10_000, 2000), line(2000, 5_000, 0, 'reverse_charge'), line(1000, 100, 0, 'reverse_charge'), line(1000, 100, 0, 'intra_eu_supply')],
      'per_rate',
    );
    expect(totals.vatMentions).toEqual(['Autoliquidation', 'Exonération de TVA, article 262 ter I du CGI']);
    expect(totals).toMatchObject({ totalExclTaxCents: 20_200, totalTaxCents: 2_000, totalCents: 22_200 });
    expect(computeInvoiceTotals([line(1000, 100, 0, 'franchise')], 'per_line').vatMentions).toEqual(['TVA non applicable, art. 293 B du CGI']);
  });

  it('refuses a 0 % line without a reason and a taxed line with one', () => {
    let error: unknown;
    try {
      computeInvoiceTotals([line(1000, 100, 0), line(1000, 100, 2000, 'franchise'), line(1000, 100, 550)], 'per_rate');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).kind).toBe('invalid_input');
    expect((error as AppError).fieldErrors?.map((f) => f.path)).toEqual(['lines.0.vatExemption', 'lines.1.vatExemption']);
  });
});

describe('credit notes (hand-computed)', () => {
  // 10 h × 85.00 € at 20 % and 3 × 12.50 € at 5.5 %: 850.00 + 37.50, VAT 170.00 + 2.06 (2.0625).
  const invoice: CreditableInvoice = { lines: [line(10_000, 8_500, 2000), line(3_000, 1_250, 550)], vatRounding: 'per_rate' };

  it('credits part of a line as negative amounts', () => {
    const r = creditNote(invoice, [], [{ lineIndex: 0, quantityMilli: 2_500 }]);
    expect(r).toEqual({
      ok: true,
      creditNote: {
        lines: [{ ...invoice.lines[0], lineIndex: 0, quantityMilli: 2_500, totalExclTaxCents: -21_250, taxCents: -4_250 }],
        vat: [{ vatRateBp: 2000, baseCents: -21_250, taxCents: -4_250 }],
        totalExclTaxCents: -21_250,
        totalTaxCents: -4_250,
        totalCents: -25_500,
        vatMentions: [],
      },
    });
  });

  it('takes rounding by difference so pieces add up to the invoice exactly', () => {
    // 5.5 % of 12.50 € = 0.6875 → 0.69 per unit alone, but the invoice's VAT on 37.50 € is 2.06.
    const one = { lineIndex: 1, quantityMilli: 1_000 };
    const a = creditNote(invoice, [], [one]);
    const b = creditNote(invoice, [one], [one]);
    const c = creditNote(invoice, [one, one], [one]);
    const taxes = [a, b, c].map((r) => (r.ok ? r.creditNote.totalTaxCents : NaN));
    // VAT credited to date T(n) = round(n × 0.6875 €): T(1) = 0.69, T(2) = round(1.375) = 1.38, T(3) = round(2.0625) = 2.06.
    expect(taxes).toEqual([-69, -69, -68]);
    expect(taxes.reduce((x, y) => x + y)).toBe(-206);
  });

  it('refuses more than is left, with the remaining quantity', () => {
    const prev: CreditedQuantity[] = [{ lineIndex: 0, quantityMilli: 8_000 }];
    expect(remainingToCredit(invoice, prev)).toEqual([2_000, 3_000]);
    expect(creditNote(invoice, prev, [{ lineIndex: 0, quantityMilli: 1_500 }, { lineIndex: 0, quantityMilli: 1_000 }])).toEqual({
      ok: false,
      reason: 'exceeds_remaining',
      lineIndex: 0,
      requestedMilli: 2_500,
      remainingMilli: 2_000,
    });
    expect(creditNote(invoice, prev, [])).toEqual({ ok: false, reason: 'nothing_to_credit' });
    expect(creditNote(invoice, prev, [{ lineIndex: 2, quantityMilli: 1 }])).toEqual({ ok: false, reason: 'unknown_line', lineIndex: 2 });
    expect(creditNote(invoice, prev, [{ lineIndex: 1, quantityMilli: 0 }])).toEqual({ ok: false, reason: 'invalid_quantity', lineIndex: 1, quantityMilli: 0 });
  });

  it('carries the exemption mention of a credited 0 % line', () => {
    const inv: CreditableInvoice = { lines: [line(1000, 5_000, 0, 'franchise')], vatRounding: 'per_line' };
    const r = creditNote(inv, [], [{ lineIndex: 0, quantityMilli: 1000 }]);
    expect(r.ok && r.creditNote).toMatchObject({ totalCents: -5_000, totalTaxCents: 0, vatMentions: ['TVA non applicable, art. 293 B du CGI'] });
  });
});

describe('credit note properties', () => {
  const lineArb = fc.oneof(
    fc.record({ quantityMilli: fc.integer({ min: 1, max: 20_000 }), unitPriceCents: fc.integer({ min: 1, max: 200_000 }), vatRateBp: fc.constantFrom(2000, 1000, 550), vatExemption: fc.constant(null) }),
    fc.record({ quantityMilli: fc.integer({ min: 1, max: 20_000 }), unitPriceCents: fc.integer({ min: 1, max: 200_000 }), vatRateBp: fc.constant(0), vatExemption: fc.constant('export' as const) }),
  );
  const scenario = fc.record({
    lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
    vatRounding: fc.constantFrom('per_rate' as const, 'per_line' as const),
    requests: fc.array(fc.array(fc.record({ lineIndex: fc.nat(5), quantityMilli: fc.integer({ min: -5, max: 20_000 }) }), { maxLength: 4 }), { maxLength: 8 }),
  });

  it('never credit more than the invoice, per line, per rate and in total; crediting the rest gives it back exactly', () => {
    fc.assert(
      fc.property(scenario, ({ lines, vatRounding, requests }) => {
        const invoice = { lines, vatRounding };
        const totals = computeInvoiceTotals(lines, vatRounding);
        const previous: CreditedQuantity[] = [];
        let credited = { excl: 0, tax: 0, total: 0 };
        const check = (notes: { totalExclTaxCents: number; totalTaxCents: number; totalCents: number }) => {
          credited = { excl: credited.excl - notes.totalExclTaxCents, tax: credited.tax - notes.totalTaxCents, total: credited.total - notes.totalCents };
          expect(notes.totalCents).toBeLessThanOrEqual(0);
          expect(credited.excl).toBeLessThanOrEqual(totals.totalExclTaxCents);
          expect(credited.tax).toBeLessThanOrEqual(totals.totalTaxCents);
          expect(credited.total).toBeLessThanOrEqual(totals.totalCents);
        };
        for (const request of requests) {
          const r = creditNote(invoice, previous, request);
          if (!r.ok) continue;
          check(r.creditNote);
          for (const l of r.creditNote.lines) expect(l.totalExclTaxCents).toBeLessThanOrEqual(0);
          previous.push(...request);
        }
        remainingToCredit(invoice, previous).forEach((q) => expect(q).toBeGreaterThanOrEqual(0));
        const rest = remainingToCredit(invoice, previous)
          .map((quantityMilli, lineIndex) => ({ lineIndex, quantityMilli }))
          .filter((c) => c.quantityMilli > 0);
        if (rest.length > 0) {
          const r = creditNote(invoice, previous, rest);
          expect(r.ok).toBe(true);
          if (r.ok) check(r.creditNote);
        }
        expect(credited).toEqual({ excl: totals.totalExclTaxCents, tax: totals.totalTaxCents, total: totals.totalCents });
      }),
    );
  });
});
