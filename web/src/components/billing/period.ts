import { accountingRangeQuerySchema, addDays, addMonths, endOfMonth } from '@vigie/core';
import { issueMessage } from '@/i18n/validation';

/**
 * Date ranges of the accounting pages (exports, profitability): whole days `from`…`to`, both included, at
 * most one year long, as the API takes them. Presets are counted from today in the browser's calendar.
 */
export const PERIOD_PRESETS = ['thisMonth', 'lastMonth', 'lastQuarter', 'thisYear'] as const;
export type PeriodPreset = (typeof PERIOD_PRESETS)[number];

export interface DateRange {
  from: string;
  to: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function presetRange(preset: PeriodPreset, today: string): DateRange {
  const month = `${today.slice(0, 7)}-01`;
  switch (preset) {
    case 'thisMonth':
      return { from: month, to: endOfMonth(month) };
    case 'lastMonth': {
      const from = addMonths(month, -1);
      return { from, to: endOfMonth(from) };
    }
    case 'lastQuarter': {
      const quarterStart = `${today.slice(0, 4)}-${String(Math.floor((Number(today.slice(5, 7)) - 1) / 3) * 3 + 1).padStart(2, '0')}-01`;
      const from = addMonths(quarterStart, -3);
      return { from, to: addDays(quarterStart, -1) };
    }
    case 'thisYear':
      return { from: `${today.slice(0, 4)}-01-01`, to: `${today.slice(0, 4)}-12-31` };
  }
}

/** The preset a range is exactly, or null (a custom range). */
export function presetOf(range: DateRange, today: string): PeriodPreset | null {
  return PERIOD_PRESETS.find((p) => {
    const r = presetRange(p, today);
    return r.from === range.from && r.to === range.to;
  }) ?? null;
}

/** A range read from the page's query (`?from=&to=`), when it is two dates. */
export function rangeFromQuery(query: Record<string, unknown>): DateRange | null {
  const { from, to } = query;
  return typeof from === 'string' && typeof to === 'string' && DATE.test(from) && DATE.test(to) ? { from, to } : null;
}

/**
 * What is wrong with a range, per field, in the interface language: the same rules as the API
 * (`accountingRangeQuerySchema` of @vigie/core: both dates, `to` on or after `from`, less than a year).
 */
export function rangeErrors(range: DateRange): Partial<Record<keyof DateRange, string>> {
  const result = accountingRangeQuerySchema.safeParse({ from: range.from || undefined, to: range.to || undefined });
  if (result.success) return {};
  const errors: Partial<Record<keyof DateRange, string>> = {};
  for (const issue of result.error.issues) {
    const path = String(issue.path[0] ?? '');
    if ((path === 'from' || path === 'to') && !errors[path]) errors[path] = issueMessage(issue, path, range[path]);
  }
  return errors;
}
