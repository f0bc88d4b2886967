/**
 * Invoice totals and credit notes (avoirs), on top of the quote totals (`computeTotals`: integer cents,
 * quantities in thousandths, VAT rates in basis points, half-up rounding per rate or per line).
 *
 * What invoices add:
 * - A 0 % line must carry the reason it bears no VAT (`VatExemption`), printed as its legal French mention;
 *   a taxed line must not carry one.
 * - A credit note credits quantities of selected lines of one invoice, never more than is left to credit
 *   after the previous credit notes. Its amounts are negative and computed by difference: for each line
 *   and each VAT rate, credit = total(credited to date after) − total(credited to date before), each total
 *   rounded the invoice's way. So rounding never lets the credit notes of an invoice add up to more than
 *   the invoice (totals are monotone in the quantities), and crediting everything that is left gives
 *   back the invoice's amounts to the cent. A line's credited amount can thus differ by a cent from
 *   round(quantity × unit price) on a partial credit.
 */
import { AppError } from '../errors';
import { computeTotals, type PricedLine, type Totals, type VatBreakdown, type VatRounding } from '../crm/quote-totals';

/** The French standard VAT rate (20 %), which IT services and packs of hours bear. */
export const STANDARD_VAT_BP = 2000;

/** Why a line bears no VAT. */
export type VatExemption = 'franchise' | 'reverse_charge' | 'intra_eu_supply' | 'export';

/** The legal mention printed on the invoice for each exemption. */
export const VAT_EXEMPTION_MENTIONS: Readonly<Record<VatExemption, string>> = {
  /** Franchise en base de TVA (small businesses). */
  franchise: 'TVA non applicable, art. 293 B du CGI',
  /** The customer pays the VAT (services to an EU business, construction subcontracting…). */
  reverse_charge: 'Autoliquidation',
  /** Intra-EU supply of goods to a business with a VAT number. */
  intra_eu_supply: 'Exonération de TVA, article 262 ter I du CGI',
  /** Goods exported outside the EU. */
  export: 'Exonération de TVA, article 262 I du CGI',
};

export interface InvoiceLine extends PricedLine {
  /** Required when `vatRateBp` is 0, forbidden otherwise. */
  vatExemption: VatExemption | null;
}

export interface InvoiceTotals extends Totals {
  /** The distinct exemption mentions of the lines, in the order of first appearance. */
  vatMentions: string[];
}

/** Throws `invalid_input` (one field error per faulty line) when a line's exemption does not fit its rate. */
export function checkVatExemptions(lines: InvoiceLine[]): void {
  const errors = lines.flatMap((line, i) => {
    if (line.vatRateBp === 0 && !line.vatExemption) return [{ path: `lines.${i}.vatExemption`, message: 'a 0 % line needs a VAT exemption reason' }];
    if (line.vatRateBp !== 0 && line.vatExemption) return [{ path: `lines.${i}.vatExemption`, message: 'a taxed line cannot carry a VAT exemption' }];
    if (line.vatExemption && !(line.vatExemption in VAT_EXEMPTION_MENTIONS)) return [{ path: `lines.${i}.vatExemption`, message: `unknown VAT exemption ${String(line.vatExemption)}` }];
    return [];
  });
  if (errors.length > 0) throw AppError.invalid('invalid VAT exemptions', errors);
}

export function vatMentionsOf(lines: InvoiceLine[]): string[] {
  return [...new Set(lines.flatMap((l) => (l.vatExemption ? [VAT_EXEMPTION_MENTIONS[l.vatExemption]] : [])))];
}

/** The totals of an invoice (see `computeTotals`) plus its VAT exemption mentions. */
export function computeInvoiceTotals(lines: InvoiceLine[], rounding: VatRounding): InvoiceTotals {
  checkVatExemptions(lines);
  return { ...computeTotals(lines, rounding), vatMentions: vatMentionsOf(lines) };
}

/** A quantity of one line of the invoice, by its index in the invoice's lines. */
export interface CreditedQuantity {
  lineIndex: number;
  quantityMilli: number;
}

export interface CreditNoteLine extends InvoiceLine {
  lineIndex: number;
  /** Negative (or 0 when rounding leaves nothing). */
  totalExclTaxCents: number;
  taxCents: number;
}

export interface CreditNote {
  /** Lines in the order requested; `quantityMilli` is the credited quantity (positive), amounts are negative. */
  lines: CreditNoteLine[];
  /** Negative bases and taxes per rate, highest rate first, rates of the credited lines only. */
  vat: VatBreakdown[];
  totalExclTaxCents: number;
  totalTaxCents: number;
  totalCents: number;
  vatMentions: string[];
}

export type CreditNoteRefusal =
  | { reason: 'nothing_to_credit' }
  | { reason: 'unknown_line'; lineIndex: number }
  | { reason: 'invalid_quantity'; lineIndex: number; quantityMilli: number }
  | { reason: 'exceeds_remaining'; lineIndex: number; requestedMilli: number; remainingMilli: number };

export type CreditNoteResult = { ok: true; creditNote: CreditNote } | ({ ok: false } & CreditNoteRefusal);

export interface CreditableInvoice {
  lines: InvoiceLine[];
  vatRounding: VatRounding;
}

/** Quantities credited so far per line, summed over the given previous credit notes' lines. */
function creditedSoFar(invoice: CreditableInvoice, previous: CreditedQuantity[]): number[] {
  const credited = invoice.lines.map(() => 0);
  for (const c of previous) {
    if (!Number.isInteger(c.lineIndex) || c.lineIndex < 0 || c.lineIndex >= credited.length) {
      throw AppError.invalid(`a previous credit note names line ${c.lineIndex}, which the invoice does not have`);
    }
    credited[c.lineIndex]! += c.quantityMilli;
  }
  return credited;
}

/** The quantity of each line still creditable (invoice quantity − previous credit notes), by line index. */
export function remainingToCredit(invoice: CreditableInvoice, previous: CreditedQuantity[]): number[] {
  const credited = creditedSoFar(invoice, previous);
  return invoice.lines.map((l, i) => l.quantityMilli - credited[i]!);
}

/**
 * A credit note for `request` on `invoice`, given the lines of all its previous credit notes, or the
 * reason it is refused: an empty request, a line the invoice lacks, a quantity that is not a positive
 * integer, or more than is left to credit on a line (a line named twice counts twice).
 */
export function creditNote(invoice: CreditableInvoice, previous: CreditedQuantity[], request: CreditedQuantity[]): CreditNoteResult {
  checkVatExemptions(invoice.lines);
  if (request.length === 0) return { ok: false, reason: 'nothing_to_credit' };
  const before = creditedSoFar(invoice, previous);
  const after = [...before];
  for (const r of request) {
    if (!Number.isInteger(r.lineIndex) || r.lineIndex < 0 || r.lineIndex >= invoice.lines.length) return { ok: false, reason: 'unknown_line', lineIndex: r.lineIndex };
    if (!Number.isSafeInteger(r.quantityMilli) || r.quantityMilli <= 0) return { ok: false, reason: 'invalid_quantity', lineIndex: r.lineIndex, quantityMilli: r.quantityMilli };
    after[r.lineIndex]! += r.quantityMilli;
  }
  for (const r of request) {
    const remainingMilli = invoice.lines[r.lineIndex]!.quantityMilli - before[r.lineIndex]!;
    if (after[r.lineIndex]! > invoice.lines[r.lineIndex]!.quantityMilli) {
      const requestedMilli = after[r.lineIndex]! - before[r.lineIndex]!;
      return { ok: false, reason: 'exceeds_remaining', lineIndex: r.lineIndex, requestedMilli, remainingMilli };
    }
  }

  const totalsAt = (credited: number[]) => computeTotals(invoice.lines.map((l, i) => ({ ...l, quantityMilli: credited[i]! })), invoice.vatRounding);
  const t0 = totalsAt(before);
  const t1 = totalsAt(after);
  const neg = (n: number) => (n === 0 ? 0 : -n); // no −0 in the results

  // Lines named more than once are merged, in the order of their first mention.
  const indexes = [...new Set(request.map((r) => r.lineIndex))];
  const lines: CreditNoteLine[] = indexes.map((i) => ({
    ...invoice.lines[i]!,
    lineIndex: i,
    quantityMilli: after[i]! - before[i]!,
    totalExclTaxCents: neg(t1.lines[i]!.totalExclTaxCents - t0.lines[i]!.totalExclTaxCents),
    taxCents: neg(t1.lines[i]!.taxCents - t0.lines[i]!.taxCents),
  }));
  const creditedRates = new Set(indexes.map((i) => invoice.lines[i]!.vatRateBp));
  const vat = t1.vat
    .filter((v) => creditedRates.has(v.vatRateBp))
    .map((v) => {
      const prior = t0.vat.find((p) => p.vatRateBp === v.vatRateBp)!;
      return { vatRateBp: v.vatRateBp, baseCents: neg(v.baseCents - prior.baseCents), taxCents: neg(v.taxCents - prior.taxCents) };
    });
  const totalExclTaxCents = neg(t1.totalExclTaxCents - t0.totalExclTaxCents);
  const totalTaxCents = neg(t1.totalTaxCents - t0.totalTaxCents);
  return {
    ok: true,
    creditNote: { lines, vat, totalExclTaxCents, totalTaxCents, totalCents: totalExclTaxCents + totalTaxCents, vatMentions: vatMentionsOf(lines) },
  };
}
