import { z } from 'zod';
import {
  UNIT_CODES,
  VAT_EXEMPTIONS,
  computeInvoiceTotals,
  computeTotals,
  createInvoiceBodySchema,
  updateInvoiceBodySchema,
  type Invoice,
  type InvoiceStatus,
  type InvoiceTotals,
  type VatRounding,
} from '@vigie/core';
import { parseQuantityMilli, quantityToInput } from '@/components/crm/quote-form';
import { centsToInput, parseMoneyToCents } from '@/utils/money';

export { VAT_RATES, parseQuantityMilli, quantityToInput } from '@/components/crm/quote-form';

/** The API takes up to 500 lines. */
export const MAX_LINES = 500;
export type VatExemptionCode = (typeof VAT_EXEMPTIONS)[number];
export type UnitCode = (typeof UNIT_CODES)[number];

/** A line as people type it: quantity and unit price are text ("1,5", "1 299,00"), the rate a number. */
export interface InvoiceLineDraft {
  /** Stable key for the v-for (lines are inserted and removed in the middle). */
  key: number;
  /** The saved line's id (merge, defer); null for a line typed since the last save. */
  id: string | null;
  description: string;
  quantity: string;
  unitCode: UnitCode;
  price: string;
  vatRate: number;
  /** Why a 0 % line bears no VAT (required then, ignored otherwise). */
  vatExemption: VatExemptionCode | null;
  /** Ticket time this line bills (lines drafted from pre-billing). */
  preBillingItemCount: number;
}

export interface InvoiceDraft {
  lines: InvoiceLineDraft[];
  buyerReference: string;
  notes: string;
  vatRounding: VatRounding;
}

let nextKey = 1;
export const blankLine = (vatRate = 20, unitCode: UnitCode = 'C62'): InvoiceLineDraft => ({
  key: nextKey++,
  id: null,
  description: '',
  quantity: '1',
  unitCode,
  price: '',
  vatRate,
  vatExemption: null,
  preBillingItemCount: 0,
});

const asUnit = (code: string): UnitCode => ((UNIT_CODES as readonly string[]).includes(code) ? (code as UnitCode) : 'C62');

export function draftFromInvoice(invoice: Invoice | null, locale: string): InvoiceDraft {
  if (!invoice) return { lines: [blankLine()], buyerReference: '', notes: '', vatRounding: 'per_rate' };
  return {
    lines: invoice.lines.map((l) => ({
      key: nextKey++,
      id: l.id,
      description: l.description,
      quantity: quantityToInput(l.quantity, locale),
      unitCode: asUnit(l.unitCode),
      price: centsToInput(l.unitPriceCents, locale),
      vatRate: l.vatRate,
      vatExemption: l.vatExemption,
      preBillingItemCount: l.preBillingItemCount,
    })),
    buyerReference: invoice.buyerReference,
    notes: invoice.notes,
    vatRounding: invoice.vatRounding,
  };
}

/**
 * The lines of a request body; what does not parse stays NaN for the schema to flag on its field. A saved
 * line keeps its id: sent back with it, it stays that line (and keeps the ticket time it bills).
 */
export function prepareLines(lines: InvoiceLineDraft[], locale: string) {
  return lines.map((l) => ({
    ...(l.id ? { id: l.id } : {}),
    description: l.description,
    quantity: parseQuantityMilli(l.quantity) / 1000,
    unitCode: l.unitCode,
    unitPriceCents: l.price.trim() === '' ? Number.NaN : parseMoneyToCents(l.price, locale),
    vatRate: l.vatRate,
    vatExemption: l.vatRate === 0 ? l.vatExemption : null,
  }));
}

/** A 0 % line names its exemption: said on the line's select before the API says it. */
const exemptionsNamed = (lines: { vatRate: number; vatExemption: string | null }[] | undefined, ctx: z.RefinementCtx) =>
  lines?.forEach((l, i) => {
    if (l.vatRate === 0 && !l.vatExemption) ctx.addIssue({ code: 'custom', path: ['lines', i, 'vatExemption'], message: 'a 0 % line needs a VAT exemption reason' });
  });

export const createInvoiceFormSchema = createInvoiceBodySchema.superRefine((body, ctx) => exemptionsNamed(body.lines, ctx));
export const updateInvoiceFormSchema = updateInvoiceBodySchema.superRefine((body, ctx) => exemptionsNamed(body.lines, ctx));

/**
 * The live totals: the same integer arithmetic as the server (`computeInvoiceTotals` of @vigie/core), so
 * what the editor shows is what the invoice will say, to the cent. Lines whose quantity or price does not
 * parse yet count as 0; a 0 % line without its exemption yet shows its totals without the mention.
 */
export function liveTotals(lines: InvoiceLineDraft[], rounding: VatRounding, locale: string): InvoiceTotals {
  const priced = lines.map((l) => {
    const quantityMilli = parseQuantityMilli(l.quantity);
    const unitPriceCents = parseMoneyToCents(l.price, locale);
    return {
      quantityMilli: Number.isNaN(quantityMilli) ? 0 : quantityMilli,
      unitPriceCents: Number.isNaN(unitPriceCents) ? 0 : unitPriceCents,
      vatRateBp: Math.round(l.vatRate * 100),
      vatExemption: l.vatRate === 0 ? l.vatExemption : null,
    };
  });
  try {
    return computeInvoiceTotals(priced, rounding);
  } catch {
    return { ...computeTotals(priced, rounding), vatMentions: [] };
  }
}

/** Error paths of the body shown on the fields of the model: `lines.3.unitPriceCents` on `lines.3.price`. */
export const INVOICE_ALIASES: Record<string, string> = Object.fromEntries(
  Array.from({ length: MAX_LINES }, (_, i) => [`lines.${i}.unitPriceCents`, `lines.${i}.price`]),
);
export const INVOICE_FIELDS: string[] = Array.from({ length: MAX_LINES }, (_, i) =>
  ['description', 'quantity', 'price', 'vatRate', 'vatExemption', 'unitCode'].map((f) => `lines.${i}.${f}`),
).flat();

/** Colour of each status chip: overdue and unpaid in red. */
export const INVOICE_STATUS_COLOR: Record<InvoiceStatus, string> = {
  draft: 'grey-7',
  validated: 'blue-grey-7',
  sent: 'info',
  paid: 'positive',
  overdue: 'negative',
  unpaid: 'red-10',
};

/** Statuses an invoice can still take a payment in. */
export const OPEN_STATUSES: readonly InvoiceStatus[] = ['validated', 'sent', 'overdue', 'unpaid'];

/** Today in the browser's zone, as YYYY-MM-DD (the default date of a payment). */
export function todayLocal(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}-${String(now.getDate()).padStart(2, '0')}`;
}
