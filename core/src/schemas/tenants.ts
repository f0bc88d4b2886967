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
    /** Where clients write to open or answer tickets by e-mail (one tenant per address); replies go there. */
    supportEmail: z.string().nullable(),
    /** What an hour of out-of-contract time costs a client without a rate of its own, in cents. */
    defaultHourlyRateCents: z.number().int().nullable(),
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
    /** null removes it (mail to the old address is then refused). */
    supportEmail: z.email().max(254).transform((e) => e.toLowerCase()).nullable().optional(),
    defaultHourlyRateCents: z.number().int().min(0).max(1e8).nullable().optional(),
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

// ---------------------------------------------------------------- ticket e-mail templates

/** The e-mails a ticket's contact receives: when it is opened, answered (public reply) and resolved. */
export const TICKET_MAIL_KINDS = ['created', 'replied', 'resolved'] as const;
export type TicketMailKind = (typeof TICKET_MAIL_KINDS)[number];

/** What a template may say, as `{{name}}`; anything else is refused. */
export const TICKET_MAIL_PLACEHOLDERS = ['number', 'subject', 'body', 'resolution', 'contactName', 'tenantName'] as const;
export type TicketMailPlaceholder = (typeof TICKET_MAIL_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** The placeholder names a template text uses that are not known (in order of appearance, once each). */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const [, name] of text.matchAll(PLACEHOLDER)) if (!(TICKET_MAIL_PLACEHOLDERS as readonly string[]).includes(name!)) unknown.add(name!);
  return [...unknown];
}

/** Replaces every `{{name}}` with its value (missing values are empty). */
export function fillPlaceholders(text: string, values: Partial<Record<TicketMailPlaceholder, string>>): string {
  return text.replace(PLACEHOLDER, (_, name: string) => values[name as TicketMailPlaceholder] ?? '');
}

/** The built-in French texts, used while a tenant has not written its own. */
export const DEFAULT_TICKET_MAIL_TEMPLATES: Record<TicketMailKind, { subject: string; body: string }> = {
  created: {
    subject: '[#{{number}}] {{subject}}',
    body: 'Bonjour,\n\nNous avons bien reçu votre demande « {{subject}} », enregistrée sous le numéro {{number}}.\nRépondez à ce message pour compléter votre demande.\n',
  },
  replied: {
    subject: 'Re: [#{{number}}] {{subject}}',
    body: '{{body}}\n\n-- \nTicket {{number}} : répondez à ce message pour nous écrire.\n',
  },
  resolved: {
    subject: '[#{{number}}] Résolu : {{subject}}',
    body: 'Bonjour,\n\nVotre demande {{number}} est résolue.\n\n{{resolution}}\n\nSi le problème persiste, répondez à ce message : le ticket sera rouvert.\n',
  },
};

const templateText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      const unknown = unknownPlaceholders(text);
      if (unknown.length)
        ctx.addIssue({ code: 'custom', message: `unknown placeholder ${unknown.map((n) => `{{${n}}}`).join(', ')}; allowed: ${TICKET_MAIL_PLACEHOLDERS.map((n) => `{{${n}}}`).join(' ')}` });
    });

export const updateTicketMailTemplateBodySchema = z
  .strictObject({
    subject: templateText(300)
      .refine((s) => s.trim().length > 0, 'required')
      .refine((s) => !/[\r\n]/.test(s), 'one line'),
    body: templateText(20_000),
  })
  .meta({ id: 'UpdateTicketMailTemplateBody' });
export type UpdateTicketMailTemplateBody = z.infer<typeof updateTicketMailTemplateBodySchema>;

export const ticketMailTemplateSchema = z
  .object({
    kind: z.enum(TICKET_MAIL_KINDS),
    subject: z.string(),
    body: z.string(),
    /** True while the tenant uses the built-in text. */
    isDefault: z.boolean(),
    updatedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'TicketMailTemplate' });
export type TicketMailTemplate = z.infer<typeof ticketMailTemplateSchema>;

export const ticketMailTemplatesSchema = z
  .object({ items: z.array(ticketMailTemplateSchema), placeholders: z.array(z.enum(TICKET_MAIL_PLACEHOLDERS)) })
  .meta({ id: 'TicketMailTemplates' });
