import { createI18n } from 'vue-i18n';
import { Lang } from 'quasar';
import quasarFr from 'quasar/lang/fr';
import quasarEn from 'quasar/lang/en-GB';
import type { Locale } from '@vigie/core';
import fr, { type MessageSchema } from './fr';
import en from './en';

export const DEFAULT_LOCALE: Locale = 'fr';

export const i18n = createI18n<[MessageSchema], Locale, false>({
  legacy: false,
  locale: DEFAULT_LOCALE,
  fallbackLocale: DEFAULT_LOCALE,
  messages: { fr, en },
});

// Quasar's language packs are typed a bit looser than Lang.set's parameter (formatNumber): same shape at runtime.
type QuasarLangPack = Parameters<typeof Lang.set>[0];
const QUASAR_LANG = { fr: quasarFr as QuasarLangPack, en: quasarEn as QuasarLangPack };

/** Switches the texts, Quasar's own strings (date picker, table) and the document language together. */
export function applyLocale(locale: Locale): void {
  i18n.global.locale.value = locale;
  Lang.set(QUASAR_LANG[locale]);
  document.documentElement.lang = locale;
}

/** Key of a dynamic value (an API action like `user.create`) under a message group: dots are path separators. */
export function dynamicKey(group: string, value: string): string {
  return `${group}.${value.replace(/\./g, '_')}`;
}
