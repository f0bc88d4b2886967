/**
 * Money is integer cents everywhere; people type amounts. The text is parsed digit by digit (never through
 * a float, so "0,29" is 29 cents and not 28.999…). Spaces and apostrophes group thousands; with both "," and
 * "." the last one is the decimal mark; a lone mark with one or two digits after it is decimal whichever it
 * is (French users type dots on numeric keypads). A lone mark with three digits after it is grouping when it
 * is not the interface's decimal mark ("1.500" in French, "1,500" in English), and refused when it is: three
 * decimals mean a typo, and guessing would be off by a factor of a thousand.
 */
export function parseMoneyToCents(text: string, locale = 'fr'): number {
  const compact = text.trim().replace(/[\s\u00a0\u202f']/g, '').replace(/[€$£]|EUR|CHF|USD|GBP/gi, '');
  if (!/^\d[\d.,]*$/.test(compact)) return Number.NaN;
  const decimalMark = locale.startsWith('fr') ? ',' : '.';
  const marks = compact.replace(/\d/g, '');
  let whole = compact;
  let fraction = '';
  const last = Math.max(compact.lastIndexOf(','), compact.lastIndexOf('.'));
  const after = last >= 0 ? compact.slice(last + 1) : '';
  const lone = marks.length === 1;
  const mixed = marks.includes(',') && marks.includes('.');
  if ((mixed || lone) && after.length >= 1 && after.length <= 2) {
    whole = compact.slice(0, last);
    fraction = after;
  } else if (lone && after.length === 3 && compact[last] === decimalMark) {
    return Number.NaN;
  }
  // What is left of the decimal part is grouped by three ("12.500.000", "1,234") or plain digits.
  if (!/^(\d{1,3}([.,]\d{3})+|\d+)$/.test(whole)) return Number.NaN;
  if (mixed && new Set(whole.replace(/\d/g, '')).size > 1) return Number.NaN; // "1,234.567,89"
  const digits = whole.replace(/[.,]/g, '');
  if (digits.length > 13) return Number.NaN; // beyond 1e12 cents the API refuses it anyway
  return Number(digits) * 100 + Number(fraction.padEnd(2, '0'));
}

/** Cents back to the text of an input ("1234,50" in French, "1234.50" in English): no grouping, easy to edit. */
export function centsToInput(cents: number, locale: string): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  const mark = locale.startsWith('fr') ? ',' : '.';
  return `${sign}${Math.floor(abs / 100)}${mark}${String(abs % 100).padStart(2, '0')}`;
}
