import type { Locale, TenantSettings } from '@vigie/core';
import { DEFAULT_PRIMARY } from '@/stores/settings';

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
}

export type FieldBinding = (path: string) => { error: boolean; errorMessage: string | undefined; name: string };

export function draftFrom(s: TenantSettings | null): SettingsDraft {
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
  };
}

export type SettingsTab = 'legal' | 'branding' | 'preferences';
export const SETTINGS_TABS: SettingsTab[] = ['legal', 'branding', 'preferences'];

/** The tab that shows a field, to point at errors hidden in another tab. */
export function tabOf(path: string): SettingsTab {
  if (path.startsWith('branding.')) return 'branding';
  if (['locale', 'currency', 'timezone'].includes(path)) return 'preferences';
  return 'legal';
}
