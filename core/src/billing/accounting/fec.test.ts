import { AppError } from '../../errors';
import { encodeSingleByte } from './encoding';
import { FEC_COLUMNS, fecFileName, fecText } from './fec';
import march from './fixtures/march-2027.json';
import tricky from './fixtures/tricky-labels.json';
import { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, type AccountingSettings, type JournalSource } from './journal';

const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};
const MARCH = buildJournal(march as unknown as JournalSource, SETTINGS);
const TRICKY = buildJournal(tricky as unknown as JournalSource, SETTINGS);

const GOLDEN =
  [
    'JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\tPieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise',
    'VE\tJournal des ventes\t1\t20270305\t411000\tClients\t411ACME\tAcme SAS\tF-2027-0001\t20270305\tFacture F-2027-0001 Acme SAS\t1116,01\t0,00\tAA\t20270328\t20270305\t\t',
    'VE\tJournal des ventes\t1\t20270305\t706000\tPrestations de services\t\t\tF-2027-0001\t20270305\tFacture F-2027-0001 Acme SAS\t0,00\t850,00\t\t\t20270305\t\t',
    'VE\tJournal des ventes\t1\t20270305\t707100\tVentes de publications\t\t\tF-2027-0001\t20270305\tFacture F-2027-0001 Acme SAS\t0,00\t91,00\t\t\t20270305\t\t',
    'VE\tJournal des ventes\t1\t20270305\t445712\tTVA collectée 20 %\t\t\tF-2027-0001\t20270305\tFacture F-2027-0001 Acme SAS\t0,00\t170,00\t\t\t20270305\t\t',
    'VE\tJournal des ventes\t1\t20270305\t445713\tTVA collectée 5,5 %\t\t\tF-2027-0001\t20270305\tFacture F-2027-0001 Acme SAS\t0,00\t5,01\t\t\t20270305\t\t',
    'VE\tJournal des ventes\t2\t20270312\t411000\tClients\t411ACME\tAcme SAS\tF-2027-0002\t20270312\tFacture F-2027-0002 Acme SAS\t360,00\t0,00\tAA\t20270328\t20270312\t\t',
    'VE\tJournal des ventes\t2\t20270312\t706000\tPrestations de services\t\t\tF-2027-0002\t20270312\tFacture F-2027-0002 Acme SAS\t0,00\t300,00\t\t\t20270312\t\t',
    'VE\tJournal des ventes\t2\t20270312\t445712\tTVA collectée 20 %\t\t\tF-2027-0002\t20270312\tFacture F-2027-0002 Acme SAS\t0,00\t60,00\t\t\t20270312\t\t',
    'VE\tJournal des ventes\t3\t20270320\t411000\tClients\t411ACME\tAcme SAS\tF-2027-0003\t20270320\tAvoir F-2027-0003 Acme SAS\t0,00\t204,00\tAA\t20270328\t20270320\t\t',
    'VE\tJournal des ventes\t3\t20270320\t706000\tPrestations de services\t\t\tF-2027-0003\t20270320\tAvoir F-2027-0003 Acme SAS\t170,00\t0,00\t\t\t20270320\t\t',
    'VE\tJournal des ventes\t3\t20270320\t445712\tTVA collectée 20 %\t\t\tF-2027-0003\t20270320\tAvoir F-2027-0003 Acme SAS\t34,00\t0,00\t\t\t20270320\t\t',
    'BQ\tJournal de banque\t1\t20270328\t512000\tBanque\t\t\tVIR ACME 2803\t20270328\tRèglement virement Acme SAS F-2027-0001 F-2027-0002\t1272,01\t0,00\t\t\t20270328\t\t',
    'BQ\tJournal de banque\t1\t20270328\t411000\tClients\t411ACME\tAcme SAS\tVIR ACME 2803\t20270328\tRèglement virement Acme SAS F-2027-0001 F-2027-0002\t0,00\t1272,01\tAA\t20270328\t20270328\t\t',
  ].join('\r\n') + '\r\n';

describe('FEC', () => {
  it('writes the month exactly', () => {
    expect(fecText(MARCH)).toBe(GOLDEN);
  });

  it('has the 18 fields of article A47 A-1 on every record, CRLF-terminated', () => {
    const text = fecText(MARCH);
    expect(text.endsWith('\r\n')).toBe(true);
    const records = text.slice(0, -2).split('\r\n');
    expect(records).toHaveLength(1 + MARCH.length);
    expect(records[0]!.split('\t')).toEqual([...FEC_COLUMNS]);
    for (const r of records) expect(r.split('\t')).toHaveLength(18);
    for (const r of records.slice(1)) {
      const f = r.split('\t');
      expect(f[3]).toMatch(/^\d{8}$/);
      expect(f[9]).toMatch(/^\d{8}$/);
      expect(f[11]).toMatch(/^\d+,\d{2}$/);
      expect(f[12]).toMatch(/^\d+,\d{2}$/);
    }
  });

  it('keeps tabs and line breaks out of the fields, and the rest of a label as it is', () => {
    const records = fecText(TRICKY).slice(0, -2).split('\r\n');
    expect(records).toHaveLength(1 + TRICKY.length);
    for (const r of records) expect(r.split('\t')).toHaveLength(18);
    expect(records[1]!.split('\t').slice(6, 11)).toEqual(['411DUP', '=SUM(A1) "Dupont; fils" SARL', 'F-2027-0101', '20270315', 'Facture F-2027-0101 =SUM(A1) "Dupont; fils" SARL']);
    expect(records.at(-1)!.split('\t').slice(8, 11)).toEqual(['=1+2;"x"', '20270330', 'Règlement virement =SUM(A1) "Dupont; fils" SARL F-2027-0101']);
    // Lines built by hand are cleaned too.
    const hand = fecText([{ ...MARCH[0]!, label: 'a\tb\r\nc' }]).split('\r\n')[1]!.split('\t');
    expect(hand).toHaveLength(18);
    expect(hand[10]).toBe('a b c');
  });

  it('refuses another currency than the books, and empty mandatory fields', () => {
    const usd = MARCH.map((l) => ({ ...l, currency: 'USD' }));
    expect(() => fecText(usd)).toThrow(AppError);
    expect(() => fecText(usd)).toThrow('the FEC is kept in EUR; F-2027-0001 is in USD: convert foreign-currency entries before exporting');
    expect(fecText(usd, { accountingCurrency: 'USD' }).split('\r\n')).toHaveLength(MARCH.length + 2);
    expect(() => fecText([{ ...MARCH[0]!, accountLabel: '\t' }])).toThrow('FEC line of entry VE 1 has an empty CompteLib');
  });

  it('names the file after the SIREN and the closing date', () => {
    expect(fecFileName('732829320', '2027-12-31')).toBe('732829320FEC20271231.txt');
    expect(() => fecFileName('7328 29320', '2027-12-31')).toThrow(/9 digits/);
    expect(() => fecFileName('732829320', '2027-02-29')).toThrow(/not a date/);
  });

  it('encodes as ISO-8859-15 for callers who write that', () => {
    const bytes = encodeSingleByte(fecText(MARCH), 'iso-8859-15');
    const text = fecText(MARCH);
    expect(bytes).toHaveLength(text.length); // one byte per character, all of them mapped
    expect(bytes[text.indexOf('é')]).toBe(0xe9);
    expect(bytes[text.indexOf('è')]).toBe(0xe8);
  });
});
