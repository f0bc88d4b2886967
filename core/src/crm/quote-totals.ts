/**
 * Quote and invoice totals, in integer cents. Quantities are in thousandths (1.5 h → 1500) and VAT rates
 * in basis points (20 % → 2000), so every step is integer arithmetic with one explicit rounding rule:
 * half up (away from zero for the positive amounts we handle).
 *
 * - Each line: excl. = round(quantity × unit price).
 * - VAT, `per_rate` (the French invoicing practice, "TVA par taux"): lines are summed per rate, then the
 *   VAT of each rate is rounded once. `per_line`: each line's VAT is rounded, then summed.
 */
export type VatRounding = 'per_rate' | 'per_line';

export interface PricedLine {
  quantityMilli: number;
  unitPriceCents: number;
  vatRateBp: number;
}

export interface VatBreakdown {
  vatRateBp: number;
  baseCents: number;
  taxCents: number;
}

export interface Totals {
  lines: { totalExclTaxCents: number; taxCents: number }[];
  vat: VatBreakdown[];
  totalExclTaxCents: number;
  totalTaxCents: number;
  totalCents: number;
}

/** round(n / d), half up, for n ≥ 0 and d > 0, exact on integers. */
export function divRoundHalfUp(n: number, d: number): number {
  if (n < 0) return -divRoundHalfUp(-n, d);
  return Math.floor((2 * n + d) / (2 * d));
}

export function lineExclTax(line: PricedLine): number {
  return divRoundHalfUp(line.quantityMilli * line.unitPriceCents, 1000);
}

export function computeTotals(lines: PricedLine[], rounding: VatRounding): Totals {
  const excl = lines.map(lineExclTax);
  const lineTax = lines.map((l, i) => divRoundHalfUp(excl[i]! * l.vatRateBp, 10_000));
  const rates = [...new Set(lines.map((l) => l.vatRateBp))].sort((a, b) => b - a);
  const vat = rates.map((rate) => {
    const idx = lines.map((l, i) => (l.vatRateBp === rate ? i : -1)).filter((i) => i >= 0);
    const baseCents = idx.reduce((sum, i) => sum + excl[i]!, 0);
    const taxCents = rounding === 'per_rate' ? divRoundHalfUp(baseCents * rate, 10_000) : idx.reduce((sum, i) => sum + lineTax[i]!, 0);
    return { vatRateBp: rate, baseCents, taxCents };
  });
  const totalExclTaxCents = excl.reduce((a, b) => a + b, 0);
  const totalTaxCents = vat.reduce((a, v) => a + v.taxCents, 0);
  return {
    lines: lines.map((_, i) => ({ totalExclTaxCents: excl[i]!, taxCents: lineTax[i]! })),
    vat,
    totalExclTaxCents,
    totalTaxCents,
    totalCents: totalExclTaxCents + totalTaxCents,
  };
}
