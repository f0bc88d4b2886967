import type { Opportunity } from '@vigie/core';
import { centsToInput, parseMoneyToCents } from '@/utils/money';

/** What the opportunity forms edit: the amount as typed (euros), probability and dates as the inputs hold them. */
export interface OpportunityDraft {
  title: string;
  amount: string;
  /** '' = the stage's probability. */
  probability: string | number | null;
  expectedCloseDate: string;
  nextAction: string;
}

export function draftFromOpportunity(o: Opportunity | null, locale: string): OpportunityDraft {
  return {
    title: o?.title ?? '',
    amount: o ? centsToInput(o.amountCents, locale) : '',
    probability: o?.probabilityOverride ?? '',
    expectedCloseDate: o?.expectedCloseDate ?? '',
    nextAction: o?.nextAction ?? '',
  };
}

const blankish = (v: unknown) => v === '' || v === null || v === undefined || (typeof v === 'string' && v.trim() === '');

/** The fields both forms send; an empty amount stays undefined (the schema says "required"). */
export function prepareOpportunity(d: OpportunityDraft, locale: string) {
  return {
    title: d.title,
    amountCents: blankish(d.amount) ? undefined : parseMoneyToCents(d.amount, locale),
    probability: blankish(d.probability) ? null : Number(d.probability),
    expectedCloseDate: d.expectedCloseDate || null,
    nextAction: d.nextAction,
  };
}

/** The model's `amount` shows the errors of the body's `amountCents`. */
export const OPPORTUNITY_ALIASES = { amountCents: 'amount' };
