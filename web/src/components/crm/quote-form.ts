import { computeTotals, type Quote, type VatRounding } from '@vigie/core';
import { centsToInput, parseMoneyToCents } from '@/utils/money';

/** The VAT rates offered in the editor (France: normal, intermediate, reduced, super-reduced, none). */
export const VAT_RATES = [20, 10, 5.5, 2.1, 0] as const;
/** The API takes up to 200 lines. */
export const MAX_LINES = 200;

/** A line as people type it: quantity and unit price are text ("1,5", "1 299,00"), the rate a number. */
export interface QuoteLineDraft {
  /** Stable key for the v-for (lines are inserted and removed in the middle). */
  key: number;
  description: string;
  quantity: string;
  price: string;
  vatRate: number;
}

export interface QuoteDraft {
  lines: QuoteLineDraft[];
  validUntil: string;
  notes: string;
  vatRounding: VatRounding;
}

let nextKey = 1;
export const blankLine = (vatRate = 20): QuoteLineDraft => ({ key: nextKey++, description: '', quantity: '1', price: '', vatRate });

export function draftFromQuote(q: Quote | null, locale: string): QuoteDraft {
  if (!q) return { lines: [blankLine()], validUntil: '', notes: '', vatRounding: 'per_rate' };
  return {
    lines: q.lines.map((l) => ({
      key: nextKey++,
      description: l.description,
      quantity: quantityToInput(l.quantity, locale),
      price: centsToInput(l.unitPriceCents, locale),
      vatRate: l.vatRate,
    })),
    validUntil: q.validUntil,
    notes: q.notes,
    vatRounding: q.vatRounding,
  };
}

/**
 * A quantity in thousandths, read digit by digit like money ("1,5" and "1.5" are 1 500; at most 3 decimals).
 * NaN when it is not a number.
 */
export function parseQuantityMilli(text: string): number {
  const compact = text.trim().replace(/[\s\u00a0\u202f]/g, '');
  const match = /^(\d{1,7})(?:[.,](\d{1,3}))?$/.exec(compact);
  if (!match) return Number.NaN;
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
}

export function quantityToInput(quantity: number, locale: string): string {
  const text = String(Math.round(quantity * 1000) / 1000);
  return locale.startsWith('fr') ? text.replace('.', ',') : text;
}

/** The body of POST /opportunities/:id/quote and PATCH /quotes/:id; what does not parse stays NaN for the schema to flag. */
export function prepareQuote(d: QuoteDraft, locale: string) {
  return {
    lines: d.lines.map((l) => ({
      description: l.description,
      quantity: parseQuantityMilli(l.quantity) / 1000,
      unitPriceCents: l.price.trim() === '' ? Number.NaN : parseMoneyToCents(l.price, locale),
      vatRate: l.vatRate,
    })),
    ...(d.validUntil ? { validUntil: d.validUntil } : {}),
    notes: d.notes,
    vatRounding: d.vatRounding,
  };
}

/**
 * The live totals: the same integer arithmetic as the server (`computeTotals` of @vigie/core), so what the
 * editor shows is what the quote will say, to the cent. Lines whose quantity or price does not parse yet count as 0.
 */
export function liveTotals(d: QuoteDraft, locale: string) {
  const priced = d.lines.map((l) => {
    const quantityMilli = parseQuantityMilli(l.quantity);
    const unitPriceCents = parseMoneyToCents(l.price, locale);
    return {
      quantityMilli: Number.isNaN(quantityMilli) ? 0 : quantityMilli,
      unitPriceCents: Number.isNaN(unitPriceCents) ? 0 : unitPriceCents,
      vatRateBp: Math.round(l.vatRate * 100),
    };
  });
  return computeTotals(priced, d.vatRounding);
}

/** Error paths of the body shown on the fields of the model: `lines.3.unitPriceCents` on `lines.3.price`. */
export const QUOTE_ALIASES: Record<string, string> = Object.fromEntries(
  Array.from({ length: MAX_LINES }, (_, i) => [`lines.${i}.unitPriceCents`, `lines.${i}.price`]),
);
export const QUOTE_FIELDS: string[] = Array.from({ length: MAX_LINES }, (_, i) =>
  ['description', 'quantity', 'price', 'vatRate'].map((f) => `lines.${i}.${f}`),
).flat();

/** Colour of each status chip. */
export const QUOTE_STATUS_COLOR = { draft: 'grey-7', sent: 'info', accepted: 'positive', declined: 'negative' } as const;
