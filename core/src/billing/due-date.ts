/**
 * Due dates from payment terms, and the late-payment mentions French invoices to professionals must carry
 * (Code de commerce, art. L441-9 and L441-10, D441-5).
 *
 * Terms:
 * - `net`: issue date + N days ("30 jours net"; 0 = on receipt).
 * - `end_of_month`: "N jours fin de mois". Practice is debated between two readings; we implement the
 *   common one (also the DGCCRF's usual reading): issue date + N days, then the end of that month. E.g. issued
 *   on 15 January, "30 jours fin de mois" → 14 February → 28 February. The other reading (end of the month of
 *   issue, then + N days → 2 March) is not implemented.
 *
 * The law caps agreed terms at 60 days after issue, or 45 days end of month (L441-10 I); enforcing the cap
 * on a tenant's terms is left to the caller.
 */
import { AppError } from '../errors';
import { addDays, endOfMonth, frenchDate, type LocalDate } from './calendar';

export type PaymentTerms = { kind: 'net'; days: number } | { kind: 'end_of_month'; days: number };

export function dueDate(issueDate: LocalDate, terms: PaymentTerms): LocalDate {
  if (!Number.isSafeInteger(terms.days) || terms.days < 0) throw AppError.invalid(`payment terms need a whole number of days ≥ 0, not ${terms.days}`);
  const plus = addDays(issueDate, terms.days);
  return terms.kind === 'end_of_month' ? endOfMonth(plus) : plus;
}

/** The terms as printed: "30 jours net", "45 jours fin de mois", "à réception". */
export function paymentTermsText(terms: PaymentTerms): string {
  if (terms.kind === 'net') return terms.days === 0 ? 'à réception' : `${terms.days} jours net`;
  return `${terms.days} jours fin de mois`;
}

/**
 * Late-payment penalty rate: the legal default (ECB main refinancing rate + 10 points, L441-10 II), or a
 * fixed annual rate in basis points agreed in the terms of sale (which may not be below three times the
 * legal interest rate — the caller's check, the legal rate changing every half-year).
 */
export type PenaltyRate = { kind: 'ecb_plus_10' } | { kind: 'fixed'; annualRateBp: number };

/** 1250 → "12,5 %", 1000 → "10 %", 1225 → "12,25 %". */
export function frenchPercent(bp: number): string {
  if (!Number.isSafeInteger(bp) || bp < 0) throw AppError.invalid(`a rate in basis points must be a whole number ≥ 0, not ${bp}`);
  const whole = Math.floor(bp / 100);
  const frac = String(bp % 100).padStart(2, '0').replace(/0+$/, '');
  return `${whole}${frac ? `,${frac}` : ''} %`;
}

export interface LatePaymentMentionsInput {
  dueDate: LocalDate;
  terms: PaymentTerms;
  /** A business client: penalties and the 40 € indemnity apply and must be printed. */
  professional: boolean;
  penaltyRate: PenaltyRate;
  /** Discount for early payment, as printed; null → "Pas d'escompte pour paiement anticipé." */
  earlyPaymentDiscount: string | null;
}

/**
 * The subject of a legal mention in an e-invoice (UNTDID 4451), as the French rules on Factur-X ask
 * (BR-FR-05): AAB the early-payment discount, PMD the late-payment penalties, PMT the 40 € indemnity.
 */
export type MentionSubject = 'AAB' | 'PMD' | 'PMT';

export interface LegalMention {
  subject: MentionSubject | null;
  text: string;
}

/** The French lines for the invoice footer, each with its e-invoice subject: see `latePaymentMentions`. */
export function latePaymentNotes(input: LatePaymentMentionsInput): LegalMention[] {
  const lines: LegalMention[] = [{ subject: null, text: `Date d'échéance : ${frenchDate(input.dueDate)} (${paymentTermsText(input.terms)})` }];
  if (!input.professional) return lines;
  const rate =
    input.penaltyRate.kind === 'fixed'
      ? `au taux annuel de ${frenchPercent(input.penaltyRate.annualRateBp)}`
      : 'au taux directeur de la Banque centrale européenne en vigueur majoré de 10 points';
  return [
    ...lines,
    { subject: 'AAB', text: input.earlyPaymentDiscount ?? "Pas d'escompte pour paiement anticipé." },
    { subject: 'PMD', text: `En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la date d'échéance, ${rate}.` },
    { subject: 'PMT', text: 'Une indemnité forfaitaire pour frais de recouvrement de 40 € est due en cas de retard de paiement (art. L441-10 et D441-5 du Code de commerce).' },
  ];
}

/** The French lines for the invoice footer: due date and terms always; the late-payment mentions for professionals. */
export function latePaymentMentions(input: LatePaymentMentionsInput): string[] {
  return latePaymentNotes(input).map((n) => n.text);
}
