import type { Locale, TenantSettings, UpdateTenantSettingsBody } from '@vigie/core';
import { DEFAULT_PRIMARY } from '@/stores/settings';
import { centsToInput, parseMoneyToCents } from '@/utils/money';

/** What the settings form edits: every field as a string the inputs can hold. */
export interface SettingsDraft {
  name: string;
  legal: {
    legalName: string;
    legalForm: string;
    siren: string;
    siret: string;
    vatNumber: string;
    shareCapital: string;
    rcs: string;
    address: { line1: string; line2: string; postalCode: string; city: string; country: string };
  };
  branding: { primaryColor: string };
  locale: Locale;
  currency: string;
  timezone: string;
  /** The hourly rate for clients without their own, as typed ("72,50"); empty: none. */
  defaultHourlyRate: string;
}

export type FieldBinding = (path: string) => { error: boolean; errorMessage: string | undefined; name: string };

/** An amount as typed to cents: empty is none (null), unreadable is NaN (the schema refuses it). */
export const rateCents = (text: string, locale: string): number | null => (text.trim() === '' ? null : parseMoneyToCents(text, locale));

export function draftFrom(s: TenantSettings | null, locale = 'fr'): SettingsDraft {
  const legal = s?.legal;
  const address = legal?.address;
  return {
    name: s?.name ?? '',
    legal: {
      legalName: legal?.legalName ?? '',
      legalForm: legal?.legalForm ?? '',
      siren: legal?.siren ?? '',
      siret: legal?.siret ?? '',
      vatNumber: legal?.vatNumber ?? '',
      shareCapital: legal?.shareCapital ?? '',
      rcs: legal?.rcs ?? '',
      address: {
        line1: address?.line1 ?? '',
        line2: address?.line2 ?? '',
        postalCode: address?.postalCode ?? '',
        city: address?.city ?? '',
        country: address?.country ?? 'FR',
      },
    },
    branding: { primaryColor: s?.branding.primaryColor ?? DEFAULT_PRIMARY },
    locale: s?.locale ?? 'fr',
    currency: s?.currency ?? 'EUR',
    timezone: s?.timezone ?? 'Europe/Paris',
    defaultHourlyRate: s?.defaultHourlyRateCents === null || s?.defaultHourlyRateCents === undefined ? '' : centsToInput(s.defaultHourlyRateCents, locale),
  };
}

/** The body sent: the draft as it is, but the rate in cents. */
export function prepareSettings(d: SettingsDraft, locale: string): UpdateTenantSettingsBody {
  const { defaultHourlyRate, ...rest } = d;
  return { ...rest, defaultHourlyRateCents: rateCents(defaultHourlyRate, locale) };
}

export type SettingsTab = 'legal' | 'branding' | 'preferences';
export const SETTINGS_TABS: SettingsTab[] = ['legal', 'branding', 'preferences'];

/** The tab that shows a field, to point at errors hidden in another tab. */
export function tabOf(path: string): SettingsTab {
  if (path.startsWith('branding.')) return 'branding';
  if (['locale', 'currency', 'timezone', 'defaultHourlyRate'].includes(path)) return 'preferences';
  return 'legal';
}
