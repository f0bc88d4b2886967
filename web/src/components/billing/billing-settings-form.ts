import type { BillingSettings, BillingSettingsView, DunningKind } from '@vigie/core';

export const DUNNING_KINDS: readonly DunningKind[] = ['reminder', 'second_reminder', 'formal_notice'];
/** The API keeps at most three steps, one of each kind. */
export const MAX_DUNNING_STEPS = 3;

/** What the billing settings form edits: numbers as typed. */
export interface BillingSettingsDraft {
  termsKind: 'net' | 'end_of_month';
  termsDays: string;
  penaltyKind: 'ecb_plus_10' | 'fixed';
  /** Annual rate in percent, as typed ("12,5"). */
  penaltyRate: string;
  dunningSteps: { key: number; kind: DunningKind; offsetDays: string }[];
  iban: string;
  bic: string;
  earlyPaymentDiscount: string;
  footer: string;
  runFrequency: BillingSettings['runFrequency'];
  autoValidate: boolean;
}

let nextKey = 1;
export const stepKey = () => nextKey++;

/** "12,5" → 1 250 basis points; NaN when it is not a percentage with at most two decimals. */
export function percentToBp(text: string): number {
  const match = /^(\d{1,3})(?:[.,](\d{1,2}))?\s*%?$/.exec(text.trim());
  if (!match) return Number.NaN;
  return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
}

export function bpToPercent(bp: number, locale: string): string {
  const text = String(bp / 100);
  return locale.startsWith('fr') ? text.replace('.', ',') : text;
}

/** IBAN in groups of four, as printed. */
export const groupIban = (iban: string) => iban.replace(/(.{4})/g, '$1 ').trim();

const int = (text: string) => (/^-?\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

export function draftFromSettings(s: BillingSettingsView | null, locale: string): BillingSettingsDraft {
  return {
    termsKind: s?.paymentTerms.kind ?? 'net',
    termsDays: String(s?.paymentTerms.days ?? 30),
    penaltyKind: s?.penaltyRate.kind ?? 'ecb_plus_10',
    penaltyRate: s?.penaltyRate.kind === 'fixed' ? bpToPercent(s.penaltyRate.annualRateBp, locale) : '',
    dunningSteps: (s?.dunningSteps ?? []).map((step) => ({ key: stepKey(), kind: step.kind, offsetDays: String(step.offsetDays) })),
    iban: groupIban(s?.iban ?? ''),
    bic: s?.bic ?? '',
    earlyPaymentDiscount: s?.earlyPaymentDiscount ?? '',
    footer: s?.footer ?? '',
    runFrequency: s?.runFrequency ?? 'monthly',
    autoValidate: s?.autoValidate ?? false,
  };
}

/** The PATCH body: every setting (what the server keeps is what the page shows). */
export function prepareSettings(d: BillingSettingsDraft) {
  return {
    paymentTerms: { kind: d.termsKind, days: int(d.termsDays) },
    penaltyRate: d.penaltyKind === 'fixed' ? { kind: 'fixed' as const, annualRateBp: percentToBp(d.penaltyRate) } : { kind: 'ecb_plus_10' as const },
    dunningSteps: d.dunningSteps.map((s) => ({ offsetDays: int(s.offsetDays), kind: s.kind })),
    iban: d.iban,
    bic: d.bic,
    earlyPaymentDiscount: d.earlyPaymentDiscount.trim() ? d.earlyPaymentDiscount.trim() : null,
    footer: d.footer,
    runFrequency: d.runFrequency,
    autoValidate: d.autoValidate,
  };
}

export const SETTINGS_ALIASES: Record<string, string> = {
  'paymentTerms.days': 'termsDays',
  'paymentTerms.kind': 'termsKind',
  'penaltyRate.annualRateBp': 'penaltyRate',
  'penaltyRate.kind': 'penaltyKind',
};
export const SETTINGS_FIELDS: string[] = Array.from({ length: MAX_DUNNING_STEPS }, (_, i) => [`dunningSteps.${i}.offsetDays`, `dunningSteps.${i}.kind`]).flat();
