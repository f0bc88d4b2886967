import fs from 'node:fs';
import path from 'node:path';
import { decodeProductState, parseDefenderStatus, parseSecurityCenter, productId, securityProductsFromProcesses, windowsSecurityProducts } from './security';
import { parseProcessList } from './services';

const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as Record<string, unknown>;

describe('Security Center productState', () => {
  it('decodes the commonly documented layout', () => {
    // Defender on, up to date; Defender off (passive next to another product); third-party on / out of date.
    expect(decodeProductState(397568)).toEqual({ activity: 'on', definitionsUpToDate: true, microsoft: true });
    expect(decodeProductState(393472)).toEqual({ activity: 'off', definitionsUpToDate: true, microsoft: true });
    expect(decodeProductState(266240)).toEqual({ activity: 'on', definitionsUpToDate: true, microsoft: false });
    expect(decodeProductState(266256)).toEqual({ activity: 'on', definitionsUpToDate: false, microsoft: false });
    expect(decodeProductState(262144)).toEqual({ activity: 'off', definitionsUpToDate: true, microsoft: false });
    expect(decodeProductState(397584)).toEqual({ activity: 'on', definitionsUpToDate: false, microsoft: true });
    // Snoozed (0x2000) and expired (0x3000) do not protect, although expired has the 0x1000 bit set.
    expect(decodeProductState(0x062100).activity).toBe('snoozed');
    expect(decodeProductState(0x043000).activity).toBe('expired');
    expect(decodeProductState(0x04f000).activity).toBe('unknown');
  });

  it('gives known products the catalogue id, others a slug', () => {
    expect(productId('Windows Defender')).toBe('microsoft-defender');
    expect(productId('CrowdStrike Falcon Sensor')).toBe('crowdstrike-falcon');
    expect(productId('ESET Security')).toBe('eset');
    expect(productId('Acme Antivirus Pro 2024')).toBe('acme-antivirus-pro-2024');
    expect(productId('Ünïcode   AV!')).toBe('unicode-av');
    expect(productId('***')).toBe('unknown-antivirus');
    expect(productId('x'.repeat(100))).toHaveLength(64);
  });
});

describe('parseSecurityCenter', () => {
  it('a client with Defender passive next to CrowdStrike, and an unknown product out of date', () => {
    expect(parseSecurityCenter(fixture('state-client.json').securityCenter)).toEqual([
      { id: 'microsoft-defender', name: 'Windows Defender', installed: true, running: false, realtimeProtection: false, definitionsUpToDate: true, source: 'security-center' },
      { id: 'crowdstrike-falcon', name: 'CrowdStrike Falcon Sensor', installed: true, running: true, realtimeProtection: true, definitionsUpToDate: true, source: 'security-center' },
      { id: 'acme-antivirus-pro-2024', name: 'Acme Antivirus Pro 2024', installed: true, running: true, realtimeProtection: true, definitionsUpToDate: false, source: 'security-center' },
    ]);
  });

  it('one product registered twice counts once, on if either entry is', () => {
    const twice = [
      { displayName: 'Windows Defender', productState: 397568 },
      { displayName: 'Windows Defender', productState: 393472 },
    ];
    expect(parseSecurityCenter(twice)).toMatchObject([{ id: 'microsoft-defender', running: true }]);
    expect(parseSecurityCenter([...twice].reverse())).toMatchObject([{ id: 'microsoft-defender', running: true }]);
    expect(parseSecurityCenter(null)).toEqual([]);
    expect(parseSecurityCenter({ displayName: 'Windows Defender', productState: 397568 })).toHaveLength(1);
  });
});

describe('Get-MpComputerStatus (Windows Server)', () => {
  it('Defender on, in passive mode, or stopped', () => {
    expect(parseDefenderStatus(fixture('state-server.json').defender)).toEqual({
      id: 'microsoft-defender', name: 'Microsoft Defender Antivirus', installed: true, running: true, realtimeProtection: true, definitionsUpToDate: true, source: 'defender',
    });
    const passive = { AMServiceEnabled: true, AntivirusEnabled: true, RealTimeProtectionEnabled: true, AMRunningMode: 'Passive Mode', AntivirusSignatureAge: 12 };
    expect(parseDefenderStatus(passive)).toMatchObject({ running: false, realtimeProtection: false, definitionsUpToDate: false });
    expect(parseDefenderStatus({ AMServiceEnabled: true, AntivirusEnabled: false, RealTimeProtectionEnabled: false, AMRunningMode: null })).toMatchObject({ running: false, definitionsUpToDate: null });
    expect(parseDefenderStatus(null)).toBeUndefined();
  });
});

describe('combining the sources', () => {
  const processes = parseProcessList(fixture('state-client.json').processes);

  it('known service executables add what Security Center does not list', () => {
    expect(securityProductsFromProcesses(processes).map((p) => p.id)).toEqual(['crowdstrike-falcon']);
    const server = parseProcessList(fixture('state-server.json').processes);
    const products = windowsSecurityProducts({ securityCenter: undefined, defender: parseDefenderStatus(fixture('state-server.json').defender), defenderAnswered: true, processes: server });
    expect(products?.map((p) => [p.id, p.running, p.realtimeProtection, p.source])).toEqual([
      ['microsoft-defender', true, true, 'defender'],
      ['sentinelone', true, null, 'process'],
    ]);
  });

  it('Security Center first: a product it lists is not added again from the processes', () => {
    const products = windowsSecurityProducts({ securityCenter: parseSecurityCenter(fixture('state-client.json').securityCenter), defender: undefined, defenderAnswered: false, processes });
    expect(products?.filter((p) => p.id === 'crowdstrike-falcon')).toHaveLength(1);
    expect(products?.find((p) => p.id === 'crowdstrike-falcon')?.source).toBe('security-center');
  });

  it('nothing answered: unknown, not "no antivirus"', () => {
    expect(windowsSecurityProducts({ securityCenter: undefined, defender: undefined, defenderAnswered: false, processes: undefined })).toBeUndefined();
    expect(windowsSecurityProducts({ securityCenter: undefined, defender: undefined, defenderAnswered: false, processes: [] })).toEqual([]);
  });
});
