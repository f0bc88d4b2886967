import fc from 'fast-check';
import { AppError } from '../../errors';
import type { InvoiceDocument } from '../invoice-document';
import march from './fixtures/march-2027.json';
import { DEFAULT_ACCOUNTING_SETTINGS, buildJournal, entryBalances, letteringCodeOf, type AccountingPayment, type AccountingSettings, type JournalEntry, type JournalSource } from './journal';

const MARCH = march as unknown as JournalSource;
const SETTINGS: AccountingSettings = {
  ...DEFAULT_ACCOUNTING_SETTINGS,
  accounts: { ...DEFAULT_ACCOUNTING_SETTINGS.accounts, salesByRate: { 550: { number: '707100', label: 'Ventes de publications' } } },
};

/** The cells that matter, one array per line: journal, number, date, account, auxiliary, piece, debit, credit, lettering. */
const cells = (lines: JournalEntry[]) =>
  lines.map((l) => [l.journalCode, l.entryNumber, l.date, l.accountNumber, l.auxiliaryAccount, l.pieceRef, l.debitCents, l.creditCents, l.letteringCode]);

function thrown(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('journal of a month (two invoices at 20 % and 5,5 %, a credit note, a payment of two invoices)', () => {
  const lines = buildJournal(MARCH, SETTINGS);

  it('posts each document and the payment, line by line', () => {
    expect(cells(lines)).toEqual([
      ['VE', 1, '2027-03-05', '411000', '411ACME', 'F-2027-0001', 111_601, 0, 'AA'],
      ['VE', 1, '2027-03-05', '706000', null, 'F-2027-0001', 0, 85_000, null],
      ['VE', 1, '2027-03-05', '707100', null, 'F-2027-0001', 0, 9_100, null],
      ['VE', 1, '2027-03-05', '445712', null, 'F-2027-0001', 0, 17_000, null],
      ['VE', 1, '2027-03-05', '445713', null, 'F-2027-0001', 0, 501, null],
      ['VE', 2, '2027-03-12', '411000', '411ACME', 'F-2027-0002', 36_000, 0, 'AA'],
      ['VE', 2, '2027-03-12', '706000', null, 'F-2027-0002', 0, 30_000, null],
      ['VE', 2, '2027-03-12', '445712', null, 'F-2027-0002', 0, 6_000, null],
      ['VE', 3, '2027-03-20', '411000', '411ACME', 'F-2027-0003', 0, 20_400, 'AA'],
      ['VE', 3, '2027-03-20', '706000', null, 'F-2027-0003', 17_000, 0, null],
      ['VE', 3, '2027-03-20', '445712', null, 'F-2027-0003', 3_400, 0, null],
      ['BQ', 1, '2027-03-28', '512000', null, 'VIR ACME 2803', 127_201, 0, null],
      ['BQ', 1, '2027-03-28', '411000', '411ACME', 'VIR ACME 2803', 0, 127_201, 'AA'],
    ]);
  });

  it('labels entries, names journals and accounts, dates lettering and validation', () => {
    expect(lines[0]).toEqual({
      journalCode: 'VE',
      journalLabel: 'Journal des ventes',
      entryNumber: 1,
      date: '2027-03-05',
      accountNumber: '411000',
      accountLabel: 'Clients',
      auxiliaryAccount: '411ACME',
      auxiliaryLabel: 'Acme SAS',
      pieceRef: 'F-2027-0001',
      pieceDate: '2027-03-05',
      label: 'Facture F-2027-0001 Acme SAS',
      debitCents: 111_601,
      creditCents: 0,
      currency: 'EUR',
      letteringCode: 'AA',
      letteringDate: '2027-03-28',
      validationDate: '2027-03-05',
      clientName: 'Acme SAS',
    });
    expect(lines[4]).toMatchObject({ accountLabel: 'TVA collectée 5,5 %', auxiliaryAccount: null, auxiliaryLabel: null, clientName: null, letteringDate: null });
    expect(lines[8]!.label).toBe('Avoir F-2027-0003 Acme SAS');
    expect(lines[11]).toMatchObject({ journalLabel: 'Journal de banque', accountLabel: 'Banque', label: 'Règlement virement Acme SAS F-2027-0001 F-2027-0002', validationDate: '2027-03-28' });
  });

  it('balances every entry, and the month', () => {
    const balances = entryBalances(lines);
    expect(balances.map((b) => `${b.journalCode}${b.entryNumber}`)).toEqual(['VE1', 'VE2', 'VE3', 'BQ1']);
    for (const b of balances) expect(b.debitCents).toBe(b.creditCents);
    expect(balances.map((b) => b.debitCents)).toEqual([111_601, 36_000, 20_400, 127_201]);
    // The customer account is settled: invoices − credit note − payment = 0.
    expect(lines.filter((l) => l.accountNumber === '411000').reduce((s, l) => s + l.debitCents - l.creditCents, 0)).toBe(0);
  });
});

describe('journal rules', () => {
  const [inv1, inv2, credit] = MARCH.documents as [JournalSource['documents'][0], JournalSource['documents'][0], JournalSource['documents'][0]];
  const payment = MARCH.payments[0]!;

  it('numbers entries per journal in date order whatever the input order', () => {
    const lines = buildJournal({ documents: [credit, inv2, inv1], payments: [{ ...payment, date: '2027-03-01', invoiceNumbers: [] }] }, SETTINGS);
    const entries = [...new Set(lines.map((l) => `${l.journalCode}${l.entryNumber} ${l.date} ${l.pieceRef}`))];
    expect(entries).toEqual(['BQ1 2027-03-01 VIR ACME 2803', 'VE1 2027-03-05 F-2027-0001', 'VE2 2027-03-12 F-2027-0002', 'VE3 2027-03-20 F-2027-0003']);
  });

  it('letters only groups that settle to zero on one auxiliary account', () => {
    // A partial payment of F-2027-0002: nothing lettered.
    const partial: AccountingPayment = { ...payment, amountCents: 10_000, invoiceNumbers: ['F-2027-0002'] };
    expect(buildJournal({ documents: [inv2], payments: [partial] }).every((l) => l.letteringCode === null)).toBe(true);
    // An invoice credited in full is lettered with its credit note; the other invoice is not.
    const fullCredit = { ...credit, document: { ...credit.document, precedingInvoice: { number: 'F-2027-0002', issueDate: '2027-03-12' }, lines: [{ ...credit.document.lines[0]!, quantityMilli: 12_000, unitPriceCents: 2_500, totalExclTaxCents: -30_000 }], vat: [{ vatRateBp: 2000, vatExemption: null, baseCents: -30_000, taxCents: -6_000 }], totalExclTaxCents: -30_000, totalTaxCents: -6_000, totalCents: -36_000 } };
    const lines = buildJournal({ documents: [inv1, inv2, fullCredit], payments: [] }, SETTINGS);
    expect(lines.filter((l) => l.letteringCode).map((l) => [l.pieceRef, l.letteringCode, l.letteringDate])).toEqual([
      ['F-2027-0002', 'AA', '2027-03-20'],
      ['F-2027-0003', 'AA', '2027-03-20'],
    ]);
    // A payment of the invoice of another client: not lettered across auxiliary accounts.
    const other: AccountingPayment = { ...payment, clientCode: 'OTHER', amountCents: 36_000, invoiceNumbers: ['F-2027-0002'] };
    expect(buildJournal({ documents: [inv2], payments: [other] }).every((l) => l.letteringCode === null)).toBe(true);
  });

  it('posts 0 % lines on the exempt sales account and skips empty VAT lines', () => {
    const doc: InvoiceDocument = {
      ...inv2.document,
      number: 'F-2027-0010',
      lines: [{ ...inv2.document.lines[0]!, vatRateBp: 0, vatExemption: 'reverse_charge' }],
      vat: [{ vatRateBp: 0, vatExemption: 'reverse_charge', baseCents: 30_000, taxCents: 0 }],
      totalTaxCents: 0,
      totalCents: 30_000,
    };
    const settings = { ...SETTINGS, accounts: { ...SETTINGS.accounts, exemptSales: { reverse_charge: { number: '706200', label: 'Prestations UE autoliquidées' } } } };
    expect(cells(buildJournal({ documents: [{ ...inv2, document: doc }], payments: [] }, settings))).toEqual([
      ['VE', 1, '2027-03-12', '411000', '411ACME', 'F-2027-0010', 30_000, 0, null],
      ['VE', 1, '2027-03-12', '706200', null, 'F-2027-0010', 0, 30_000, null],
    ]);
  });

  it('uses the account of the payment method and no auxiliary when the settings give none', () => {
    const settings = { ...SETTINGS, accounts: { ...SETTINGS.accounts, bankByMethod: { check: { number: '511200', label: 'Chèques à encaisser' } } }, customerAuxiliary: () => null };
    const lines = buildJournal({ documents: [], payments: [{ ...payment, method: 'check' }] }, settings);
    expect(lines.map((l) => [l.accountNumber, l.auxiliaryAccount, l.auxiliaryLabel, l.clientName])).toEqual([
      ['511200', null, null, null],
      ['411000', null, null, 'Acme SAS'],
    ]);
    expect(lines[0]!.label).toBe('Règlement chèque Acme SAS F-2027-0001 F-2027-0002');
  });

  it('refuses mixed currencies, a VAT rate without an account, a document that does not add up', () => {
    const usd = { ...inv2, document: { ...inv2.document, number: 'F-2027-0011', currency: 'USD' } };
    const mixed = thrown(() => buildJournal({ documents: [inv1, usd], payments: [] }));
    expect(mixed.kind).toBe('invalid_input');
    expect(mixed.message).toBe('an accounting export holds one currency; this one mixes EUR (F-2027-0001), USD (F-2027-0011): export each currency separately');
    expect(thrown(() => buildJournal({ documents: [inv1], payments: [{ ...payment, currency: 'GBP' }] })).message).toMatch(/EUR \(F-2027-0001\), GBP \(payment VIR ACME 2803\)/);

    const noVat = { ...SETTINGS, accounts: { ...SETTINGS.accounts, vatCollected: { 2000: SETTINGS.accounts.vatCollected[2000]! } } };
    expect(thrown(() => buildJournal({ documents: [inv1], payments: [] }, noVat)).message).toBe('no VAT collected account for 5,5 % in the accounting settings (invoice F-2027-0001)');

    const wrong = { ...inv1, document: { ...inv1.document, totalCents: 111_600 } };
    expect(thrown(() => buildJournal({ documents: [wrong], payments: [] })).message).toMatch(/^invoice F-2027-0001 does not add up/);
    expect(thrown(() => buildJournal({ documents: [inv1, inv1], payments: [] })).message).toBe('document F-2027-0001 is given twice');
    expect(thrown(() => buildJournal({ documents: [], payments: [{ ...payment, amountCents: 0 }] })).message).toMatch(/must be positive/);
    expect(thrown(() => buildJournal({ documents: [], payments: [{ ...payment, date: '2027-02-30' }] })).message).toMatch(/not a date/);
  });

  it('codes lettering AA…ZZ then on three letters', () => {
    expect([0, 1, 25, 26, 675, 676].map(letteringCodeOf)).toEqual(['AA', 'AB', 'AZ', 'BA', 'ZZ', 'BAA']);
  });

  it('balances any consistent document (property)', () => {
    const rate = fc.constantFrom(2000, 1000, 550, 210);
    const row = fc.record({ vatRateBp: rate, baseCents: fc.integer({ min: -1_000_000, max: 1_000_000 }), taxCents: fc.integer({ min: -200_000, max: 200_000 }) });
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 4 }), (rows) => {
        const totalExcl = rows.reduce((s, r) => s + r.baseCents, 0);
        const totalTax = rows.reduce((s, r) => s + r.taxCents, 0);
        const kind = totalExcl + totalTax < 0 ? 'credit_note' : 'invoice';
        const doc = { ...inv1.document, kind, vat: rows.map((r) => ({ ...r, vatExemption: null })), totalExclTaxCents: totalExcl, totalTaxCents: totalTax, totalCents: totalExcl + totalTax } as InvoiceDocument;
        const lines = buildJournal({ documents: [{ ...inv1, document: doc }], payments: [] });
        for (const b of entryBalances(lines)) expect(b.debitCents).toBe(b.creditCents);
        for (const l of lines) expect(l.debitCents >= 0 && l.creditCents >= 0 && (l.debitCents === 0) !== (l.creditCents === 0)).toBe(true);
      }),
    );
  });
});
