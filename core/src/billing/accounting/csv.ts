/**
 * The few CSV rules the spreadsheet-style exports share (RFC 4180 quoting, CRLF records), plus the guard
 * against formula injection: a text cell that a spreadsheet would read as a formula (it begins with `=`,
 * `+`, `-` or `@`) gets a leading apostrophe, as OWASP recommends. Only text cells are guarded; amounts
 * are formatted by us and may legitimately begin with `-`.
 *
 * Tiny on purpose: core is bundled for the browser and the Temporal sandbox, so no CSV library here.
 */
import { oneLine } from './format';

/** A cell: plain text (sanitised and guarded) or a value we formatted ourselves (amounts, dates, codes). */
export type CsvCell = string | { raw: string };

/** A text cell on one line and safe to open in a spreadsheet. */
export function safeText(text: string): string {
  const line = oneLine(text);
  return /^[=+\-@]/.test(line) ? `'${line}` : line;
}

function quoted(value: string, separator: string): string {
  return value.includes(separator) || /["\r\n]/.test(value) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Records separated and ended by CRLF; each cell quoted only when it must be. */
export function csvText(rows: readonly (readonly CsvCell[])[], separator: ',' | ';'): string {
  return rows.map((row) => row.map((cell) => quoted(typeof cell === 'string' ? safeText(cell) : cell.raw, separator)).join(separator) + '\r\n').join('');
}

export const raw = (value: string): CsvCell => ({ raw: value });
