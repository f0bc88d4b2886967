import march from './fixtures/march-2027.json';
import tricky from './fixtures/tricky-labels.json';
import { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, type AccountingSettings, type JournalSource } from './journal';
import { quickBooksJournalCsv } from './quickbooks';

const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};
const MARCH = buildJournal(march as unknown as JournalSource, SETTINGS);
const TRICKY = buildJournal(tricky as unknown as JournalSource, SETTINGS);

const GOLDEN =
  [
    'Journal No.,Journal Date,Account Name,Debits,Credits,Description,Name,Currency Code',
    'VE-1,05/03/2027,Clients,1116.01,,Facture F-2027-0001 Acme SAS,Acme SAS,EUR',
    'VE-1,05/03/2027,Prestations de services,,850.00,Facture F-2027-0001 Acme SAS,,EUR',
    'VE-1,05/03/2027,Ventes de publications,,91.00,Facture F-2027-0001 Acme SAS,,EUR',
    'VE-1,05/03/2027,TVA collectée 20 %,,170.00,Facture F-2027-0001 Acme SAS,,EUR',
    'VE-1,05/03/2027,"TVA collectée 5,5 %",,5.01,Facture F-2027-0001 Acme SAS,,EUR',
    'VE-2,12/03/2027,Clients,360.00,,Facture F-2027-0002 Acme SAS,Acme SAS,EUR',
    'VE-2,12/03/2027,Prestations de services,,300.00,Facture F-2027-0002 Acme SAS,,EUR',
    'VE-2,12/03/2027,TVA collectée 20 %,,60.00,Facture F-2027-0002 Acme SAS,,EUR',
    'VE-3,20/03/2027,Clients,,204.00,Avoir F-2027-0003 Acme SAS,Acme SAS,EUR',
    'VE-3,20/03/2027,Prestations de services,170.00,,Avoir F-2027-0003 Acme SAS,,EUR',
    'VE-3,20/03/2027,TVA collectée 20 %,34.00,,Avoir F-2027-0003 Acme SAS,,EUR',
    'BQ-1,28/03/2027,Banque,1272.01,,Règlement virement Acme SAS F-2027-0001 F-2027-0002,,EUR',
    'BQ-1,28/03/2027,Clients,,1272.01,Règlement virement Acme SAS F-2027-0001 F-2027-0002,Acme SAS,EUR',
  ].join('\r\n') + '\r\n';

describe('QuickBooks Online journal entry import', () => {
  it('writes the month exactly', () => {
    expect(quickBooksJournalCsv(MARCH)).toBe(GOLDEN);
  });

  it('writes US dates and account numbers on request', () => {
    const rows = quickBooksJournalCsv(MARCH, { dateLayout: 'mm/dd/yyyy', account: 'number' }).split('\r\n');
    expect(rows[1]).toBe('VE-1,03/05/2027,411000,1116.01,,Facture F-2027-0001 Acme SAS,Acme SAS,EUR');
  });

  it('quotes what must be and defuses formulas', () => {
    const rows = quickBooksJournalCsv(TRICKY).slice(0, -2).split('\r\n');
    expect(rows).toHaveLength(1 + TRICKY.length);
    expect(rows[1]).toBe(`VE-1,15/03/2027,Clients,120.00,,"Facture F-2027-0101 =SUM(A1) ""Dupont; fils"" SARL","'=SUM(A1) ""Dupont; fils"" SARL",EUR`);
  });
});
