/**
 * Small formatters shared by the accounting exports: amounts from integer cents, dates from a LocalDate,
 * and labels made safe for one-line text formats. Pure string work, no locale APIs (the output must not
 * depend on the machine's locale).
 */
import { AppError } from '../../errors';
import { dayNumber, type LocalDate } from '../calendar';

/** `123456` → `'1234,56'` (or `'1234.56'`); no thousands separator; a minus sign for a negative amount. */
export function formatCents(cents: number, decimalSeparator: ',' | '.'): string {
  if (!Number.isSafeInteger(cents)) throw AppError.invalid(`an amount must be whole cents, not ${cents}`);
  const abs = Math.abs(cents);
  const units = Math.floor(abs / 100);
  const rest = String(abs % 100).padStart(2, '0');
  return `${cents < 0 ? '-' : ''}${units}${decimalSeparator}${rest}`;
}

/** Thousandths as a plain decimal with a dot and no trailing zeros: 1500 → `'1.5'`, 10000 → `'10'`. */
export function formatMilli(milli: number): string {
  if (!Number.isSafeInteger(milli)) throw AppError.invalid(`a quantity must be whole thousandths, not ${milli}`);
  const abs = Math.abs(milli);
  const frac = String(abs % 1000).padStart(3, '0').replace(/0+$/, '');
  return `${milli < 0 ? '-' : ''}${Math.floor(abs / 1000)}${frac ? `.${frac}` : ''}`;
}

export type DateLayout = 'yyyymmdd' | 'dd/mm/yyyy' | 'mm/dd/yyyy';

/** A LocalDate in one of the layouts accounting tools read; throws `invalid_input` on a date that does not exist. */
export function formatDate(date: LocalDate, layout: DateLayout): string {
  dayNumber(date);
  const [y, m, d] = [date.slice(0, 4), date.slice(5, 7), date.slice(8, 10)];
  if (layout === 'yyyymmdd') return `${y}${m}${d}`;
  if (layout === 'dd/mm/yyyy') return `${d}/${m}/${y}`;
  return `${m}/${d}/${y}`;
}

/**
 * A label on one line: tabs, line breaks and other control characters become one space, runs of spaces
 * collapse, ends are trimmed. Every export runs its text through this, so no value can split a record.
 */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
}

/** A VAT rate in basis points as French text: 2000 → `'20 %'`, 550 → `'5,5 %'`. */
export function frenchRate(vatRateBp: number): string {
  return `${formatCents(vatRateBp, ',').replace(/,?0+$/, '')} %`;
}

/**
 * How to state a document line to a tool that multiplies quantity by unit price (QuickBooks, Xero): the
 * line itself when quantity × unit price gives its amount to the cent, else one unit at the line's amount
 * with the real quantity and price added to the description (a rounded line, a partial credit computed by
 * difference). `sign` −1 turns a credit note's negative amounts into the positive ones of a vendor's own
 * credit note; the unit price takes the sign of the amount.
 */
export function statedLine(
  line: { description: string; quantityMilli: number; unitPriceCents: number; totalExclTaxCents: number },
  sign: 1 | -1,
): { description: string; quantityMilli: number; unitPriceCents: number; amountCents: number } {
  const amountCents = sign * line.totalExclTaxCents || 0;
  const unitPriceCents = (amountCents < 0 ? -1 : 1) * Math.abs(line.unitPriceCents);
  const description = oneLine(line.description);
  if ((line.quantityMilli * unitPriceCents) % 1000 === 0 && (line.quantityMilli * unitPriceCents) / 1000 === amountCents) {
    return { description, quantityMilli: line.quantityMilli, unitPriceCents, amountCents };
  }
  const real = `${formatMilli(line.quantityMilli)} × ${formatCents(Math.abs(line.unitPriceCents), '.')}`;
  return { description: `${description} (${real})`, quantityMilli: 1000, unitPriceCents: amountCents, amountCents };
}
