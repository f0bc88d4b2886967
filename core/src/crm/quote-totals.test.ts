import { computeTotals, divRoundHalfUp, lineExclTax } from './quote-totals';

describe('divRoundHalfUp', () => {
  it.each([
    [5, 10, 1], // 0.5 → 1
    [4, 10, 0],
    [15, 10, 2], // 1.5 → 2
    [25, 10, 3], // 2.5 → 3 (half up, not banker's)
    [0, 7, 0],
    [-15, 10, -2],
  ])('%i / %i → %i', (n, d, r) => expect(divRoundHalfUp(n, d)).toBe(r));
});

describe('quote totals (hand-computed)', () => {
  it('prices a line from a fractional quantity', () => {
    // 1.5 h × 85.00 € = 127.50 €; 0.333 × 10.00 € = 3.33 €; 2.005 × 0.99 € = 1.98495 → 1.98 €
    expect(lineExclTax({ quantityMilli: 1500, unitPriceCents: 8500, vatRateBp: 2000 })).toBe(12_750);
    expect(lineExclTax({ quantityMilli: 333, unitPriceCents: 1000, vatRateBp: 2000 })).toBe(333);
    expect(lineExclTax({ quantityMilli: 2005, unitPriceCents: 99, vatRateBp: 2000 })).toBe(198);
  });

  it('rounds VAT once per rate, or per line, and the two can differ by a cent', () => {
    // 3 × 0.13 € at 5.5 %: per line 0.13 × 5.5 % = 0.00715 → 0.01 each, 0.03 in all;
    // per rate 0.39 × 5.5 % = 0.02145 → 0.02.
    const lines = [1, 2, 3].map(() => ({ quantityMilli: 1000, unitPriceCents: 13, vatRateBp: 550 }));
    expect(computeTotals(lines, 'per_line')).toMatchObject({ totalExclTaxCents: 39, totalTaxCents: 3, totalCents: 42 });
    expect(computeTotals(lines, 'per_rate')).toMatchObject({ totalExclTaxCents: 39, totalTaxCents: 2, totalCents: 41 });
  });

  it('breaks VAT down by rate, highest first', () => {
    const totals = computeTotals(
      [
        { quantityMilli: 10_000, unitPriceCents: 8_500, vatRateBp: 2000 }, // 10 h × 85 € = 850.00 €, VAT 170.00
        { quantityMilli: 1_000, unitPriceCents: 129_900, vatRateBp: 2000 }, // 1 299.00 €, VAT 259.80
        { quantityMilli: 3_000, unitPriceCents: 1_250, vatRateBp: 550 }, // 37.50 €, VAT 2.0625 → 2.06
        { quantityMilli: 1_000, unitPriceCents: 5_000, vatRateBp: 0 }, // 50.00 €, no VAT
      ],
      'per_rate',
    );
    expect(totals.vat).toEqual([
      { vatRateBp: 2000, baseCents: 214_900, taxCents: 42_980 },
      { vatRateBp: 550, baseCents: 3_750, taxCents: 206 },
      { vatRateBp: 0, baseCents: 5_000, taxCents: 0 },
    ]);
    expect(totals).toMatchObject({ totalExclTaxCents: 223_650, totalTaxCents: 43_186, totalCents: 266_836 });
  });

  it('handles an empty quote', () => {
    expect(computeTotals([], 'per_rate')).toEqual({ lines: [], vat: [], totalExclTaxCents: 0, totalTaxCents: 0, totalCents: 0 });
  });
});
