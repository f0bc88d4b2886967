import { computed, ref, watch } from 'vue';
import { defineStore } from 'pinia';
import { setCssVar } from 'quasar';
import { DEFAULT_TENANT_SETTINGS, type TenantBranding, type TenantSettings, type UpdateTenantSettingsBody } from '@vigie/core';
import * as settingsApi from '@/api/settings';
import { ApiError } from '@/api/http';
import { isHexColor, isLight } from '@/utils/color';
import { useAuthStore } from './auth';

/** Vigie's own colour: the login page and any session without tenant settings. */
export const DEFAULT_PRIMARY = DEFAULT_TENANT_SETTINGS.branding.primaryColor;

export const useSettingsStore = defineStore('settings', () => {
  const auth = useAuthStore();
  const settings = ref<TenantSettings | null>(null);
  /** blob: URL of the logo (the image needs the bearer token, so no plain URL). */
  const logoSrc = ref<string | null>(null);
  /** What client users may see of the tenant (they cannot read the settings). */
  const portalBranding = ref<TenantBranding | null>(null);
  /** A colour being tried in the settings form, shown live before it is saved. */
  const previewColor = ref<string | null>(null);

  const primaryColor = computed(() => {
    const candidate = previewColor.value ?? settings.value?.branding.primaryColor ?? portalBranding.value?.branding.primaryColor;
    return isHexColor(candidate) ? candidate : DEFAULT_PRIMARY;
  });
  const primaryIsLight = computed(() => isLight(primaryColor.value));

  // On <html> (Quasar's default is <body>): one place for the whole page, and what `:root` styles read.
  watch(primaryColor, (color) => setCssVar('primary', color, document.documentElement), { immediate: true });

  let loading: Promise<void> | null = null;
  /** Loads once per session (staff only: clients may not read the tenant settings). */
  function ensureLoaded(): Promise<void> {
    loading ??= getAndKeep().catch((err: unknown) => {
      loading = null; // let a later call retry
      throw err;
    });
    return loading;
  }

  async function getAndKeep(): Promise<void> {
    settings.value = await settingsApi.getSettings();
  }

  async function save(body: UpdateTenantSettingsBody): Promise<TenantSettings> {
    settings.value = await settingsApi.updateSettings(body);
    previewColor.value = null;
    return settings.value;
  }

  async function uploadLogo(file: File): Promise<void> {
    settings.value = await settingsApi.uploadLogo(file);
  }

  async function removeLogo(): Promise<void> {
    settings.value = await settingsApi.deleteLogo();
  }

  // The logo follows branding.logoUrl, which changes (?v=n) on every upload.
  watch(
    () => settings.value?.branding.logoUrl ?? null,
    (url) => showLogo(url ? () => settingsApi.fetchLogo(url) : null),
  );

  /** Client users cannot read the settings: the branding endpoint gives them the name, colour and logo. */
  async function loadPortalBranding(): Promise<void> {
    portalBranding.value = await settingsApi.getBranding();
    const url = portalBranding.value.branding.logoUrl;
    await showLogo(url ? () => settingsApi.fetchLogo(url) : null);
  }

  async function showLogo(fetchBlob: (() => Promise<Blob>) | null): Promise<void> {
    let next: string | null = null;
    if (fetchBlob) {
      try {
        next = URL.createObjectURL(await fetchBlob());
      } catch (err) {
        if (!(err instanceof ApiError)) throw err; // 404 (no logo) or network: show the name alone
      }
    }
    if (logoSrc.value) URL.revokeObjectURL(logoSrc.value);
    logoSrc.value = next;
  }

  function reset(): void {
    settings.value = null;
    portalBranding.value = null;
    previewColor.value = null;
    loading = null;
    void showLogo(null);
  }

  // Logging out (or an expired session) returns to Vigie's look for the login page.
  watch(
    () => auth.user?.id,
    (_id, previous) => {
      if (previous !== undefined) reset();
    },
  );

  return {
    settings,
    portalBranding,
    logoSrc,
    previewColor,
    primaryColor,
    primaryIsLight,
    ensureLoaded,
    save,
    uploadLogo,
    removeLogo,
    loadPortalBranding,
    reset,
  };
});
