import { reactive } from 'vue';
import type { AlertRule, AlertScope } from '@vigie/core';
import { getClient } from '@/api/clients';
import { getMachine } from '@/api/fleet';
import { getSite } from '@/api/rmm';
import { formatBytes } from '@/components/fleet/fleet-format';
import { formatNumber, secondsText } from './rmm-format';

type Translate = (key: string, params?: Record<string, unknown>) => string;

/** What a rule watches, in a line: "CPU > 90 % pendant 5 min", "Espace libre < 10 % (tout disque)". */
export function conditionText(rule: AlertRule, t: Translate, locale: string): string {
  const during = (seconds: number) => (seconds > 0 ? t('rmm.rules.text.during', { duration: secondsText(seconds, locale) }) : '');
  switch (rule.kind) {
    case 'metric_threshold': {
      const c = rule.condition;
      const value = c.metric === 'load1' ? formatNumber(c.threshold, locale) : `${formatNumber(c.threshold, locale)} %`;
      return `${t(`rmm.rules.metrics.${c.metric}`)} ${c.operator} ${value}${during(c.durationSeconds)}`;
    }
    case 'disk_free': {
      const c = rule.condition;
      const limit = c.minFreePercent !== undefined ? `${formatNumber(c.minFreePercent, locale)} %` : formatBytes(c.minFreeBytes ?? 0, locale);
      return t('rmm.rules.text.diskFree', { limit, disk: c.mountPoint ?? t('rmm.rules.text.anyDisk') }) + during(c.durationSeconds);
    }
    case 'offline':
      return rule.condition.afterSeconds === undefined
        ? t('rmm.rules.text.offlineDefault')
        : t('rmm.rules.text.offline', { duration: secondsText(rule.condition.afterSeconds, locale) });
    case 'service_stopped':
      return t('rmm.rules.text.serviceStopped', { services: rule.condition.services.join(', ') }) + during(rule.condition.durationSeconds);
    case 'antivirus':
      return t(`rmm.rules.text.antivirus.${rule.condition.require}`);
    case 'event_pattern':
      return t('rmm.rules.text.eventPattern', { pattern: rule.condition.pattern, severity: t(`rmm.rules.eventSeverities.${rule.condition.minSeverity}`) });
  }
}

/**
 * The names of the clients, sites and machines that rules' scopes name only by id, read once each and kept
 * for the page's life; until read (or when gone), the scope shows a placeholder.
 */
export function useScopeNames() {
  const names = reactive(new Map<string, string>());
  const asked = new Set<string>();

  async function read(scope: AlertScope): Promise<void> {
    if (scope.kind === 'all' || scope.kind === 'tag' || asked.has(scope.id)) return;
    asked.add(scope.id);
    try {
      if (scope.kind === 'client') names.set(scope.id, (await getClient(scope.id)).name);
      else if (scope.kind === 'site') names.set(scope.id, (await getSite(scope.id)).name);
      else names.set(scope.id, (await getMachine(scope.id)).hostname);
    } catch {
      names.set(scope.id, '?');
    }
  }

  function scopeText(scope: AlertScope, t: Translate): string {
    if (scope.kind === 'all') return t('rmm.rules.scopeText.all');
    if (scope.kind === 'tag') return t('rmm.rules.scopeText.tag', { name: scope.tag });
    void read(scope);
    return t(`rmm.rules.scopeText.${scope.kind}`, { name: names.get(scope.id) ?? '…' });
  }

  return { scopeText };
}
