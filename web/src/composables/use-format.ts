import { useI18n } from 'vue-i18n';
import { formatHours } from '@/utils/hours';
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
      return new Intl.DateTimeFormat(locale.value, { timeZone: settings.settings?.timezone, ...options }).format(date);
    } catch {
      return new Intl.DateTimeFormat(locale.value, { ...options, timeZone: undefined }).format(date); // unknown time zone: the browser's
    }
  }

  /** The tenant's currency, for amounts that carry none. */
  const tenantCurrency = () => settings.settings?.currency ?? 'EUR';

  function money(cents: unknown, currency?: string): string {
    if (typeof cents !== 'number' || !Number.isFinite(cents)) return '';
    const code = currency ?? tenantCurrency();
    try {
      return new Intl.NumberFormat(locale.value, { style: 'currency', currency: code }).format(cents / 100);
    } catch {
      return `${(cents / 100).toFixed(2)} ${code}`; // a code Intl does not know
    }
  }

  return {
    /** Minutes as hours: "12 h 30", "10 h"; signed: "+10 h", "−2 h" (hour banks, ledgers). */
    hours: (minutes: unknown, signed = false) => (typeof minutes === 'number' && Number.isFinite(minutes) ? formatHours(minutes, locale.value, signed) : ''),
    date: (iso: unknown) => format(iso, { dateStyle: 'medium' }),
    dateTime: (iso: unknown) => format(iso, { dateStyle: 'short', timeStyle: 'medium' }),
    /** Date and time to the minute (deadlines): "12/03/2026 14:30". */
    dateTimeShort: (iso: unknown) => format(iso, { dateStyle: 'short', timeStyle: 'short' }),
    /** A calendar day (YYYY-MM-DD) is the same day everywhere: formatted in UTC, never shifted by a zone. */
    day: (ymd: unknown) => (typeof ymd === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(ymd) ? format(`${ymd}T12:00:00Z`, { dateStyle: 'medium', timeZone: 'UTC' }) : ''),
    /** A month (YYYY-MM), short: "janv. 2027". */
    month: (ym: string, style: 'short' | 'long' = 'short') => format(`${ym}-15T12:00:00Z`, { month: style, year: 'numeric', timeZone: 'UTC' }),
    money,
    tenantCurrency,
    /** A file size in the unit that reads best (Ko / Mo in French). */
    bytes: (size: unknown) => {
      if (typeof size !== 'number') return '';
      const [value, unit] = size < 1024 ? [size, 'byte'] : size < 1024 ** 2 ? [size / 1024, 'kilobyte'] : [size / 1024 ** 2, 'megabyte'];
      return new Intl.NumberFormat(locale.value, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
    },
    percent: (value: unknown) => (typeof value === 'number' ? new Intl.NumberFormat(locale.value, { style: 'percent' }).format(value / 100) : ''),
  };
}
