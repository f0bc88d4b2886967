/**
 * Double-entry journal lines for issued invoices, credit notes and payments: what every accounting export
 * (FEC, Sage, QuickBooks, Xero) prints, each in its own layout.
 *
 * - An invoice, in the sales journal: debit the customer (incl. tax), credit sales (excl. tax) and VAT
 *   collected, one line per VAT row of the document. A credit note carries negative amounts, so the same
 *   rule mirrors it: credit the customer, debit sales and VAT.
 * - A payment, in the bank journal: debit the bank, credit the customer.
 * - Entries are numbered 1, 2, 3… per journal in date order (then piece reference), within the export.
 * - Lettering (lettrage) is computed within the export: a group of entries linked by invoice numbers (a
 *   payment names the invoices it settles, a credit note the invoice it corrects) whose customer lines on
 *   one auxiliary account add up to zero gets a code `AA`, `AB`… dated on its latest entry. A group that
 *   does not balance here (an invoice paid in a later month, a partial payment) stays unlettered.
 * - Every entry balances, or the build throws; one export holds one currency, or it throws.
 *
 * Amounts are integer cents; dates are LocalDates (the caller turns instants into the tenant's dates).
 */
import { AppError } from '../../errors';
import type { PaymentMethod } from '../../schemas/billing';
import { dayNumber, type LocalDate } from '../calendar';
import type { InvoiceDocument } from '../invoice-document';
import type { VatExemption } from '../invoice-totals';
import { frenchRate, oneLine } from './format';

export interface AccountRef {
  number: string;
  label: string;
}

export interface JournalRef {
  code: string;
  label: string;
}

/** The client a customer line belongs to. */
export interface ClientRef {
  id: string;
  code: string;
  name: string;
}

export interface AccountingSettings {
  journals: { sales: JournalRef; bank: JournalRef };
  accounts: {
    /** The collective customer account (411000). */
    customers: AccountRef;
    /** Sales excl. tax (706000 for services). */
    sales: AccountRef;
    /** Sales account by VAT rate in basis points, overriding `sales` (e.g. 550 → 707100). */
    salesByRate?: Readonly<Partial<Record<number, AccountRef>>>;
    /** Sales account of 0 % lines by exemption reason (export, intra-EU…), overriding `sales`. */
    exemptSales?: Readonly<Partial<Record<VatExemption, AccountRef>>>;
    /** VAT collected by rate in basis points (2000 → 445712). A taxed rate without an account is refused. */
    vatCollected: Readonly<Partial<Record<number, AccountRef>>>;
    /** Where payments land (512000). */
    bank: AccountRef;
    /** Per payment method, overriding `bank` (cheques to deposit 511200, a Stripe clearing account…). */
    bankByMethod?: Readonly<Partial<Record<PaymentMethod, AccountRef>>>;
  };
  /** The client's auxiliary (subsidiary) account number, or null to post on the collective account alone. */
  customerAuxiliary: (client: ClientRef) => string | null;
}

/** French chart of accounts (PCG) defaults; the tenant overrides what it needs. */
export const DEFAULT_ACCOUNTING_SETTINGS: AccountingSettings = {
  journals: { sales: { code: 'VE', label: 'Journal des ventes' }, bank: { code: 'BQ', label: 'Journal de banque' } },
  accounts: {
    customers: { number: '411000', label: 'Clients' },
    sales: { number: '706000', label: 'Prestations de services' },
    vatCollected: {
      2000: { number: '445712', label: 'TVA collectée 20 %' },
      1000: { number: '445711', label: 'TVA collectée 10 %' },
      550: { number: '445713', label: 'TVA collectée 5,5 %' },
      210: { number: '445714', label: 'TVA collectée 2,1 %' },
    },
    bank: { number: '512000', label: 'Banque' },
  },
  customerAuxiliary: (client) => `411${client.code.toUpperCase().replace(/[^A-Z0-9]/g, '')}`,
};

/** An issued invoice or credit note as it was frozen, with the client it was issued to. */
export interface AccountingDocument {
  document: InvoiceDocument;
  clientId: string;
  clientCode: string;
  /** The tenant's date of validation (FEC ValidDate). */
  validatedAt: LocalDate;
}

export interface AccountingPayment {
  id: string;
  date: LocalDate;
  /** The bank's or the payer's reference, '' when none (the piece reference is then the payment id). */
  reference: string;
  method: PaymentMethod;
  /** Positive. */
  amountCents: number;
  currency: string;
  clientId: string;
  clientCode: string;
  clientName: string;
  /** The invoices it settles. */
  invoiceNumbers: string[];
  /** When it was recorded, for FEC ValidDate; defaults to `date`. */
  validatedAt?: LocalDate;
}

export interface JournalSource {
  documents: readonly AccountingDocument[];
  payments: readonly AccountingPayment[];
}

/** One line of a journal entry (an écriture has two lines or more sharing journal and number). */
export interface JournalEntry {
  journalCode: string;
  journalLabel: string;
  /** 1, 2, 3… per journal, in date order. */
  entryNumber: number;
  date: LocalDate;
  accountNumber: string;
  accountLabel: string;
  auxiliaryAccount: string | null;
  auxiliaryLabel: string | null;
  /** The invoice or credit note number; for a payment its reference (or id). */
  pieceRef: string;
  pieceDate: LocalDate;
  /** One line of text (no tabs, no line breaks). */
  label: string;
  /** One of the two is 0, the other ≥ 0. */
  debitCents: number;
  creditCents: number;
  currency: string;
  letteringCode: string | null;
  letteringDate: LocalDate | null;
  validationDate: LocalDate;
  /** On a customer-account line, the client's name (QuickBooks "Name", Xero contact); else null. */
  clientName: string | null;
}

export interface EntryBalance {
  journalCode: string;
  entryNumber: number;
  debitCents: number;
  creditCents: number;
}

/** Totals of each entry, in the order of the lines. */
export function entryBalances(lines: readonly JournalEntry[]): EntryBalance[] {
  const byKey = new Map<string, EntryBalance>();
  for (const l of lines) {
    const key = `${l.journalCode}\u0000${l.entryNumber}`;
    const b = byKey.get(key) ?? { journalCode: l.journalCode, entryNumber: l.entryNumber, debitCents: 0, creditCents: 0 };
    b.debitCents += l.debitCents;
    b.creditCents += l.creditCents;
    byKey.set(key, b);
  }
  return [...byKey.values()];
}

const PAYMENT_WORDS: Readonly<Record<PaymentMethod, string>> = {
  transfer: 'virement',
  card: 'carte',
  check: 'chèque',
  cash: 'espèces',
  direct_debit: 'prélèvement',
  stripe: 'Stripe',
};

interface DraftLine {
  account: AccountRef;
  auxiliary: { number: string; label: string } | null;
  clientName: string | null;
  /** Positive = debit. */
  signedCents: number;
  customer: boolean;
}

interface DraftEntry {
  journal: JournalRef;
  date: LocalDate;
  pieceRef: string;
  tieBreak: string;
  label: string;
  validationDate: LocalDate;
  currency: string;
  lines: DraftLine[];
  /** Invoice numbers this entry is, or refers to (for lettering). */
  links: string[];
  entryNumber: number;
  letteringCode: string | null;
  letteringDate: LocalDate | null;
}

const wholeCents = (n: number, what: string): number => {
  if (!Number.isSafeInteger(n)) throw AppError.invalid(`${what} must be whole cents, not ${n}`);
  return n;
};

function checkSingleCurrency(source: JournalSource): void {
  const seen = new Map<string, string>();
  for (const d of source.documents) if (!seen.has(d.document.currency)) seen.set(d.document.currency, d.document.number);
  for (const p of source.payments) if (!seen.has(p.currency)) seen.set(p.currency, `payment ${p.reference || p.id}`);
  if (seen.size > 1) {
    const list = [...seen].map(([currency, first]) => `${currency} (${first})`).join(', ');
    throw AppError.invalid(`an accounting export holds one currency; this one mixes ${list}: export each currency separately`);
  }
}

/** The sales account of a VAT row: by exemption, else by rate, else the default sales account. */
export function salesAccountOf(settings: AccountingSettings, vatRateBp: number, exemption: VatExemption | null): AccountRef {
  const a = settings.accounts;
  return (exemption ? a.exemptSales?.[exemption] : undefined) ?? a.salesByRate?.[vatRateBp] ?? a.sales;
}

function customerLine(settings: AccountingSettings, client: ClientRef, signedCents: number): DraftLine {
  const aux = settings.customerAuxiliary(client);
  return {
    account: settings.accounts.customers,
    auxiliary: aux ? { number: aux, label: oneLine(client.name) } : null,
    clientName: oneLine(client.name),
    signedCents,
    customer: true,
  };
}

function documentEntry(settings: AccountingSettings, source: AccountingDocument): DraftEntry {
  const doc = source.document;
  const what = `${doc.kind === 'credit_note' ? 'credit note' : 'invoice'} ${doc.number}`;
  dayNumber(doc.issueDate, `${what}: issue date`);
  dayNumber(source.validatedAt, `${what}: validation date`);
  const total = wholeCents(doc.totalCents, `${what}: total`);
  const bases = doc.vat.reduce((s, v) => s + wholeCents(v.baseCents, `${what}: VAT base`), 0);
  const taxes = doc.vat.reduce((s, v) => s + wholeCents(v.taxCents, `${what}: VAT`), 0);
  if (bases !== doc.totalExclTaxCents || taxes !== doc.totalTaxCents || doc.totalExclTaxCents + doc.totalTaxCents !== total) {
    throw AppError.invalid(`${what} does not add up: VAT bases ${bases}, VAT ${taxes}, totals ${doc.totalExclTaxCents} + ${doc.totalTaxCents} = ${total}`);
  }
  if (doc.kind === 'credit_note' ? total > 0 : total < 0) throw AppError.invalid(`${what} has a total of the wrong sign: ${total}`);

  const client: ClientRef = { id: source.clientId, code: source.clientCode, name: doc.buyer.legalName };
  const lines: DraftLine[] = [customerLine(settings, client, total)];
  for (const v of doc.vat) {
    lines.push({ account: salesAccountOf(settings, v.vatRateBp, v.vatExemption), auxiliary: null, clientName: null, signedCents: -v.baseCents, customer: false });
  }
  for (const v of doc.vat) {
    if (v.taxCents === 0) continue;
    const account = settings.accounts.vatCollected[v.vatRateBp];
    if (!account) throw AppError.invalid(`no VAT collected account for ${frenchRate(v.vatRateBp)} in the accounting settings (${what})`);
    lines.push({ account, auxiliary: null, clientName: null, signedCents: -v.taxCents, customer: false });
  }
  const word = doc.kind === 'credit_note' ? 'Avoir' : 'Facture';
  return {
    journal: settings.journals.sales,
    date: doc.issueDate,
    pieceRef: oneLine(doc.number),
    tieBreak: doc.number,
    label: oneLine(`${word} ${doc.number} ${doc.buyer.legalName}`),
    validationDate: source.validatedAt,
    currency: doc.currency,
    lines: lines.filter((l) => l.signedCents !== 0),
    links: [doc.number, ...(doc.kind === 'credit_note' && doc.precedingInvoice ? [doc.precedingInvoice.number] : [])],
    entryNumber: 0,
    letteringCode: null,
    letteringDate: null,
  };
}

function paymentEntry(settings: AccountingSettings, p: AccountingPayment): DraftEntry {
  const what = `payment ${p.reference || p.id}`;
  dayNumber(p.date, `${what}: date`);
  if (p.validatedAt !== undefined) dayNumber(p.validatedAt, `${what}: validation date`);
  if (wholeCents(p.amountCents, `${what}: amount`) <= 0) throw AppError.invalid(`${what}: the amount must be positive, not ${p.amountCents}`);
  const client: ClientRef = { id: p.clientId, code: p.clientCode, name: p.clientName };
  const bank = settings.accounts.bankByMethod?.[p.method] ?? settings.accounts.bank;
  return {
    journal: settings.journals.bank,
    date: p.date,
    pieceRef: oneLine(p.reference) || p.id,
    tieBreak: p.id,
    label: oneLine(`Règlement ${PAYMENT_WORDS[p.method] ?? p.method} ${p.clientName} ${p.invoiceNumbers.join(' ')}`),
    validationDate: p.validatedAt ?? p.date,
    currency: p.currency,
    lines: [{ account: bank, auxiliary: null, clientName: null, signedCents: p.amountCents, customer: false }, customerLine(settings, client, -p.amountCents)],
    links: [...p.invoiceNumbers],
    entryNumber: 0,
    letteringCode: null,
    letteringDate: null,
  };
}

/** 0 → 'AA', 1 → 'AB', 26 → 'BA', 675 → 'ZZ', 676 → 'BAA'. */
export function letteringCodeOf(index: number): string {
  let n = index;
  let code = '';
  do {
    code = String.fromCharCode(65 + (n % 26)) + code;
    n = Math.floor(n / 26);
  } while (n > 0);
  return code.padStart(2, 'A');
}

/** Letters the groups of entries linked by the numbers of the export's documents whose customer lines cancel out. */
function letter(entries: DraftEntry[], numbers: ReadonlySet<string>): void {
  const parent = entries.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i]!)));
  const owner = new Map<string, number>();
  entries.forEach((e, i) => {
    for (const n of e.links) {
      if (!numbers.has(n)) continue;
      const j = owner.get(n);
      if (j === undefined) owner.set(n, i);
      else parent[find(i)] = find(j);
    }
  });
  const groups = new Map<number, DraftEntry[]>();
  entries.forEach((e, i) => groups.set(find(i), [...(groups.get(find(i)) ?? []), e]));
  const lettered = [...groups.values()]
    .filter((group) => {
      if (group.length < 2) return false;
      const customerLines = group.flatMap((e) => e.lines.filter((l) => l.customer));
      const auxiliaries = new Set(customerLines.map((l) => l.auxiliary?.number ?? ''));
      return customerLines.length >= 2 && auxiliaries.size === 1 && customerLines.reduce((s, l) => s + l.signedCents, 0) === 0;
    })
    .map((group) => ({ group, date: group.map((e) => e.date).reduce((a, b) => (a > b ? a : b)), first: group.map((e) => e.pieceRef).sort()[0]! }))
    .sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  lettered.forEach(({ group, date }, i) => {
    for (const e of group) {
      e.letteringCode = letteringCodeOf(i);
      e.letteringDate = date;
    }
  });
}

const compareEntries = (a: DraftEntry, b: DraftEntry) =>
  a.date < b.date ? -1 : a.date > b.date ? 1 : a.pieceRef < b.pieceRef ? -1 : a.pieceRef > b.pieceRef ? 1 : a.tieBreak < b.tieBreak ? -1 : a.tieBreak > b.tieBreak ? 1 : 0;

/**
 * The journal lines of `source`, sorted by date, then journal code, then entry number (lines of an entry
 * stay together: customer, sales per VAT row, VAT per VAT row; bank then customer for a payment).
 */
export function buildJournal(source: JournalSource, settings: AccountingSettings = DEFAULT_ACCOUNTING_SETTINGS): JournalEntry[] {
  checkSingleCurrency(source);
  const numbers = new Set<string>();
  for (const d of source.documents) {
    if (numbers.has(d.document.number)) throw AppError.invalid(`document ${d.document.number} is given twice`);
    numbers.add(d.document.number);
  }
  const entries = [...source.documents.map((d) => documentEntry(settings, d)), ...source.payments.map((p) => paymentEntry(settings, p))].filter((e) => e.lines.length > 0);

  const perJournal = new Map<string, DraftEntry[]>();
  for (const e of entries) perJournal.set(e.journal.code, [...(perJournal.get(e.journal.code) ?? []), e]);
  for (const list of perJournal.values()) list.sort(compareEntries).forEach((e, i) => (e.entryNumber = i + 1));
  letter(entries, numbers);

  entries.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.journal.code < b.journal.code ? -1 : a.journal.code > b.journal.code ? 1 : a.entryNumber - b.entryNumber));
  const lines = entries.flatMap((e) =>
    e.lines.map(
      (l): JournalEntry => ({
        journalCode: e.journal.code,
        journalLabel: e.journal.label,
        entryNumber: e.entryNumber,
        date: e.date,
        accountNumber: l.account.number,
        accountLabel: l.account.label,
        auxiliaryAccount: l.auxiliary?.number ?? null,
        auxiliaryLabel: l.auxiliary?.label ?? null,
        pieceRef: e.pieceRef,
        pieceDate: e.date,
        label: e.label,
        debitCents: l.signedCents > 0 ? l.signedCents : 0,
        creditCents: l.signedCents < 0 ? -l.signedCents : 0,
        currency: e.currency,
        letteringCode: l.customer ? e.letteringCode : null,
        letteringDate: l.customer ? e.letteringDate : null,
        validationDate: e.validationDate,
        clientName: l.clientName,
      }),
    ),
  );
  for (const b of entryBalances(lines)) {
    if (b.debitCents !== b.creditCents) throw new Error(`entry ${b.journalCode} ${b.entryNumber} does not balance: ${b.debitCents} ≠ ${b.creditCents}`);
  }
  return lines;
}
