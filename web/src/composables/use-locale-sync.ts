import { computed, watch } from 'vue';
import type { Locale } from '@vigie/core';
import { applyLocale, DEFAULT_LOCALE } from '@/i18n';
import { updateTitle } from '@/router';
import { useAuthStore } from '@/stores/auth';
import { usePreferencesStore } from '@/stores/preferences';
import { useSettingsStore } from '@/stores/settings';

/** The language shown: the choice made in this browser, else the user's, else the tenant's, else French. */
export function useLocaleSync() {
  const prefs = usePreferencesStore();
  const auth = useAuthStore();
  const settings = useSettingsStore();
  const locale = computed<Locale>(
    () => prefs.language ?? auth.user?.locale ?? settings.settings?.locale ?? DEFAULT_LOCALE,
  );
  watch(
    locale,
    (value) => {
      applyLocale(value);
      updateTitle();
    },
    { immediate: true },
  );
  return { locale };
}
