import { DEFAULT_DUNNING_STEPS, type BillingFrequency, type BillingSettings, type BillingSettingsView } from '@vigie/core';
import type { Db } from '../connection';
import type { TenantTx } from '../tenancy';

export const DEFAULT_BILLING_SETTINGS: BillingSettings = {
  paymentTerms: { kind: 'net', days: 30 },
  penaltyRate: { kind: 'ecb_plus_10' },
  dunningSteps: DEFAULT_DUNNING_STEPS.map((s) => ({ ...s })),
  iban: '',
  bic: '',
  earlyPaymentDiscount: null,
  footer: '',
  runFrequency: 'monthly',
  autoValidate: false,
};

interface SettingsRow {
  payment_terms: BillingSettings['paymentTerms'];
  penalty_rate: BillingSettings['penaltyRate'];
  dunning_steps: BillingSettings['dunningSteps'];
  iban: string;
  bic: string;
  early_payment_discount: string | null;
  footer: string;
  run_frequency: BillingSettings['runFrequency'];
  auto_validate: boolean;
  template_name: string | null;
  template_uploaded_at: Date | null;
}

/** The tenant's billing settings; the defaults until it saves its own. */
export async function getBillingSettings(tx: TenantTx): Promise<BillingSettingsView> {
  const row = (await tx('billing_settings').first(tx.raw('billing_settings.*, null as template_odt'))) as SettingsRow | undefined;
  if (!row) return { ...DEFAULT_BILLING_SETTINGS, template: null };
  return {
    paymentTerms: row.payment_terms,
    penaltyRate: row.penalty_rate,
    dunningSteps: row.dunning_steps,
    iban: row.iban,
    bic: row.bic,
    earlyPaymentDiscount: row.early_payment_discount,
    footer: row.footer,
    runFrequency: row.run_frequency,
    autoValidate: row.auto_validate,
    template: row.template_name && row.template_uploaded_at ? { name: row.template_name, uploadedAt: row.template_uploaded_at.toISOString() } : null,
  };
}

export async function saveBillingSettings(tx: TenantTx, tenantId: string, s: BillingSettings): Promise<void> {
  const row = {
    tenant_id: tenantId,
    payment_terms: JSON.stringify(s.paymentTerms),
    penalty_rate: JSON.stringify(s.penaltyRate),
    dunning_steps: JSON.stringify(s.dunningSteps),
    iban: s.iban,
    bic: s.bic,
    early_payment_discount: s.earlyPaymentDiscount,
    footer: s.footer,
    run_frequency: s.runFrequency,
    auto_validate: s.autoValidate,
    updated_at: tx.fn.now(),
  };
  await tx('billing_settings').insert(row).onConflict('tenant_id').merge();
}

/** The tenant's own invoice template, if it uploaded one. */
export async function getInvoiceTemplate(tx: TenantTx): Promise<Buffer | null> {
  const row = (await tx('billing_settings').first('template_odt')) as { template_odt: Buffer | null } | undefined;
  return row?.template_odt ?? null;
}

/** Saves (or with null removes) the tenant's invoice template; settings are created with defaults if needed. */
export async function setInvoiceTemplate(tx: TenantTx, tenantId: string, template: { name: string; bytes: Buffer } | null): Promise<void> {
  await saveBillingSettings(tx, tenantId, await getBillingSettings(tx));
  await tx('billing_settings')
    .where({ tenant_id: tenantId })
    .update(template ? { template_odt: template.bytes, template_name: template.name, template_uploaded_at: tx.fn.now() } : { template_odt: null, template_name: null, template_uploaded_at: null });
}

/** Cross-tenant (SECURITY DEFINER): every tenant's zone and billing frequency, for its billing Schedule. */
export async function allBillingSchedules(db: Db): Promise<{ tenantId: string; timezone: string; frequency: BillingFrequency }[]> {
  const { rows } = await db.raw(`select tenant_id, timezone, run_frequency from tenants_billing_schedules()`);
  return (rows as { tenant_id: string; timezone: string; run_frequency: BillingFrequency }[]).map((r) => ({ tenantId: r.tenant_id, timezone: r.timezone, frequency: r.run_frequency }));
}
