import type { z } from 'zod';
import { i18n } from './index';

type Issue = z.core.$ZodIssue;

/** A field's own wording (`validation.fields.legal_siren`) beats the generic one for format problems. */
function fieldMessage(path: string): string | undefined {
  const key = `validation.fields.${path.replace(/\./g, '_')}`;
  return i18n.global.te(key) ? i18n.global.t(key) : undefined;
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
  const own = fieldMessage(path);
  if (own) return own;
  if (code === 'invalid_format') return i18n.global.t('validation.format');
  if (code === 'invalid_value') return i18n.global.t('validation.choice');
  return message;
}
