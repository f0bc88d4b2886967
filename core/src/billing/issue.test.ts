import { buildInvoiceDocument, missingForIssue, type IssueInput } from './issue';
import { creditNote } from './invoice-totals';
import type { Buyer, Seller } from './invoice-document';

const address = { line1: '3 rue des Lilas', line2: '', postalCode: '69003', city: 'Lyon', country: 'FR' };
const seller: Seller = { legalName: 'Infogérance Martin SARL', siren: '443061841', siret: '', vatNumber: 'FR44443061841', address, email: '', legalForm: 'SARL', shareCapital: '', rcs: '', iban: '', bic: '' };
const buyer: Buyer = { legalName: 'Pharmacie Roy', siren: '542051180', siret: '', vatNumber: '', address, email: 'compta@roy.test', professional: true };
const lines = [
  { description: 'Infogérance', quantityMilli: 1000, unitCode: 'MON', unitPriceCents: 50_000, vatRateBp: 2000, vatExemption: null },
  { description: 'Formation', quantityMilli: 2000, unitCode: 'HUR', unitPriceCents: 9_000, vatRateBp: 0, vatExemption: 'franchise' as const },
];
const input = (extra: Partial<IssueInput> = {}): IssueInput => ({
  kind: 'invoice',
  number: 'FA-2026-0001',
  issueDate: '2026-01-15',
  currency: 'EUR',
  seller,
  buyer,
  terms: { kind: 'end_of_month', days: 30 },
  penaltyRate: { kind: 'fixed', annualRateBp: 1_200 },
  earlyPaymentDiscount: null,
  lines,
  vatRounding: 'per_rate',
  creditNote: null,
  precedingInvoice: null,
  periodStart: '2026-01-01',
  periodEnd: '2026-01-31',
  buyerReference: 'BC-77',
  notes: '',
  ...extra,
});

describe('issuing an invoice', () => {
  it('freezes totals, the due date from the terms and the French mentions in print order, with their e-invoice subjects', () => {
    const doc = buildInvoiceDocument(input());
    expect(doc).toMatchObject({ dueDate: '2026-02-28', totalExclTaxCents: 68_000, totalTaxCents: 10_000, totalCents: 78_000, paymentTermsText: '30 jours fin de mois' });
    expect(doc.vat).toEqual([
      { vatRateBp: 2000, vatExemption: null, baseCents: 50_000, taxCents: 10_000 },
      { vatRateBp: 0, vatExemption: 'franchise', baseCents: 18_000, taxCents: 0 },
    ]);
    expect(doc.mentions).toEqual([
      'TVA non applicable, art. 293 B du CGI',
      "Date d'échéance : 28/02/2026 (30 jours fin de mois)",
      "Pas d'escompte pour paiement anticipé.",
      "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la date d'échéance, au taux annuel de 12 %.",
      'Une indemnité forfaitaire pour frais de recouvrement de 40 € est due en cas de retard de paiement (art. L441-10 et D441-5 du Code de commerce).',
    ]);
    expect(Object.values(doc.mentionSubjects ?? {})).toEqual(['AAB', 'PMD', 'PMT']);
  });

  it('prints no late-payment penalties to a private person', () => {
    const doc = buildInvoiceDocument(input({ buyer: { ...buyer, siren: '', professional: false } }));
    expect(doc.mentions).toHaveLength(2);
    expect(doc.mentionSubjects).toEqual({});
  });

  it('issues a credit note naming the invoice it corrects, with the amounts core computed', () => {
    const result = creditNote({ lines, vatRounding: 'per_rate' }, [], [{ lineIndex: 0, quantityMilli: 500 }]);
    if (!result.ok) throw new Error(result.reason);
    const doc = buildInvoiceDocument(input({ kind: 'credit_note', number: 'AV-2026-0001', lines: [lines[0]!], creditNote: result.creditNote, precedingInvoice: { number: 'FA-2026-0001', issueDate: '2026-01-15' } }));
    expect(doc).toMatchObject({ kind: 'credit_note', totalExclTaxCents: -25_000, totalTaxCents: -5_000, totalCents: -30_000 });
    expect(doc.mentions).toEqual(['Avoir sur la facture n° FA-2026-0001 du 15/01/2026']);
    expect(() => buildInvoiceDocument(input({ kind: 'credit_note', creditNote: result.creditNote }))).toThrow('a credit note names the invoice it corrects');
  });

  it('lists every missing mandatory detail at once, and refuses an invoice without lines', () => {
    expect(missingForIssue({ ...seller, siren: '', address: { ...address, line1: '' } }, { ...buyer, legalName: ' ' }).map((e) => e.path)).toEqual(['seller.siren', 'seller.address', 'buyer.legalName']);
    expect(() => buildInvoiceDocument(input({ seller: { ...seller, siren: '12' } }))).toThrow('some mandatory details are missing');
    expect(() => buildInvoiceDocument(input({ lines: [] }))).toThrow('at least one line');
  });
});
