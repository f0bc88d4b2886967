/**
 * Journal lines for Sage 100 Comptabilité / Sage Compta, "import paramétrable" (a format the accountant
 * declares once in Sage: Fichier › Format import/export paramétrable, type "délimité", separator `;`).
 *
 * The layout to declare, one record per journal line, fields in this order:
 *
 * | # | field (Sage)            | value                                        | Sage limit |
 * |---|-------------------------|----------------------------------------------|------------|
 * | 1 | Code journal            | `VE`, `BQ`                                   | 6          |
 * | 2 | Date                    | `JJ/MM/AAAA` (05/03/2027)                    |            |
 * | 3 | N° compte général       | `411000`, `706000`…                          | 13         |
 * | 4 | N° compte tiers         | auxiliary account, empty when none           | 17         |
 * | 5 | N° pièce                | invoice number, payment reference            | 13         |
 * | 6 | Libellé écriture        | the entry's label, cut to 69 characters      | 69         |
 * | 7 | Montant débit           | `1116,01` (comma, no thousands separator), empty when 0 |  |
 * | 8 | Montant crédit          | same                                         |            |
 *
 * Records end with CRLF. No field is ever quoted (Sage's delimited import does not read quotes): text
 * fields are put on one line, `;` becomes `,`, `"` becomes `'`, and a text beginning with `=`, `+`, `-`
 * or `@` gets a leading apostrophe (the file may be opened in a spreadsheet). No header line by default,
 * since Sage reads every line as a record; `{ header: true }` adds one for people reading the file.
 *
 * Encoding: Sage 100 reads "ANSI" text: write the string as Windows-1252
 * (`encodeSingleByte(text, 'windows-1252')`).
 */
import { safeText } from './csv';
import { formatCents, formatDate } from './format';
import type { JournalEntry } from './journal';

export const SAGE_COLUMNS = ['journal', 'date', 'compte', 'compte tiers', 'pièce', 'libellé', 'débit', 'crédit'] as const;

/** Sage 100's length of an entry label (libellé écriture). */
export const SAGE_LABEL_MAX = 69;

export interface SageOptions {
  header?: boolean;
}

const text = (value: string) => safeText(value).replace(/;/g, ',').replace(/"/g, "'");
const amount = (cents: number) => (cents === 0 ? '' : formatCents(cents, ','));

export function sageText(lines: readonly JournalEntry[], options: SageOptions = {}): string {
  const records = lines.map((l) =>
    [
      text(l.journalCode),
      formatDate(l.date, 'dd/mm/yyyy'),
      text(l.accountNumber),
      text(l.auxiliaryAccount ?? ''),
      text(l.pieceRef),
      [...text(l.label)].slice(0, SAGE_LABEL_MAX).join('').trimEnd(),
      amount(l.debitCents),
      amount(l.creditCents),
    ].join(';'),
  );
  return [...(options.header ? [SAGE_COLUMNS.join(';')] : []), ...records].map((r) => r + '\r\n').join('');
}
