import fs from 'node:fs/promises';
import path from 'node:path';
import { execRunner, type CommandRunner } from '../exec';
import { listProcesses, processMatches, type ProcessInfo } from './processes';

/**
 * Antivirus/EDR status on Linux, where there is no Security Center to ask: a product is *installed* when one of
 * its known files exists, and *running* when one of its systemd units is active or one of its daemons is in the
 * process list. Three independent signals, because each can be missing: containers and old distributions have
 * no systemd, some products install outside the usual paths, and a unit can be active with its daemon crashed.
 * The server raises "antivirus missing" when nothing is installed and "antivirus disabled" when nothing runs.
 */

export interface SecurityProductDefinition {
  /** Stable key for rules and reports. */
  id: string;
  name: string;
  /** Files or directories whose presence means installed (absolute, looked up under the root). */
  paths: string[];
  /** systemd units (without `.service`) whose being active means running. */
  units: string[];
  /** Daemon names (comm or argv[0]) whose presence means running. */
  processes: string[];
}

export const LINUX_SECURITY_PRODUCTS: readonly SecurityProductDefinition[] = [
  {
    id: 'clamav',
    name: 'ClamAV',
    // freshclam alone only updates signatures: running means the scanning daemon.
    paths: ['/usr/sbin/clamd', '/usr/bin/clamscan', '/usr/bin/freshclam', '/etc/clamav', '/etc/clamd.d'],
    units: ['clamav-daemon', 'clamd@scan', 'clamd'],
    processes: ['clamd'],
  },
  {
    id: 'crowdstrike-falcon',
    name: 'CrowdStrike Falcon',
    paths: ['/opt/CrowdStrike/falconctl', '/opt/CrowdStrike'],
    units: ['falcon-sensor'],
    processes: ['falcond', 'falcon-sensor', 'falcon-sensor-bpf'],
  },
  {
    id: 'sentinelone',
    name: 'SentinelOne',
    paths: ['/opt/sentinelone/bin/sentinelctl', '/opt/sentinelone'],
    units: ['sentinelone'],
    processes: ['s1-agent', 's1-orchestrator', 'sentinelone-watchdog'],
  },
  {
    id: 'microsoft-defender',
    name: 'Microsoft Defender for Endpoint',
    paths: ['/opt/microsoft/mdatp', '/usr/bin/mdatp'],
    units: ['mdatp'],
    processes: ['wdavdaemon'],
  },
  {
    id: 'sophos',
    name: 'Sophos Protection for Linux',
    paths: ['/opt/sophos-spl', '/opt/sophos-av'],
    units: ['sophos-spl', 'sav-protect'],
    processes: ['sophos_watchdog', 'sophos_threat_detector', 'savd'],
  },
  {
    id: 'eset',
    name: 'ESET',
    paths: ['/opt/eset/efs', '/opt/eset/eea', '/opt/eset/esets'],
    units: ['efs', 'eea', 'esets'],
    processes: ['esets_daemon'],
  },
  {
    id: 'trend-micro',
    name: 'Trend Micro Deep Security Agent',
    paths: ['/opt/ds_agent'],
    units: ['ds_agent'],
    processes: ['ds_agent', 'ds_am'],
  },
  {
    id: 'bitdefender',
    name: 'Bitdefender Endpoint Security Tools',
    paths: ['/opt/bitdefender-security-tools'],
    units: ['bdsec'],
    processes: ['bdsecd'],
  },
  {
    id: 'elastic-defend',
    name: 'Elastic Defend',
    paths: ['/opt/Elastic/Endpoint'],
    units: ['ElasticEndpoint'],
    processes: ['elastic-endpoint'],
  },
];

export interface SecurityProduct {
  id: string;
  name: string;
  installed: boolean;
  running: boolean;
}

export interface SecurityStatus {
  /** Products found (installed or running); an empty list means none of the known ones. */
  products: SecurityProduct[];
  /** At least one product is running. */
  protected: boolean;
}

export interface SecurityDetectOptions {
  /** Filesystem root under which paths (and /proc) are looked up. Default `/`. */
  root?: string;
  runner?: CommandRunner;
  /** The process list; default read from `<root>/proc`. */
  processes?: () => Promise<ProcessInfo[]>;
  products?: readonly SecurityProductDefinition[];
}

const exists = (file: string) =>
  fs.access(file).then(
    () => true,
    () => false,
  );

/**
 * `systemctl is-active a b c` prints one state per unit, in order, and exits non-zero unless all are active.
 * Without systemd (or a bus) it fails: no unit is reported active then.
 */
export async function activeUnits(runner: CommandRunner, units: readonly string[]): Promise<Set<string>> {
  if (units.length === 0) return new Set();
  let stdout: string;
  try {
    ({ stdout } = await runner('systemctl', ['is-active', ...units.map((u) => `${u}.service`)], { timeoutMs: 10_000 }));
  } catch {
    return new Set();
  }
  const states = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (states.length !== units.length) return new Set();
  return new Set(units.filter((_, i) => states[i] === 'active' || states[i] === 'reloading'));
}

export async function detectSecurityProducts(options: SecurityDetectOptions = {}): Promise<SecurityStatus> {
  const root = options.root ?? '/';
  const catalogue = options.products ?? LINUX_SECURITY_PRODUCTS;
  const [active, processes] = await Promise.all([
    activeUnits(options.runner ?? execRunner, catalogue.flatMap((p) => p.units)),
    (options.processes ?? (() => listProcesses(path.join(root, 'proc'))))().catch(() => [] as ProcessInfo[]),
  ]);
  const products: SecurityProduct[] = [];
  for (const product of catalogue) {
    const found = await Promise.all(product.paths.map((p) => exists(path.join(root, p))));
    const running =
      product.units.some((u) => active.has(u)) ||
      processes.some((proc) => product.processes.some((name) => processMatches(proc, name)));
    const installed = found.some(Boolean) || running;
    if (installed) products.push({ id: product.id, name: product.name, installed, running });
  }
  return { products, protected: products.some((p) => p.running) };
}
