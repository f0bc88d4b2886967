import fc from 'fast-check';
import { addDays, dayNumber, endOfMonth } from './calendar';
import { dueDate, frenchPercent, latePaymentMentions, paymentTermsText } from './due-date';

describe('due dates', () => {
  it('counts net days', () => {
    expect(dueDate('2027-01-15', { kind: 'net', days: 30 })).toBe('2027-02-14');
    expect(dueDate('2027-01-15', { kind: 'net', days: 0 })).toBe('2027-01-15');
    expect(dueDate('2027-12-20', { kind: 'net', days: 15 })).toBe('2028-01-04');
  });

  it('reads "N jours fin de mois" as date + N days, then end of that month', () => {
    expect(dueDate('2027-01-15', { kind: 'end_of_month', days: 30 })).toBe('2027-02-28'); // 14 Feb → 28 Feb
    expect(dueDate('2028-01-15', { kind: 'end_of_month', days: 30 })).toBe('2028-02-29'); // leap year
    expect(dueDate('2027-01-31', { kind: 'end_of_month', days: 30 })).toBe('2027-03-31'); // 2 Mar → 31 Mar
    expect(dueDate('2027-01-10', { kind: 'end_of_month', days: 45 })).toBe('2027-02-28'); // 24 Feb
    expect(dueDate('2027-03-31', { kind: 'end_of_month', days: 0 })).toBe('2027-03-31');
  });

  it('refuses negative or fractional days', () => {
    expect(() => dueDate('2027-01-15', { kind: 'net', days: -1 })).toThrow(/days/);
    expect(() => dueDate('2027-01-15', { kind: 'net', days: 1.5 })).toThrow(/days/);
  });

  it('end of month is never before net and within the same month as net', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30_000 }), fc.integer({ min: 0, max: 90 }), (day, days) => {
        const issue = addDays('2000-01-01', day);
        const net = dueDate(issue, { kind: 'net', days });
        const eom = dueDate(issue, { kind: 'end_of_month', days });
        return dayNumber(eom) >= dayNumber(net) && eom === endOfMonth(net) && eom.slice(0, 7) === net.slice(0, 7);
      }),
    );
  });
});

describe('late-payment mentions', () => {
  it('prints rates in French', () => {
    expect(frenchPercent(1000)).toBe('10 %');
    expect(frenchPercent(1250)).toBe('12,5 %');
    expect(frenchPercent(1225)).toBe('12,25 %');
    expect(frenchPercent(5)).toBe('0,05 %');
  });

  it('prints terms', () => {
    expect(paymentTermsText({ kind: 'net', days: 0 })).toBe('à réception');
    expect(paymentTermsText({ kind: 'net', days: 30 })).toBe('30 jours net');
    expect(paymentTermsText({ kind: 'end_of_month', days: 45 })).toBe('45 jours fin de mois');
  });

  it('gives professionals the penalty rate, the 40 € indemnity and the discount terms', () => {
    expect(
      latePaymentMentions({ dueDate: '2027-02-28', terms: { kind: 'end_of_month', days: 30 }, professional: true, penaltyRate: { kind: 'fixed', annualRateBp: 1250 }, earlyPaymentDiscount: null }),
    ).toEqual([
      "Date d'échéance : 28/02/2027 (30 jours fin de mois)",
      "Pas d'escompte pour paiement anticipé.",
      "En cas de retard de paiement, des pénalités sont exigibles dès le lendemain de la date d'échéance, au taux annuel de 12,5 %.",
      'Une indemnité forfaitaire pour frais de recouvrement de 40 € est due en cas de retard de paiement (art. L441-10 et D441-5 du Code de commerce).',
    ]);
    const ecb = latePaymentMentions({ dueDate: '2027-02-14', terms: { kind: 'net', days: 30 }, professional: true, penaltyRate: { kind: 'ecb_plus_10' }, earlyPaymentDiscount: 'Escompte de 1 % pour paiement sous 8 jours.' });
    expect(ecb[1]).toBe('Escompte de 1 % pour paiement sous 8 jours.');
    expect(ecb[2]).toMatch(/Banque centrale européenne en vigueur majoré de 10 points\.$/);
  });

  it('gives consumers the due date only', () => {
    expect(latePaymentMentions({ dueDate: '2027-02-14', terms: { kind: 'net', days: 30 }, professional: false, penaltyRate: { kind: 'ecb_plus_10' }, earlyPaymentDiscount: null })).toEqual([
      "Date d'échéance : 14/02/2027 (30 jours net)",
    ]);
  });
});
