/** Excel in French opens `;`-separated files in columns; in English it expects `,`. */
export function csvSeparator(locale: string): string {
  return locale.startsWith('fr') ? ';' : ',';
}

/**
 * One CSV cell: quoted when it holds the separator, a quote or a line break (quotes doubled, RFC 4180), and
 * defused when it starts like a spreadsheet formula (CSV injection: a user-typed name such as `=HYPERLINK(…)`).
 */
export function csvCell(value: unknown, separator: string): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(text) && !/^-?\d+([.,]\d+)?$/.test(text)) text = `'${text}`;
  return /["\r\n]/.test(text) || text.includes(separator) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: string[], rows: unknown[][], separator: string): string {
  return [header, ...rows].map((row) => row.map((cell) => csvCell(cell, separator)).join(separator)).join('\r\n');
}

/** Saves text as a file; the UTF-8 BOM makes Excel read accents right. */
export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob(['\uFEFF', text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
