import { AppError, STAFF_ROLES, tenantSettingsSchema, updateTenantSettingsBodySchema } from '@vigie/core';
import { tenantsRepo } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';

export const tenantRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/settings',
    tag: 'settings',
    summary: 'Tenant settings: legal identity, branding, locale, currency, time zone',
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
    summary: 'Update tenant settings',
    auth: ['admin'],
    body: updateTenantSettingsBodySchema,
    response: tenantSettingsSchema,
    handler: ({ tx, actor, body, audit }) =>
      tx(async (t) => {
        await tenantsRepo.ensureTenantSettings(t, actor.tenantId);
        const before = await tenantsRepo.getTenantSettings(t, actor.tenantId);
        if (!before) throw AppError.notFound('tenant');
        const after = await tenantsRepo.updateTenantSettings(t, before, body);
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
