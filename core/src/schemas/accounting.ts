import { z } from 'zod';

/**
 * Accounting exports (FEC, Sage, QuickBooks, Xero) and profitability of a date range: what the HTTP
 * queries accept and what profitability answers. A range is whole days `from`…`to`, both included, at
 * most one year long (a fiscal year fits; two do not).
 */

const localDate = z.iso.date();

/** The day one year after `date` (29 February → 1 March). */
function oneYearAfter(date: string): string {
  const ms = Date.UTC(Number(date.slice(0, 4)) + 1, Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10)));
  return new Date(ms).toISOString().slice(0, 10);
}

function checkRange(range: { from?: string | undefined; to?: string | undefined }, ctx: z.RefinementCtx, required: boolean): void {
  const { from, to } = range;
  if (from === undefined || to === undefined) {
    if (required || from !== undefined || to !== undefined) {
      if (from === undefined) ctx.addIssue({ code: 'custom', path: ['from'], message: required ? 'required' : 'give both from and to, or neither' });
      if (to === undefined) ctx.addIssue({ code: 'custom', path: ['to'], message: required ? 'required' : 'give both from and to, or neither' });
    }
    return;
  }
  if (to < from) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be on or after from' });
  else if (to >= oneYearAfter(from)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'a range is at most one year (to before the same day a year after from)' });
}

const rangeFields = {
  from: localDate.meta({ description: 'first day, included (YYYY-MM-DD)' }),
  to: localDate.meta({ description: 'last day, included (YYYY-MM-DD); at most one year after from' }),
};

/** Valid ranges only: from ≤ to, less than one year apart. */
function rangeQuery<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject({ ...rangeFields, ...shape }).superRefine((q, ctx) => checkRange(q as { from: string; to: string }, ctx, true));
}

const dateLayout = z.enum(['dd/mm/yyyy', 'mm/dd/yyyy']).default('dd/mm/yyyy').meta({ description: 'mm/dd/yyyy for a US company' });

export const FEC_ENCODINGS = ['utf-8', 'iso-8859-15'] as const;
export const SAGE_ENCODINGS = ['windows-1252', 'utf-8'] as const;

export const accountingRangeQuerySchema = rangeQuery({});
export type AccountingRangeQuery = z.infer<typeof accountingRangeQuerySchema>;

export const fecExportQuerySchema = rangeQuery({
  encoding: z.enum(FEC_ENCODINGS).default('utf-8').meta({ description: 'the administration accepts both' }),
});
export type FecExportQuery = z.infer<typeof fecExportQuerySchema>;

export const sageExportQuerySchema = rangeQuery({
  encoding: z.enum(SAGE_ENCODINGS).default('windows-1252').meta({ description: 'Sage 100 reads "ANSI" (Windows-1252)' }),
  header: z.stringbool().default(false).meta({ description: 'a header line for people (Sage reads every line as a record)' }),
});
export type SageExportQuery = z.infer<typeof sageExportQuerySchema>;

export const quickBooksExportQuerySchema = rangeQuery({
  dateLayout,
  account: z.enum(['label', 'number']).default('label').meta({ description: 'QuickBooks matches accounts by name unless account numbers are on' }),
});
export type QuickBooksExportQuery = z.infer<typeof quickBooksExportQuerySchema>;

export const xeroExportQuerySchema = rangeQuery({ dateLayout });
export type XeroExportQuery = z.infer<typeof xeroExportQuerySchema>;

export const PROFITABILITY_GROUPS = ['client', 'contract'] as const;
export type ProfitabilityGroup = (typeof PROFITABILITY_GROUPS)[number];

export const profitabilityQuerySchema = z
  .strictObject({
    from: rangeFields.from.optional(),
    to: rangeFields.to.optional(),
    groupBy: z.enum(PROFITABILITY_GROUPS).default('client'),
  })
  .superRefine((q, ctx) => checkRange(q, ctx, false))
  .meta({ description: 'without from and to: the current month in the tenant’s time zone' });
export type ProfitabilityQuery = z.infer<typeof profitabilityQuerySchema>;

const figures = {
  revenueCents: z.number().int().meta({ description: 'issued invoices excl. tax by issue date, credit notes deducted' }),
  costCents: z.number().int().meta({ description: 'internal cost of the approved time worked in the range (frozen at approval)' }),
  marginCents: z.number().int(),
  marginRate: z.number().nullable().meta({ description: 'margin / revenue in percent, 2 decimals (42.5 = 42.5 %); null without positive revenue' }),
  minutes: z.number().int().meta({ description: 'approved billable minutes worked in the range' }),
};

export const profitabilityItemSchema = z
  .object({
    id: z.uuid().nullable().meta({ description: 'the client or contract; null (by contract) for what is outside any contract' }),
    name: z.string().nullable().meta({ description: 'the client or contract name; null for the row outside any contract' }),
    clientId: z.uuid().optional().meta({ description: 'by contract: the client' }),
    clientName: z.string().optional().meta({ description: 'by contract: the client' }),
    ...figures,
  })
  .meta({ id: 'ProfitabilityItem' });
export type ProfitabilityItem = z.infer<typeof profitabilityItemSchema>;

export const profitabilitySchema = z
  .object({
    from: localDate,
    to: localDate,
    groupBy: z.enum(PROFITABILITY_GROUPS),
    currency: z.string(),
    items: z.array(profitabilityItemSchema).meta({ description: 'by revenue, highest first' }),
    totals: z.object(figures),
  })
  .meta({ id: 'Profitability' });
export type Profitability = z.infer<typeof profitabilitySchema>;

/** Margin in percent with 2 decimals; null when there is no positive revenue to divide by. */
export function marginRateOf(revenueCents: number, marginCents: number): number | null {
  return revenueCents > 0 ? Math.round((marginCents * 10_000) / revenueCents) / 100 : null;
}
