import { z } from 'zod';
import { checkVatNumber, isValidSiren, isValidSiret, normalizeIdentifier } from '../crm/identifiers';
import { listQuerySchema } from './common';

export const CLIENT_STATUSES = ['prospect', 'active', 'archived'] as const;
export type ClientStatus = (typeof CLIENT_STATUSES)[number];

export const INTERACTION_KINDS = ['call', 'email', 'note', 'meeting', 'commercial'] as const;
export type InteractionKind = (typeof INTERACTION_KINDS)[number];

export const addressSchema = z
  .strictObject({
    line1: z.string().trim().max(200).default(''),
    line2: z.string().trim().max(200).default(''),
    postalCode: z.string().trim().max(20).default(''),
    city: z.string().trim().max(120).default(''),
    country: z.string().length(2).toUpperCase().default('FR'),
  })
  .meta({ id: 'Address' });
export type Address = z.infer<typeof addressSchema>;

const sirenSchema = z
  .string()
  .transform(normalizeIdentifier)
  .refine(isValidSiren, 'not a valid SIREN (9 digits with a Luhn check digit)');
const siretSchema = z
  .string()
  .transform(normalizeIdentifier)
  .refine(isValidSiret, 'not a valid SIRET (14 digits with a check digit)');
const vatSchema = z.string().superRefine((value, ctx) => {
  const check = checkVatNumber(value);
  if (!check.valid) ctx.addIssue({ code: 'custom', message: check.reason });
}).transform(normalizeIdentifier);

const tagsSchema = z.array(z.string().trim().min(1).max(40)).max(20);

const clientFields = {
  name: z.string().trim().min(1).max(200).meta({ description: 'Legal name (raison sociale)' }),
  siren: sirenSchema.nullable().optional(),
  siret: siretSchema.nullable().optional(),
  vatNumber: vatSchema.nullable().optional(),
  status: z.enum(CLIENT_STATUSES).optional(),
  paymentTermsDays: z.number().int().min(0).max(120).optional(),
  paymentTermsEndOfMonth: z.boolean().optional(),
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR').optional(),
  billingAddress: addressSchema.optional(),
  tags: tagsSchema.optional(),
  notes: z.string().max(10_000).optional(),
  hourlyRateCents: z.number().int().min(0).max(1e10).nullable().optional().meta({ description: 'hourly rate for time outside any contract, in cents; null: the tenant default' }),
};

/** SIRET begins with the SIREN; a French VAT number ends with it. Checked only between valid values. */
function identifiersAgree(c: { siren?: string | null; siret?: string | null; vatNumber?: string | null }, ctx: z.RefinementCtx): void {
  const siren = c.siren && isValidSiren(c.siren) ? c.siren : undefined;
  const siret = c.siret && isValidSiret(c.siret) ? c.siret : undefined;
  const vat = c.vatNumber && checkVatNumber(c.vatNumber).valid ? c.vatNumber : undefined;
  if (siren && siret && !siret.startsWith(siren))
    ctx.addIssue({ code: 'custom', path: ['siret'], message: 'the SIRET must begin with the SIREN' });
  if (siren && vat?.startsWith('FR') && !vat.endsWith(siren))
    ctx.addIssue({ code: 'custom', path: ['vatNumber'], message: 'this French VAT number is not that of the SIREN' });
}

export const createClientBodySchema = z.strictObject(clientFields).superRefine(identifiersAgree).meta({ id: 'CreateClientBody' });
export type CreateClientBody = z.infer<typeof createClientBodySchema>;

export const updateClientBodySchema = z
  .strictObject({ ...clientFields, name: clientFields.name.optional() })
  .superRefine(identifiersAgree)
  .meta({ id: 'UpdateClientBody' });
export type UpdateClientBody = z.infer<typeof updateClientBodySchema>;

export const clientSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    siren: z.string().nullable(),
    siret: z.string().nullable(),
    vatNumber: z.string().nullable(),
    status: z.enum(CLIENT_STATUSES),
    paymentTermsDays: z.number().int(),
    paymentTermsEndOfMonth: z.boolean(),
    currency: z.string(),
    billingAddress: addressSchema,
    tags: z.array(z.string()),
    notes: z.string(),
    hourlyRateCents: z.number().int().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Client' });
export type Client = z.infer<typeof clientSchema>;

export const clientListQuerySchema = listQuerySchema.extend({
  status: z.enum(CLIENT_STATUSES).optional(),
  tag: z.string().max(40).optional(),
});
export type ClientListQuery = z.infer<typeof clientListQuerySchema>;

// Sites: places of a client (billing can later be per site).
export const siteBodySchema = z
  .strictObject({ name: z.string().trim().min(1).max(120), address: addressSchema, notes: z.string().max(2000).optional() })
  .meta({ id: 'SiteBody' });
export type SiteBody = z.infer<typeof siteBodySchema>;
export const updateSiteBodySchema = siteBodySchema.partial().meta({ id: 'UpdateSiteBody' });
export type UpdateSiteBody = z.infer<typeof updateSiteBodySchema>;
export const siteSchema = z
  .object({ id: z.uuid(), clientId: z.uuid(), name: z.string(), address: addressSchema, notes: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: 'Site' });
export type Site = z.infer<typeof siteSchema>;

// Contacts
const contactFields = {
  name: z.string().trim().min(1).max(120),
  email: z.email().max(254).transform((e) => e.toLowerCase()).nullable().optional(),
  phone: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ().-]{6,25}$/, 'a phone number like +33 1 23 45 67 89')
    .nullable()
    .optional(),
  role: z.string().trim().max(80).optional(),
  availability: z.string().trim().max(120).optional().meta({ description: 'e.g. "mornings", "Mon–Thu"' }),
  isPrimary: z.boolean().optional(),
};
export const createContactBodySchema = z.strictObject(contactFields).meta({ id: 'CreateContactBody' });
export type CreateContactBody = z.infer<typeof createContactBodySchema>;
export const updateContactBodySchema = z
  .strictObject({ ...contactFields, name: contactFields.name.optional() })
  .meta({ id: 'UpdateContactBody' });
export type UpdateContactBody = z.infer<typeof updateContactBodySchema>;
export const contactSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    role: z.string(),
    availability: z.string(),
    isPrimary: z.boolean(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Contact' });
export type Contact = z.infer<typeof contactSchema>;

// Interactions and the client timeline
export const createInteractionBodySchema = z
  .strictObject({
    kind: z.enum(INTERACTION_KINDS),
    occurredAt: z.iso.datetime({ offset: true }).optional(),
    subject: z.string().trim().min(1).max(200),
    body: z.string().max(20_000).optional(),
    outcome: z.string().trim().max(500).optional(),
    contactId: z.uuid().optional(),
  })
  .meta({ id: 'CreateInteractionBody' });
export type CreateInteractionBody = z.infer<typeof createInteractionBodySchema>;
export const interactionSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    kind: z.enum(INTERACTION_KINDS),
    occurredAt: z.iso.datetime(),
    subject: z.string(),
    body: z.string(),
    outcome: z.string(),
    contactId: z.uuid().nullable(),
    authorId: z.uuid().nullable(),
    authorName: z.string().nullable(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: 'Interaction' });
export type Interaction = z.infer<typeof interactionSchema>;

export const interactionListQuerySchema = listQuerySchema.extend({ kind: z.enum(INTERACTION_KINDS).optional() });
export type InteractionListQuery = z.infer<typeof interactionListQuerySchema>;

/** One line of a client's timeline; later domains add their kinds (ticket, contract, invoice). */
export const timelineEntrySchema = z
  .object({
    id: z.string(),
    source: z.enum(['interaction', 'client', 'opportunity', 'quote', 'contract']),
    kind: z.string(),
    at: z.iso.datetime(),
    title: z.string(),
    detail: z.string(),
    actorName: z.string().nullable(),
    refId: z.string(),
  })
  .meta({ id: 'TimelineEntry' });
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
