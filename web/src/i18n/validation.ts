import type { z } from 'zod';
import { i18n } from './index';

type Issue = z.core.$ZodIssue;

/** A field's own wording (`validation.fields.legal_siren`) beats the generic one for format problems. */
function fieldMessage(path: string): string | undefined {
  const key = `validation.fields.${path.replace(/\./g, '_')}`;
  return i18n.global.te(key) ? i18n.global.t(key) : undefined;
}

/**
 * Rules of @vigie/core whose English message says more than "invalid" (a SIRET that is not of this SIREN,
 * a wrong VAT key, a duplicate): worded again in the interface language, with their parameters.
 */
const KNOWN_RULES: { match: RegExp; key: string; params?: (m: RegExpExecArray) => Record<string, string> }[] = [
  { match: /SIRET must begin with the SIREN/i, key: 'validation.rules.siretNotSiren' },
  { match: /French VAT number is not that of the SIREN/i, key: 'validation.rules.vatNotSiren' },
  { match: /key should be (\w+) for SIREN (\d+)/i, key: 'validation.rules.vatKey', params: (m) => ({ key: m[1]!, siren: m[2]! }) },
  { match: /a French VAT number is FR/i, key: 'validation.rules.vatFrench' },
  { match: /unknown EU country prefix "([^"]*)"/i, key: 'validation.rules.vatCountry', params: (m) => ({ country: m[1]! }) },
  { match: /not a valid (\w+) VAT number format/i, key: 'validation.rules.vatFormat', params: (m) => ({ country: m[1]! }) },
  { match: /already used by (.+)$/i, key: 'validation.rules.duplicate', params: (m) => ({ name: m[1]! }) },
  { match: /^client "(.+)" already exists$/i, key: 'validation.rules.duplicate', params: (m) => ({ name: m[1]! }) },
  { match: /^same (\w+) as row (\d+)$/i, key: 'validation.rules.sameAsRow', params: (m) => ({ field: m[1]!, row: m[2]! }) },
  { match: /^must be in the future$/i, key: 'validation.rules.future' },
  { match: /^must not be before the start$/i, key: 'validation.rules.endBeforeStart' },
  { match: /^unknown placeholder (.+); allowed:/i, key: 'supportSettings.problems.unknownPlaceholder', params: (m) => ({ names: m[1]! }) },
  // Billing
  { match: /0 % line needs a VAT exemption reason/i, key: 'billing.problems.exemptionRequired' },
  { match: /^offsets must increase$/i, key: 'billing.problems.offsetsIncrease' },
  { match: /^each kind once$/i, key: 'billing.problems.kindOnce' },
  { match: /^first day of the (month|quarter|year)$/i, key: 'billing.problems.periodStart' },
  { match: /^must be on or after from$/i, key: 'billing.problems.rangeOrder' },
  { match: /^a range is at most one year/i, key: 'billing.problems.rangeYear' },
  // Zod's own wording, as the API sends it in the CSV import report (no issue code there).
  { match: /^Too small: expected string to have >=1 characters?$/i, key: 'validation.required' },
  { match: /^Invalid input: expected \w+, received undefined$/i, key: 'validation.required' },
  { match: /^Invalid email address$/i, key: 'validation.email' },
];

export function ruleMessage(message: string): string | undefined {
  for (const rule of KNOWN_RULES) {
    const m = rule.match.exec(message);
    if (m) return i18n.global.t(rule.key, rule.params?.(m) ?? {});
  }
  return undefined;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/**
 * Zod's messages (and the custom ones in @vigie/core) are English: each issue is worded again from its
 * code and parameters, in the interface language.
 */
export function issueMessage(issue: Issue, path: string, value: unknown): string {
  const { t } = i18n.global;
  const own = fieldMessage(path);
  if (issue.code === 'custom' && !isEmpty(value)) {
    const rule = ruleMessage(issue.message);
    if (rule) return rule;
  }
  if (isEmpty(value) && issue.code !== 'too_big') return issue.code === 'custom' && own ? own : t('validation.required');
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return issue.exact ? t('validation.exactLength', { length: Number(issue.minimum) }) : t('validation.minLength', { min: Number(issue.minimum) });
      return own ?? t('validation.min', { min: Number(issue.minimum) });
    case 'too_big':
      if (issue.origin === 'string') return issue.exact ? t('validation.exactLength', { length: Number(issue.maximum) }) : t('validation.maxLength', { max: Number(issue.maximum) });
      return own ?? t('validation.max', { max: Number(issue.maximum) });
    case 'invalid_format':
      if (issue.format === 'email') return t('validation.email');
      if (issue.format === 'uuid' || issue.format === 'guid') return own ?? t('validation.uuid');
      if (issue.format === 'datetime' || issue.format === 'date') return t('validation.date');
      return own ?? t('validation.format');
    case 'invalid_value':
      return own ?? t('validation.choice');
    default:
      return own ?? t('validation.invalid');
  }
}

/** A field error from the API (its code is a zod issue code, its message English). */
export function serverFieldMessage(path: string, code: string | undefined, message: string): string {
  const rule = ruleMessage(message);
  if (rule) return rule;
  const own = fieldMessage(path);
  if (own) return own;
  if (code === 'invalid_format') return i18n.global.t('validation.format');
  if (code === 'invalid_value') return i18n.global.t('validation.choice');
  return message;
}
