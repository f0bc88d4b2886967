import { DEFAULT_TENANT_SETTINGS, type TenantSettings, type UpdateTenantSettingsBody } from '@vigie/core';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

interface SettingsRow {
  tenant_id: string;
  name: string;
  legal: TenantSettings['legal'];
  branding: TenantSettings['branding'];
  locale: TenantSettings['locale'];
  currency: string;
  timezone: string;
  support_email: string | null;
  default_hourly_rate_cents: number | null;
  updated_at: Date;
}

const EMPTY_LEGAL: TenantSettings['legal'] = {
  legalName: '',
  legalForm: '',
  siren: '',
  siret: '',
  vatNumber: '',
  shareCapital: '',
  rcs: '',
  address: { line1: '', line2: '', postalCode: '', city: '', country: 'FR' },
};

function toSettings(row: SettingsRow): TenantSettings {
  return {
    tenantId: row.tenant_id,
    name: row.name,
    legal: { ...EMPTY_LEGAL, ...row.legal, address: { ...EMPTY_LEGAL.address, ...row.legal.address } },
    branding: { ...DEFAULT_TENANT_SETTINGS.branding, ...row.branding },
    locale: row.locale,
    currency: row.currency,
    timezone: row.timezone,
    supportEmail: row.support_email,
    defaultHourlyRateCents: row.default_hourly_rate_cents,
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function insertTenant(tx: TenantTx, tenant: { id: string; name: string }): Promise<void> {
  await tx('tenants').insert({ id: tenant.id, name: tenant.name });
}

export async function tenantExists(tx: TenantTx, tenantId: string): Promise<boolean> {
  return (await tx('tenants').where({ id: tenantId }).first('id')) !== undefined;
}

/** Creates the settings row with defaults unless it exists; returns whether it was created. */
export async function ensureTenantSettings(tx: TenantTx, tenantId: string): Promise<boolean> {
  const inserted = await tx('tenant_settings')
    .insert({
      tenant_id: tenantId,
      legal: JSON.stringify(EMPTY_LEGAL),
      branding: JSON.stringify(DEFAULT_TENANT_SETTINGS.branding),
      locale: DEFAULT_TENANT_SETTINGS.locale,
      currency: DEFAULT_TENANT_SETTINGS.currency,
      timezone: DEFAULT_TENANT_SETTINGS.timezone,
    })
    .onConflict('tenant_id')
    .ignore()
    .returning('tenant_id');
  return inserted.length > 0;
}

export async function getTenantSettings(tx: TenantTx, tenantId: string): Promise<TenantSettings | undefined> {
  const row = await tx('tenant_settings as s')
    .join('tenants as t', 't.id', 's.tenant_id')
    .where('s.tenant_id', tenantId)
    .first<SettingsRow | undefined>('s.*', 't.name');
  return row ? toSettings(row) : undefined;
}

export async function updateTenantSettings(
  tx: TenantTx,
  current: TenantSettings,
  patch: UpdateTenantSettingsBody,
): Promise<TenantSettings> {
  if (patch.name !== undefined) await tx('tenants').where({ id: current.tenantId }).update({ name: patch.name });
  const legal = patch.legal
    ? { ...current.legal, ...patch.legal, address: { ...current.legal.address, ...patch.legal.address } }
    : current.legal;
  await tx('tenant_settings')
    .where({ tenant_id: current.tenantId })
    .update({
      legal: JSON.stringify(legal),
      branding: JSON.stringify({ ...current.branding, ...patch.branding }),
      locale: patch.locale ?? current.locale,
      currency: patch.currency ?? current.currency,
      timezone: patch.timezone ?? current.timezone,
      support_email: patch.supportEmail !== undefined ? patch.supportEmail : current.supportEmail,
      default_hourly_rate_cents: patch.defaultHourlyRateCents !== undefined ? patch.defaultHourlyRateCents : current.defaultHourlyRateCents,
      updated_at: tx.fn.now(),
    });
  return (await getTenantSettings(tx, current.tenantId))!;
}

export async function markTenantOnboarded(tx: TenantTx, tenantId: string): Promise<void> {
  await tx('tenants').where({ id: tenantId }).whereNull('onboarded_at').update({ onboarded_at: tx.fn.now() });
}

/** Cross-tenant (SECURITY DEFINER): tenants created a while ago whose onboarding never finished. */
export async function findTenantsPendingOnboarding(db: Db, olderThanSeconds: number): Promise<string[]> {
  const { rows } = await db.raw(`select tenant_id from tenants_pending_onboarding(make_interval(secs => ?))`, [olderThanSeconds]);
  return (rows as { tenant_id: string }[]).map((r) => r.tenant_id);
}

export interface TenantLogo {
  contentType: string;
  bytes: Buffer;
  version: number;
}

export async function getTenantLogo(tx: TenantTx, tenantId: string): Promise<TenantLogo | undefined> {
  const row = await tx('tenant_logos').where({ tenant_id: tenantId }).first();
  return row ? { contentType: row.content_type, bytes: row.bytes, version: row.version } : undefined;
}

/** Stores the logo and points branding.logoUrl at it; the version in the URL busts caches. */
export async function saveTenantLogo(tx: TenantTx, tenantId: string, contentType: string, bytes: Buffer): Promise<number> {
  const [row] = await tx('tenant_logos')
    .insert({ tenant_id: tenantId, content_type: contentType, bytes })
    .onConflict('tenant_id')
    .merge({ content_type: contentType, bytes, version: tx.raw('tenant_logos.version + 1'), updated_at: tx.fn.now() })
    .returning('version');
  const version = (row as { version: number }).version;
  await setLogoUrl(tx, tenantId, `/api/v1/settings/logo?v=${version}`);
  return version;
}

export async function deleteTenantLogo(tx: TenantTx, tenantId: string): Promise<void> {
  await tx('tenant_logos').where({ tenant_id: tenantId }).delete();
  await setLogoUrl(tx, tenantId, null);
}

async function setLogoUrl(tx: TenantTx, tenantId: string, url: string | null): Promise<void> {
  await tx('tenant_settings')
    .where({ tenant_id: tenantId })
    .update({ branding: tx.raw(`branding || jsonb_build_object('logoUrl', ?::text)`, [url]), updated_at: tx.fn.now() });
}
