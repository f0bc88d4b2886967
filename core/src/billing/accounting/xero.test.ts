import type { InvoiceDocument } from '../invoice-document';
import march from './fixtures/march-2027.json';
import tricky from './fixtures/tricky-labels.json';
import { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, type AccountingSettings, type JournalSource } from './journal';
import { XERO_SALES_INVOICE_COLUMNS, defaultXeroTaxType, xeroManualJournalCsv, xeroSalesInvoicesCsv } from './xero';

const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};
const SOURCE = march as unknown as JournalSource;
const MARCH = buildJournal(SOURCE, SETTINGS);
const TRICKY_SOURCE = tricky as unknown as JournalSource;

const JOURNAL_GOLDEN =
  [
    '*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2',
    'VE-1 Facture F-2027-0001 Acme SAS,05/03/2027,Acme SAS,411000,Tax Exempt,1116.01,,,,',
    'VE-1 Facture F-2027-0001 Acme SAS,05/03/2027,Prestations de services,706000,Tax Exempt,-850.00,,,,',
    'VE-1 Facture F-2027-0001 Acme SAS,05/03/2027,Ventes de publications,707100,Tax Exempt,-91.00,,,,',
    'VE-1 Facture F-2027-0001 Acme SAS,05/03/2027,TVA collectée 20 %,445712,Tax Exempt,-170.00,,,,',
    'VE-1 Facture F-2027-0001 Acme SAS,05/03/2027,"TVA collectée 5,5 %",445713,Tax Exempt,-5.01,,,,',
    'VE-2 Facture F-2027-0002 Acme SAS,12/03/2027,Acme SAS,411000,Tax Exempt,360.00,,,,',
    'VE-2 Facture F-2027-0002 Acme SAS,12/03/2027,Prestations de services,706000,Tax Exempt,-300.00,,,,',
    'VE-2 Facture F-2027-0002 Acme SAS,12/03/2027,TVA collectée 20 %,445712,Tax Exempt,-60.00,,,,',
    'VE-3 Avoir F-2027-0003 Acme SAS,20/03/2027,Acme SAS,411000,Tax Exempt,-204.00,,,,',
    'VE-3 Avoir F-2027-0003 Acme SAS,20/03/2027,Prestations de services,706000,Tax Exempt,170.00,,,,',
    'VE-3 Avoir F-2027-0003 Acme SAS,20/03/2027,TVA collectée 20 %,445712,Tax Exempt,34.00,,,,',
    'BQ-1 Règlement virement Acme SAS F-2027-0001 F-2027-0002,28/03/2027,Banque,512000,Tax Exempt,1272.01,,,,',
    'BQ-1 Règlement virement Acme SAS F-2027-0001 F-2027-0002,28/03/2027,Acme SAS,411000,Tax Exempt,-1272.01,,,,',
  ].join('\r\n') + '\r\n';

const ACME = 'Acme SAS,compta@acme.fr,5 avenue Foch,Bâtiment B,,,Paris,,75016,FR';
const INVOICES_GOLDEN =
  [
    XERO_SALES_INVOICE_COLUMNS.join(','),
    `${ACME},F-2027-0001,BC-4471,05/03/2027,04/04/2027,,Support utilisateurs (heures),10,85.00,,706000,20% (VAT on Income),,,,,EUR,`,
    `${ACME},F-2027-0001,BC-4471,05/03/2027,04/04/2027,,Abonnement revue Linux Pratique,2,45.50,,707100,5.5% (VAT on Income),,,,,EUR,`,
    `${ACME},F-2027-0002,,12/03/2027,11/04/2027,,Supervision mars 2027 (12 postes),12,25.00,,706000,20% (VAT on Income),,,,,EUR,`,
    `${ACME},F-2027-0003,BC-4471,20/03/2027,20/03/2027,,Support utilisateurs (heures),2,-85.00,,706000,20% (VAT on Income),,,,,EUR,`,
  ].join('\r\n') + '\r\n';

describe('Xero manual journal import', () => {
  it('writes the month exactly: one journal per entry, debits positive, credits negative', () => {
    expect(xeroManualJournalCsv(MARCH)).toBe(JOURNAL_GOLDEN);
  });

  it('takes the organisation’s no-tax rate name and US dates', () => {
    expect(xeroManualJournalCsv(MARCH, { taxRate: 'No VAT', dateLayout: 'mm/dd/yyyy' }).split('\r\n')[1]).toBe('VE-1 Facture F-2027-0001 Acme SAS,03/05/2027,Acme SAS,411000,No VAT,1116.01,,,,');
  });

  it('quotes what must be and defuses formulas', () => {
    const rows = xeroManualJournalCsv(buildJournal(TRICKY_SOURCE, SETTINGS)).split('\r\n');
    expect(rows[1]).toBe(`"VE-1 Facture F-2027-0101 =SUM(A1) ""Dupont; fils"" SARL",15/03/2027,"'=SUM(A1) ""Dupont; fils"" SARL",411000,Tax Exempt,120.00,,,,`);
  });
});

describe('Xero sales invoice import', () => {
  const docs = SOURCE.documents.map((d) => d.document);

  it('writes the month’s documents exactly, the credit note with negative unit amounts', () => {
    expect(xeroSalesInvoicesCsv(docs, { settings: SETTINGS })).toBe(INVOICES_GOLDEN);
    expect(XERO_SALES_INVOICE_COLUMNS).toHaveLength(27);
  });

  it('names tax rates the default way or the organisation’s way', () => {
    expect([2000, 1000, 550, 210, 0].map((r) => defaultXeroTaxType(r, null))).toEqual(['20% (VAT on Income)', '10% (VAT on Income)', '5.5% (VAT on Income)', '2.1% (VAT on Income)', 'No VAT']);
    const rows = xeroSalesInvoicesCsv(docs.slice(1, 2), { taxType: (rate) => `TVA ${rate / 100} %` }).split('\r\n');
    expect(rows[1]).toContain(',706000,TVA 20 %,');
  });

  it('states a rounded line as one unit at its amount', () => {
    const doc: InvoiceDocument = { ...docs[1]!, lines: [{ ...docs[1]!.lines[0]!, quantityMilli: 1500, unitPriceCents: 3333, totalExclTaxCents: 5000 }] };
    expect(xeroSalesInvoicesCsv([doc]).split('\r\n')[1]).toContain(',Supervision mars 2027 (12 postes) (1.5 × 33.33),1,50.00,,706000,');
  });

  it('quotes what must be and defuses formulas', () => {
    const row = xeroSalesInvoicesCsv(TRICKY_SOURCE.documents.map((d) => d.document)).split('\r\n')[1]!;
    expect(row).toBe(`"'=SUM(A1) ""Dupont; fils"" SARL",,1 place du Marché,,,,Marseille,,13001,FR,F-2027-0101,,15/03/2027,14/04/2027,,"'=2+3 ""VIP""; remise fidélité",1,100.00,,706000,20% (VAT on Income),,,,,EUR,`);
  });
});
