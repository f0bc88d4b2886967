import march from './fixtures/march-2027.json';
import tricky from './fixtures/tricky-labels.json';
import { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, type AccountingSettings, type JournalSource } from './journal';
import { SAGE_COLUMNS, sageText } from './sage';

const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};
const MARCH = buildJournal(march as unknown as JournalSource, SETTINGS);
const TRICKY = buildJournal(tricky as unknown as JournalSource, SETTINGS);

const GOLDEN =
  [
    'VE;05/03/2027;411000;411ACME;F-2027-0001;Facture F-2027-0001 Acme SAS;1116,01;',
    'VE;05/03/2027;706000;;F-2027-0001;Facture F-2027-0001 Acme SAS;;850,00',
    'VE;05/03/2027;707100;;F-2027-0001;Facture F-2027-0001 Acme SAS;;91,00',
    'VE;05/03/2027;445712;;F-2027-0001;Facture F-2027-0001 Acme SAS;;170,00',
    'VE;05/03/2027;445713;;F-2027-0001;Facture F-2027-0001 Acme SAS;;5,01',
    'VE;12/03/2027;411000;411ACME;F-2027-0002;Facture F-2027-0002 Acme SAS;360,00;',
    'VE;12/03/2027;706000;;F-2027-0002;Facture F-2027-0002 Acme SAS;;300,00',
    'VE;12/03/2027;445712;;F-2027-0002;Facture F-2027-0002 Acme SAS;;60,00',
    'VE;20/03/2027;411000;411ACME;F-2027-0003;Avoir F-2027-0003 Acme SAS;;204,00',
    'VE;20/03/2027;706000;;F-2027-0003;Avoir F-2027-0003 Acme SAS;170,00;',
    'VE;20/03/2027;445712;;F-2027-0003;Avoir F-2027-0003 Acme SAS;34,00;',
    'BQ;28/03/2027;512000;;VIR ACME 2803;Règlement virement Acme SAS F-2027-0001 F-2027-0002;1272,01;',
    'BQ;28/03/2027;411000;411ACME;VIR ACME 2803;Règlement virement Acme SAS F-2027-0001 F-2027-0002;;1272,01',
  ].join('\r\n') + '\r\n';

describe('Sage import paramétrable', () => {
  it('writes the month exactly, without header by default', () => {
    expect(sageText(MARCH)).toBe(GOLDEN);
    expect(sageText(MARCH, { header: true })).toBe('journal;date;compte;compte tiers;pièce;libellé;débit;crédit\r\n' + GOLDEN);
    expect(SAGE_COLUMNS).toHaveLength(8);
  });

  it('never needs quotes: no ; or " or line break inside a field, formulas defused', () => {
    const records = sageText(TRICKY).slice(0, -2).split('\r\n');
    expect(records).toHaveLength(TRICKY.length);
    for (const r of records) expect(r.split(';')).toHaveLength(8);
    expect(records[0]).toBe(`VE;15/03/2027;411000;411DUP;F-2027-0101;Facture F-2027-0101 =SUM(A1) 'Dupont, fils' SARL;120,00;`);
    expect(records.at(-1)).toBe(`BQ;30/03/2027;411000;411DUP;'=1+2,'x';Règlement virement =SUM(A1) 'Dupont, fils' SARL F-2027-0101;;120,00`);
  });

  it('cuts labels to Sage’s 69 characters', () => {
    const long = sageText([{ ...MARCH[0]!, label: 'x'.repeat(68) + ' yz' }]);
    expect(long.split(';')[5]).toBe('x'.repeat(68));
  });
});
