import { z } from 'zod';

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const LOCALES = ['fr', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const addressSchema = z.strictObject({
  line1: z.string().trim().max(200).default(''),
  line2: z.string().trim().max(200).default(''),
  postalCode: z.string().trim().max(20).default(''),
  city: z.string().trim().max(120).default(''),
  country: z.string().length(2).toUpperCase().default('FR'),
});

export const legalIdentitySchema = z.strictObject({
  legalName: z.string().trim().max(200).default(''),
  legalForm: z.string().trim().max(60).default(''),
  siren: z.string().regex(/^\d{9}$/, '9 digits').or(z.literal('')).default(''),
  siret: z.string().regex(/^\d{14}$/, '14 digits').or(z.literal('')).default(''),
  vatNumber: z.string().trim().toUpperCase().max(20).default(''),
  shareCapital: z.string().trim().max(60).default(''),
  rcs: z.string().trim().max(120).default(''),
  address: addressSchema.default({ line1: '', line2: '', postalCode: '', city: '', country: 'FR' }),
});

export const brandingSchema = z.strictObject({
  primaryColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1d4ed8').default('#1d4ed8'),
  logoUrl: z.string().max(500).nullable().default(null),
});

export const tenantSettingsSchema = z
  .object({
    tenantId: z.uuid(),
    name: z.string(),
    legal: legalIdentitySchema,
    branding: brandingSchema,
    locale: z.enum(LOCALES),
    currency: z.string().length(3),
    timezone: z.string(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'TenantSettings' });
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

/** What every user of a tenant may see of it, client users included (portal header). */
export const tenantBrandingSchema = z
  .object({ name: z.string(), branding: brandingSchema })
  .meta({ id: 'TenantBranding' });
export type TenantBranding = z.infer<typeof tenantBrandingSchema>;

export const updateTenantSettingsBodySchema = z
  .strictObject({
    name: z.string().trim().min(2).max(120).optional(),
    legal: legalIdentitySchema.partial().optional(),
    branding: brandingSchema.partial().optional(),
    locale: z.enum(LOCALES).optional(),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR')
      .optional(),
    timezone: z.string().refine(isTimeZone, 'an IANA time zone like Europe/Paris').optional(),
  })
  .meta({ id: 'UpdateTenantSettingsBody' });
export type UpdateTenantSettingsBody = z.infer<typeof updateTenantSettingsBodySchema>;

/** What a new tenant starts with; the onboarding workflow writes it. */
export const DEFAULT_TENANT_SETTINGS = {
  locale: 'fr' as Locale,
  currency: 'EUR',
  timezone: 'Europe/Paris',
  branding: { primaryColor: '#1d4ed8', logoUrl: null as string | null },
};
