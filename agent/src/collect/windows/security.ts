import type { SecurityProduct } from '../security';
import { isObject, psArray, psNumber, psString, type JsonObject } from './powershell';
import type { WindowsProcess } from './services';

/**
 * Antivirus/EDR status on Windows, from three sources, best first:
 *
 * 1. Windows Security Center, `root/SecurityCenter2` `AntiVirusProduct` (client Windows only: the namespace
 *    does not exist on Windows Server). Every product registered with Security Center, Defender included, with
 *    its `productState`.
 * 2. `Get-MpComputerStatus` when Security Center is missing (Windows Server): Microsoft Defender Antivirus only.
 * 3. Known EDR/antivirus service executables in the process list, for products that do not register with
 *    Security Center (servers, some EDR-only sensors). The names are each vendor's well-known service
 *    executable; they are not verified here (no Windows).
 *
 * `productState` is not documented by Microsoft. The layout used here is the one commonly documented by
 * people who decoded it (e.g. mcpforlife.com, "How to resolve this state value of AV providers", 2020-04-14;
 * homotechsual.dev, "Monitoring AV with PowerShell", 2022-10-05; both checked against the values Security
 * Center reports for Defender): read as hex `0xTTSSDD`,
 *   - bits 0xF000 (high nibble of the second byte): product state — 0x0 off, 0x1 on, 0x2 snoozed, 0x3 expired;
 *   - bits 0x0F00 (low nibble of the second byte): 0x1 when the product is Microsoft's (Windows Defender);
 *   - bits 0x00F0 (third byte): signatures — 0x00 up to date, 0x10 out of date;
 *   - the first byte (0xTT) is the provider type (0x04 antivirus, 0x06 antivirus + antispyware…).
 * E.g. 397568 = 0x061100: Defender, on, up to date; 393472 = 0x060100: Defender, off (passive because another
 * product is on); 266256 = 0x041010: a third-party product, on, signatures out of date.
 * "On" is tested as the nibble equal to 1, not as the 0x1000 bit alone: an expired product (0x3000) has that
 * bit set too and does not protect.
 */

export type ProductActivity = 'on' | 'off' | 'snoozed' | 'expired' | 'unknown';

export interface DecodedProductState {
  activity: ProductActivity;
  definitionsUpToDate: boolean;
  microsoft: boolean;
}

export function decodeProductState(productState: number): DecodedProductState {
  const activities: ProductActivity[] = ['off', 'on', 'snoozed', 'expired'];
  return {
    activity: activities[(productState >> 12) & 0xf] ?? 'unknown',
    definitionsUpToDate: (productState & 0xf0) === 0,
    microsoft: ((productState >> 8) & 0xf) === 1,
  };
}

/** A product as a Windows source reports it, before it becomes the snapshot's SecurityProduct. */
export interface WindowsSecurityProduct extends SecurityProduct {
  realtimeProtection: boolean | null;
  /** Signatures up to date, when the source says (the inventory schema has no field for it yet). */
  definitionsUpToDate: boolean | null;
  source: 'security-center' | 'defender' | 'process';
}

export interface WindowsSecurityProductDefinition {
  /** The same ids as the Linux catalogue where the product is the same. */
  id: string;
  name: string;
  /** How Security Center names it (displayName). */
  displayName: RegExp;
  /** Service executables (ProcessName, without .exe) whose presence means running. */
  processes: string[];
}

export const WINDOWS_SECURITY_PRODUCTS: readonly WindowsSecurityProductDefinition[] = [
  // Defender is read from Security Center or Get-MpComputerStatus, never from MsMpEng: it runs in passive mode too.
  { id: 'microsoft-defender', name: 'Microsoft Defender Antivirus', displayName: /defender/i, processes: [] },
  { id: 'crowdstrike-falcon', name: 'CrowdStrike Falcon', displayName: /crowdstrike|falcon/i, processes: ['CSFalconService'] },
  { id: 'sentinelone', name: 'SentinelOne', displayName: /sentinel/i, processes: ['SentinelAgent'] },
  { id: 'sophos', name: 'Sophos Endpoint', displayName: /sophos/i, processes: ['SophosFileScanner', 'SophosHealth', 'SAVService'] },
  { id: 'eset', name: 'ESET', displayName: /\beset\b/i, processes: ['ekrn'] },
  { id: 'bitdefender', name: 'Bitdefender', displayName: /bitdefender/i, processes: ['EPSecurityService', 'bdservicehost'] },
  { id: 'trend-micro', name: 'Trend Micro', displayName: /trend\s?micro|apex one|deep security/i, processes: ['ds_agent', 'PccNTMon'] },
  { id: 'elastic-defend', name: 'Elastic Defend', displayName: /elastic/i, processes: ['elastic-endpoint'] },
  { id: 'kaspersky', name: 'Kaspersky', displayName: /kaspersky/i, processes: ['avp'] },
  { id: 'malwarebytes', name: 'Malwarebytes', displayName: /malwarebytes/i, processes: ['MBAMService'] },
  { id: 'webroot', name: 'Webroot SecureAnywhere', displayName: /webroot/i, processes: ['WRSA'] },
  { id: 'symantec', name: 'Symantec Endpoint Protection', displayName: /symantec|norton/i, processes: ['ccSvcHst'] },
  { id: 'mcafee', name: 'Trellix (McAfee) Endpoint Security', displayName: /mcafee|trellix/i, processes: ['mfemms', 'masvc'] },
  { id: 'carbon-black', name: 'VMware Carbon Black Cloud', displayName: /carbon\s?black/i, processes: ['RepMgr'] },
  { id: 'cylance', name: 'Cylance PROTECT', displayName: /cylance/i, processes: ['CylanceSvc'] },
];

/** A stable id for a product the catalogue does not know: its display name, slugged. */
export function productId(displayName: string, catalogue = WINDOWS_SECURITY_PRODUCTS): string {
  const known = catalogue.find((p) => p.displayName.test(displayName));
  if (known) return known.id;
  const slug = displayName.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 64).replace(/-+$/, '');
  return slug || 'unknown-antivirus';
}

/** `@(Get-CimInstance -Namespace root/SecurityCenter2 -ClassName AntiVirusProduct | Select-Object …)`. */
export function parseSecurityCenter(v: unknown, catalogue = WINDOWS_SECURITY_PRODUCTS): WindowsSecurityProduct[] {
  const byId = new Map<string, WindowsSecurityProduct>();
  for (const p of psArray(v)) {
    const displayName = psString(p.displayName)?.trim();
    const state = psNumber(p.productState);
    if (!displayName || state === undefined) continue;
    const decoded = decodeProductState(state);
    const on = decoded.activity === 'on';
    const id = productId(displayName, catalogue);
    const known = byId.get(id);
    // The same product registered twice (it happens after upgrades): on if either entry is.
    if (known && (known.running || !on)) continue;
    byId.set(id, {
      id,
      name: displayName.slice(0, 200),
      installed: true,
      running: on,
      realtimeProtection: on,
      definitionsUpToDate: decoded.definitionsUpToDate,
      source: 'security-center',
    });
  }
  return [...byId.values()];
}

/**
 * `Get-MpComputerStatus | Select-Object AMServiceEnabled, AntivirusEnabled, RealTimeProtectionEnabled,
 * AMRunningMode, AntivirusSignatureAge`. AMRunningMode (newer Defender platforms)
 * is `Normal`, `Passive Mode`, `SxS Passive Mode` or `EDR Block Mode`: in passive mode Defender runs without
 * protecting, another product being the antivirus.
 */
export function parseDefenderStatus(v: unknown): WindowsSecurityProduct | undefined {
  const status: JsonObject | undefined = psArray(v)[0];
  if (!status || !isObject(status)) return undefined;
  const passive = /passive/i.test(psString(status.AMRunningMode) ?? '');
  const running = status.AMServiceEnabled === true && status.AntivirusEnabled === true && !passive;
  const age = psNumber(status.AntivirusSignatureAge);
  return {
    id: 'microsoft-defender',
    name: 'Microsoft Defender Antivirus',
    installed: true,
    running,
    realtimeProtection: running && status.RealTimeProtectionEnabled === true,
    // Out of date after 7 days: the default of Defender's "days before security intelligence is considered out
    // of date" policy (assumed; a machine's own policy may say otherwise).
    definitionsUpToDate: age !== undefined ? age <= 7 : null,
    source: 'defender',
  };
}

/** Catalogue products whose service executable runs. */
export function securityProductsFromProcesses(processes: readonly WindowsProcess[], catalogue = WINDOWS_SECURITY_PRODUCTS): WindowsSecurityProduct[] {
  const names = new Set(processes.map((p) => p.name.toLowerCase()));
  return catalogue
    .filter((product) => product.processes.some((name) => names.has(name.toLowerCase())))
    .map((product) => ({
      id: product.id,
      name: product.name,
      installed: true,
      running: true,
      realtimeProtection: null,
      definitionsUpToDate: null,
      source: 'process' as const,
    }));
}

/**
 * The products of one snapshot from whichever sources answered (undefined: that source failed or was not
 * asked). Security Center, else Defender's own status, then the process list for what neither reported.
 * Undefined when no source answered at all: security is then "unavailable", not "none".
 */
export function windowsSecurityProducts(sources: {
  securityCenter: WindowsSecurityProduct[] | undefined;
  defender: WindowsSecurityProduct | undefined;
  defenderAnswered: boolean;
  processes: readonly WindowsProcess[] | undefined;
}): WindowsSecurityProduct[] | undefined {
  if (!sources.securityCenter && !sources.defenderAnswered && !sources.processes) return undefined;
  const products = [...(sources.securityCenter ?? (sources.defender ? [sources.defender] : []))];
  for (const p of securityProductsFromProcesses(sources.processes ?? [])) {
    if (!products.some((known) => known.id === p.id)) products.push(p);
  }
  return products;
}
