import { computed, reactive } from 'vue';
import type { z } from 'zod';
import type { Address, Client, ClientStatus } from '@vigie/core';
import { issueMessage } from '@/i18n/validation';
import { centsToInput, parseMoneyToCents } from '@/utils/money';
import { getPath } from '@/utils/paths';

/** What the client forms edit: every field as the inputs hold it (identifiers as typed, with spaces). */
export interface ClientDraft {
  name: string;
  siren: string;
  siret: string;
  vatNumber: string;
  status: ClientStatus;
  paymentTermsDays: number | string | null;
  paymentTermsEndOfMonth: boolean;
  currency: string;
  billingAddress: Address;
  tags: string[];
  notes: string;
  /** Hourly rate for time outside any contract, as typed; empty: the tenant's default. */
  hourlyRate: string;
}

export const blankAddress = (): Address => ({ line1: '', line2: '', postalCode: '', city: '', country: 'FR' });

export function draftFromClient(c: Client | null, locale = 'fr'): ClientDraft {
  return {
    name: c?.name ?? '',
    siren: c?.siren ?? '',
    siret: c?.siret ?? '',
    vatNumber: c?.vatNumber ?? '',
    status: c?.status ?? 'prospect',
    paymentTermsDays: c?.paymentTermsDays ?? 30,
    paymentTermsEndOfMonth: c?.paymentTermsEndOfMonth ?? false,
    currency: c?.currency ?? 'EUR',
    billingAddress: { ...blankAddress(), ...c?.billingAddress },
    tags: [...(c?.tags ?? [])],
    notes: c?.notes ?? '',
    hourlyRate: c?.hourlyRateCents === null || c?.hourlyRateCents === undefined ? '' : centsToInput(c.hourlyRateCents, locale),
  };
}

/** The hourly rate as typed: empty is none (null: the tenant's default), unreadable is NaN (the schema refuses it). */
export const hourlyRateCents = (text: string, locale = 'fr') => (text.trim() === '' ? null : parseMoneyToCents(text, locale));

/** An empty identifier is "none" (null clears it on an update). */
export const identifierOrNull = (value: string) => (value.trim() === '' ? null : value.trim());

/** The body of PATCH /clients/:id from the whole draft. */
export function prepareClient(d: ClientDraft, locale = 'fr') {
  return {
    name: d.name,
    siren: identifierOrNull(d.siren),
    siret: identifierOrNull(d.siret),
    vatNumber: identifierOrNull(d.vatNumber),
    status: d.status,
    // An emptied number input gives '': sent as NaN, the schema says what is wrong.
    paymentTermsDays: d.paymentTermsDays === '' || d.paymentTermsDays === null ? Number.NaN : Number(d.paymentTermsDays),
    paymentTermsEndOfMonth: d.paymentTermsEndOfMonth,
    currency: d.currency.trim().toUpperCase(),
    billingAddress: { ...d.billingAddress, country: d.billingAddress.country.trim().toUpperCase() },
    tags: d.tags,
    notes: d.notes,
    hourlyRateCents: hourlyRateCents(d.hourlyRate, locale),
  };
}

export const IDENTIFIERS = ['siren', 'siret', 'vatNumber'] as const;
export type Identifier = (typeof IDENTIFIERS)[number];

/** Digits a complete identifier has: checked while typing from there on (VAT numbers: when leaving the field). */
const COMPLETE_AT: Record<Identifier, number | undefined> = { siren: 9, siret: 14, vatNumber: undefined };

export type FieldBinding = (path: string) => { error: boolean; errorMessage: string | undefined; name: string };

/**
 * SIREN, SIRET and VAT number checked as they are typed, with the very schema the API applies (Luhn keys,
 * the SIRET starting with the SIREN, the French VAT key): an identifier is judged once it is complete or
 * when the field is left, so nobody is told "invalid" after the first digit.
 */
export function useLiveIdentifiers<S extends z.ZodType>(schema: S, body: () => unknown, field: FieldBinding) {
  const left = reactive(new Set<Identifier>());

  const issues = computed(() => {
    const value = body();
    const result = schema.safeParse(value);
    const byPath: Partial<Record<Identifier, string>> = {};
    if (result.success) return byPath;
    for (const issue of result.error.issues) {
      const path = issue.path.map(String).join('.') as Identifier;
      if (IDENTIFIERS.includes(path) && !byPath[path]) byPath[path] = issueMessage(issue, path, getPath(value, path));
    }
    return byPath;
  });

  function typed(path: Identifier): string {
    const value = getPath(body(), path);
    return typeof value === 'string' ? value : '';
  }

  function judged(path: Identifier): boolean {
    const raw = typed(path);
    if (!raw) return false;
    const complete = COMPLETE_AT[path];
    return left.has(path) || (complete !== undefined && raw.replace(/\D/g, '').length >= complete);
  }

  return {
    /** The field's binding: the submit's error first, else the live one. */
    bind(path: Identifier) {
      const submitted = field(path);
      const live = judged(path) ? issues.value[path] : undefined;
      return submitted.error || !live ? submitted : { ...submitted, error: true, errorMessage: live };
    },
    /** A complete identifier the schema accepts: the field shows a check mark. */
    valid: (path: Identifier) => judged(path) && !issues.value[path] && !field(path).error,
    leave: (path: Identifier) => left.add(path),
    reset: () => left.clear(),
  };
}
