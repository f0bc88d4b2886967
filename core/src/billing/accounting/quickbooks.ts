/**
 * Journal lines as a QuickBooks Online journal entry import (Settings › Import data › Journal entries).
 *
 * Columns, as Intuit's help names them (the importer then lets the user map each column):
 *
 *   Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name,Currency Code
 *
 * - Journal No.: `<journal code>-<entry number>` (`VE-1`): every line of one entry shares it, so QuickBooks
 *   builds one balanced journal entry from them. Numbers restart with each export: if "Warn me if
 *   duplicate journal number is used" is on in QuickBooks, export whole periods once.
 * - Journal Date: the region's format, `dd/mm/yyyy` by default (UK, FR, AU…), `mm/dd/yyyy` for US companies.
 * - Account Name: QuickBooks matches accounts by name with account numbers turned off, so the account
 *   label by default (set the accounting settings' labels to the QuickBooks names, `Parent:Sub` for a
 *   sub-account); `{ account: 'number' }` writes the account number instead.
 * - Debits / Credits: `1116.01` (dot, no thousands separator), the other one empty.
 * - Description: the entry's label. Name: the client on the customer (A/R) lines, which QuickBooks
 *   requires there; empty elsewhere. Currency Code: ISO 4217, for multicurrency companies.
 *
 * Comma-separated, RFC 4180 quoting, CRLF, header line; text cells are guarded against formula injection.
 * Encoding: UTF-8.
 */
import { csvText, raw, type CsvCell } from './csv';
import { formatCents, formatDate } from './format';
import type { JournalEntry } from './journal';

export const QUICKBOOKS_JOURNAL_COLUMNS = ['Journal No.', 'Journal Date', 'Account Name', 'Debits', 'Credits', 'Description', 'Name', 'Currency Code'] as const;

export interface QuickBooksJournalOptions {
  dateLayout?: 'dd/mm/yyyy' | 'mm/dd/yyyy';
  account?: 'label' | 'number';
}

const amount = (cents: number) => raw(cents === 0 ? '' : formatCents(cents, '.'));

export function quickBooksJournalCsv(lines: readonly JournalEntry[], options: QuickBooksJournalOptions = {}): string {
  const rows: CsvCell[][] = lines.map((l) => [
    `${l.journalCode}-${l.entryNumber}`,
    raw(formatDate(l.date, options.dateLayout ?? 'dd/mm/yyyy')),
    options.account === 'number' ? l.accountNumber : l.accountLabel,
    amount(l.debitCents),
    amount(l.creditCents),
    l.label,
    l.clientName ?? '',
    raw(l.currency),
  ]);
  return csvText([QUICKBOOKS_JOURNAL_COLUMNS.map(raw), ...rows], ',');
}
