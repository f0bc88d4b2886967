import { AppError, ROLES, STAFF_ROLES, tenantBrandingSchema, tenantSettingsSchema, updateTenantSettingsBodySchema } from '@vigie/core';
import { isUniqueViolation, tenantsRepo, ticketMailTemplatesRepo } from '@vigie/db';
import { BinaryResponse, route, type AnyRoute } from '../http/route';

export const tenantRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/branding',
    tag: 'settings',
    summary: 'The tenant’s name and branding, for every role (the client portal shows them)',
    auth: ROLES,
    response: tenantBrandingSchema,
    handler: ({ tx, actor }) =>
      tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const settings = await tenantsRepo.getTenantSettings(t, actor.tenantId);
        if (!settings) throw AppError.notFound('tenant');
        return { name: settings.name, branding: settings.branding };
      }),
  }),
  route({
    method: 'get',
    path: '/settings',
    tag: 'settings',
    summary: 'Tenant settings: legal identity, branding, locale, currency, time zone, support address',
    auth: STAFF_ROLES,
    response: tenantSettingsSchema,
    handler: ({ tx, actor }) =>
      tx(async (t) => {
        // Onboarding writes defaults asynchronously; until then (or if it is late) defaults are created here.
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const settings = await tenantsRepo.getTenantSettings(t, actor.tenantId);
        if (!settings) throw AppError.notFound('tenant');
        return settings;
      }),
  }),
  route({
    method: 'patch',
    path: '/settings',
    tag: 'settings',
    summary: 'Update tenant settings (supportEmail: the address clients write to for tickets; 409 if another organisation uses it)',
    auth: ['admin'],
    body: updateTenantSettingsBodySchema,
    response: tenantSettingsSchema,
    handler: ({ tx, actor, body, audit }) =>
      tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const before = await tenantsRepo.getTenantSettings(t, actor.tenantId);
        if (!before) throw AppError.notFound('tenant');
        // One tenant per support address: inbound mail finds its tenant by it.
        const taken = 'this support address is used by another organisation';
        const owner = body.supportEmail ? await ticketMailTemplatesRepo.findTenantBySupportAddress(t, body.supportEmail) : undefined;
        if (owner && owner !== actor.tenantId) throw AppError.conflict(taken);
        const after = await tenantsRepo.updateTenantSettings(t, before, body).catch((err: unknown) => {
          throw isUniqueViolation(err) ? AppError.conflict(taken) : err;
        });
        await audit(t, {
          action: 'settings.update',
          entity: 'tenant',
          entityId: actor.tenantId,
          before: { ...before, updatedAt: undefined },
          after: { ...after, updatedAt: undefined },
        });
        return after;
      }),
  }),
];

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/webp'];

/** The media type the bytes really are (magic numbers), whatever the request claims. */
export function sniffImageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}

tenantRoutes.push(
  route({
    method: 'get',
    path: '/settings/logo',
    tag: 'settings',
    summary: 'The tenant logo image',
    auth: ROLES,
    produces: 'image/*',
    handler: ({ tx, actor }) =>
      tx(async (t) => {
        const logo = await tenantsRepo.getTenantLogo(t, actor.tenantId);
        if (!logo) throw AppError.notFound('logo');
        return new BinaryResponse(logo.contentType, logo.bytes, 'private, max-age=86400');
      }),
  }),
  route({
    method: 'put',
    path: '/settings/logo',
    tag: 'settings',
    summary: 'Upload the tenant logo (PNG, JPEG or WebP bytes, 512 KB at most)',
    auth: ['admin'],
    rawBody: { types: LOGO_TYPES, limit: '512kb' },
    response: tenantSettingsSchema,
    status: 200,
    handler: ({ tx, actor, req, audit }) => {
      const bytes = req.body as unknown;
      if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw AppError.invalid('send the image bytes as the request body');
      const sniffed = sniffImageType(bytes);
      if (!sniffed) throw AppError.invalid('the file is not a PNG, JPEG or WebP image');
      if (!req.is(sniffed)) throw AppError.invalid(`the file is ${sniffed}, not ${req.get('content-type')}`);
      return tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const version = await tenantsRepo.saveTenantLogo(t, actor.tenantId, sniffed, bytes);
        await audit(t, { action: 'settings.logo_upload', entity: 'tenant', entityId: actor.tenantId, after: { contentType: sniffed, bytes: bytes.length, version } });
        return (await tenantsRepo.getTenantSettings(t, actor.tenantId))!;
      });
    },
  }),
  route({
    method: 'delete',
    path: '/settings/logo',
    tag: 'settings',
    summary: 'Remove the tenant logo',
    auth: ['admin'],
    response: tenantSettingsSchema,
    status: 200,
    handler: ({ tx, actor, audit }) =>
      tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        await tenantsRepo.deleteTenantLogo(t, actor.tenantId);
        await audit(t, { action: 'settings.logo_delete', entity: 'tenant', entityId: actor.tenantId });
        return (await tenantsRepo.getTenantSettings(t, actor.tenantId))!;
      }),
  }),
);
