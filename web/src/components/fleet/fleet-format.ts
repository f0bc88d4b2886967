import { useI18n } from 'vue-i18n';
import { useSettingsStore } from '@/stores/settings';

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
];

/** "il y a 2 minutes", "hier": the largest unit that fits (seconds under a minute). */
export function relativeTime(iso: string | null | undefined, now: number, locale: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return '';
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
  for (const [unit, size] of UNITS) if (Math.abs(ms) >= size || unit === 'second') return format.format(Math.round(ms / size), unit);
  return '';
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** Bytes in powers of 1024, as systems report memory and disks: "7,8 Go" in French, "7.8 GB" in English. */
export function formatBytes(bytes: number | null | undefined, locale: string, perSecond = false): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes)) return '';
  let value = Math.abs(bytes);
  let i = 0;
  while (value >= 1024 && i < BYTE_UNITS.length - 1) {
    value /= 1024;
    i += 1;
  }
  const unit = perSecond ? `${BYTE_UNITS[i]}-per-second` : BYTE_UNITS[i]!;
  return new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short', maximumFractionDigits: value < 10 && i > 0 ? 1 : 0 }).format(Math.sign(bytes) * value);
}

export function formatPercent(value: number | null | undefined, locale: string): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '';
  return new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: value < 10 ? 1 : 0 }).format(value / 100);
}

/** Memory in use as a share of the total, when both are known. */
export function memoryPercent(used: number | null | undefined, total: number | null | undefined): number | null {
  return typeof used === 'number' && typeof total === 'number' && total > 0 ? (100 * used) / total : null;
}

/**
 * The one-line installs shown with a new enrollment token. The scripts themselves are served by the API
 * (`/api/v1/agents/install/linux.sh`, `/api/v1/agents/install/windows.ps1`); each enrolls the agent with the token, then installs its service.
 */
export function installCommands(origin: string, token: string): { linux: string; windows: string } {
  const server = origin.replace(/\/+$/, '');
  return {
    linux: `curl -fsSL ${server}/api/v1/agents/install/linux.sh | sudo sh -s -- --url ${server} --token ${token}`,
    windows: `& ([scriptblock]::Create((irm '${server}/api/v1/agents/install/windows.ps1'))) -Url '${server}' -Token '${token}'`,
  };
}

/** Times on charts in the interface language and the tenant's time zone (the MSP's clock, whatever the browser's). */
export function useChartTime() {
  const { locale } = useI18n();
  const settings = useSettingsStore();
  const formatter = (options: Intl.DateTimeFormatOptions) => {
    try {
      return new Intl.DateTimeFormat(locale.value, { timeZone: settings.settings?.timezone, ...options });
    } catch {
      return new Intl.DateTimeFormat(locale.value, options);
    }
  };
  return {
    /** Axis labels: the hour for a day or less, the date beyond. */
    axis: (ms: number, long: boolean) => formatter(long ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit' }).format(ms),
    /** Tooltips: date and time. */
    full: (ms: number) => formatter({ dateStyle: 'short', timeStyle: 'short' }).format(ms),
  };
}
