/**
 * Weighted value of an opportunity, in cents: amount × probability / 100, rounded half up per
 * opportunity (not on the sum), so each line of the forecast adds up to the total shown.
 */
export function weightedCents(amountCents: number, probability: number): number {
  return Math.floor((amountCents * probability + 50) / 100);
}

/** The months `from` (YYYY-MM) onwards, `count` of them. */
export function monthRange(from: string, count: number): string[] {
  const [y, m] = from.split('-').map(Number) as [number, number];
  return Array.from({ length: count }, (_, i) => {
    const total = y * 12 + (m - 1) + i;
    return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, '0')}`;
  });
}
