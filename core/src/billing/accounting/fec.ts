/**
 * The FEC (fichier des écritures comptables, article A47 A-1 du livre des procédures fiscales): the file
 * a French business hands the tax administration on request, one line per journal line.
 *
 * Layout chosen here (the article allows tab or `|` as separator, and either text encoding):
 * - the 18 fields of the article, in its order, with its names on one header line:
 *   JournalCode JournalLib EcritureNum EcritureDate CompteNum CompteLib CompAuxNum CompAuxLib PieceRef
 *   PieceDate EcritureLib Debit Credit EcritureLet DateLet ValidDate Montantdevise Idevise
 * - separator: TAB; every record, the header included, ends with CRLF;
 * - dates `YYYYMMDD`; amounts with a comma before the cents and no thousands separator (`1116,01`, `0,00`);
 *   Debit and Credit both filled, one of them `0,00`;
 * - CompAuxNum/CompAuxLib, EcritureLet/DateLet empty when there is none;
 * - Montantdevise/Idevise empty: the amounts are in the accounting currency (EUR), and an export in
 *   another currency is refused (it would need the exchange rate of each entry);
 * - text fields on one line: tabs, CR and LF become spaces (`journal.ts` already does it; done again
 *   here so hand-made lines cannot break a record). Nothing else is altered: a label starting with `=`
 *   stays as it is, the FEC is a legal record, not a spreadsheet.
 *
 * Encoding: the function returns a string. The caller writes it as UTF-8 (without BOM) or as
 * ISO-8859-15 (`encodeSingleByte(text, 'iso-8859-15')`); the administration accepts both. The file is
 * named `<SIREN>FEC<closing date YYYYMMDD>.txt` (`fecFileName`).
 */
import { AppError } from '../../errors';
import type { LocalDate } from '../calendar';
import { formatCents, formatDate, oneLine } from './format';
import type { JournalEntry } from './journal';

export const FEC_COLUMNS = [
  'JournalCode',
  'JournalLib',
  'EcritureNum',
  'EcritureDate',
  'CompteNum',
  'CompteLib',
  'CompAuxNum',
  'CompAuxLib',
  'PieceRef',
  'PieceDate',
  'EcritureLib',
  'Debit',
  'Credit',
  'EcritureLet',
  'DateLet',
  'ValidDate',
  'Montantdevise',
  'Idevise',
] as const;

export const FEC_SEPARATOR = '\t';
export const FEC_RECORD_END = '\r\n';

export interface FecOptions {
  /** The currency the books are kept in; lines in another one are refused. Default EUR. */
  accountingCurrency?: string;
}

const field = oneLine;

/** The FEC text of `lines` (header included), in the order given. */
export function fecText(lines: readonly JournalEntry[], options: FecOptions = {}): string {
  const currency = options.accountingCurrency ?? 'EUR';
  const foreign = lines.find((l) => l.currency !== currency);
  if (foreign) {
    throw AppError.invalid(`the FEC is kept in ${currency}; ${foreign.pieceRef} is in ${foreign.currency}: convert foreign-currency entries before exporting`);
  }
  const records = lines.map((l) => {
    const record = [
      field(l.journalCode),
      field(l.journalLabel),
      String(l.entryNumber),
      formatDate(l.date, 'yyyymmdd'),
      field(l.accountNumber),
      field(l.accountLabel),
      field(l.auxiliaryAccount ?? ''),
      l.auxiliaryAccount ? field(l.auxiliaryLabel ?? '') : '',
      field(l.pieceRef),
      formatDate(l.pieceDate, 'yyyymmdd'),
      field(l.label),
      formatCents(l.debitCents, ','),
      formatCents(l.creditCents, ','),
      field(l.letteringCode ?? ''),
      l.letteringCode && l.letteringDate ? formatDate(l.letteringDate, 'yyyymmdd') : '',
      formatDate(l.validationDate, 'yyyymmdd'),
      '',
      '',
    ];
    const empty = (['JournalCode', 'JournalLib', 'CompteNum', 'CompteLib', 'PieceRef', 'EcritureLib'] as const).filter((name) => record[FEC_COLUMNS.indexOf(name)] === '');
    if (empty.length > 0) throw AppError.invalid(`FEC line of entry ${l.journalCode} ${l.entryNumber} has an empty ${empty.join(', ')}`);
    if (l.debitCents < 0 || l.creditCents < 0) throw AppError.invalid(`FEC line of entry ${l.journalCode} ${l.entryNumber} has a negative amount`);
    return record.join(FEC_SEPARATOR);
  });
  return [FEC_COLUMNS.join(FEC_SEPARATOR), ...records].map((r) => r + FEC_RECORD_END).join('');
}

/** `<SIREN>FEC<YYYYMMDD>.txt`, the date being the closing date of the fiscal year. */
export function fecFileName(siren: string, closingDate: LocalDate): string {
  if (!/^\d{9}$/.test(siren)) throw AppError.invalid(`a SIREN has 9 digits, not ${JSON.stringify(siren)}`);
  return `${siren}FEC${formatDate(closingDate, 'yyyymmdd')}.txt`;
}
