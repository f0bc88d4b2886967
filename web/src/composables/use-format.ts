import { useI18n } from 'vue-i18n';
import { useSettingsStore } from '@/stores/settings';

/** Dates in the interface language and in the tenant's time zone (the MSP's day, whatever the browser's). */
export function useFormat() {
  const { locale } = useI18n();
  const settings = useSettingsStore();

  function format(iso: unknown, options: Intl.DateTimeFormatOptions): string {
    if (typeof iso !== 'string' || !iso) return '';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    try {
      return new Intl.DateTimeFormat(locale.value, { ...options, timeZone: settings.settings?.timezone }).format(date);
    } catch {
      return new Intl.DateTimeFormat(locale.value, options).format(date); // unknown time zone: the browser's
    }
  }

  return {
    date: (iso: unknown) => format(iso, { dateStyle: 'medium' }),
    dateTime: (iso: unknown) => format(iso, { dateStyle: 'short', timeStyle: 'medium' }),
  };
}
