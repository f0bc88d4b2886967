import { ref, watch } from 'vue';
import { defineStore } from 'pinia';
import { Dark } from 'quasar';
import { LOCALES, type Locale } from '@vigie/core';
import { readJson, writeJson } from '@/utils/storage';
import { useAuthStore } from './auth';

const LANGUAGE_KEY = 'vigie.language';
const DARK_KEY = 'vigie.dark';
const columnsKey = (userId: string, listId: string) => `vigie.columns.${userId}.${listId}`;

type DarkMode = boolean | 'auto';

function storedLanguage(): Locale | null {
  const value = readJson<string>(LANGUAGE_KEY);
  return LOCALES.find((l) => l === value) ?? null;
}

/** Choices of this browser's user: language, dark mode, and the columns shown in each list. */
export const usePreferencesStore = defineStore('preferences', () => {
  const auth = useAuthStore();
  /** null: no explicit choice, the user's then the tenant's locale applies. */
  const language = ref<Locale | null>(storedLanguage());
  const dark = ref<DarkMode>(readJson<DarkMode>(DARK_KEY) ?? 'auto');

  watch(language, (value) => writeJson(LANGUAGE_KEY, value));
  watch(
    dark,
    (value) => {
      Dark.set(value);
      writeJson(DARK_KEY, value);
    },
    { immediate: true },
  );

  function toggleDark(): void {
    dark.value = !Dark.isActive;
  }

  /** The column names the user chose for a list, or undefined for the list's defaults. */
  function visibleColumns(listId: string): string[] | undefined {
    return auth.user ? readJson<string[]>(columnsKey(auth.user.id, listId)) : undefined;
  }

  function setVisibleColumns(listId: string, names: string[]): void {
    if (auth.user) writeJson(columnsKey(auth.user.id, listId), names);
  }

  return { language, dark, toggleDark, visibleColumns, setVisibleColumns };
});
