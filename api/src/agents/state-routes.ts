import {
  AppError,
  idParamsSchema,
  machineEventSchema,
  machineEventsQuerySchema,
  machineSecuritySchema,
  machineServicesSchema,
  pageSchema,
  STAFF_ROLES,
} from '@vigie/core';
import { machinesRepo, machineStateRepo, type TenantTx } from '@vigie/db';
import { route, type AnyRoute } from '../http/route';

/** 404 for a machine that is not the tenant's (RLS hides it), before reading its state. */
async function requireMachine(tx: TenantTx, id: string): Promise<void> {
  if (!(await machinesRepo.findMachine(tx, id))) throw AppError.notFound('machine');
}

/** A machine's last reported state (watched services, security products) and its critical system events. */
export const machineStateRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/machines/:id/services',
    tag: 'rmm',
    summary: 'The watched services and processes of a machine, as of its last inventory',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: machineServicesSchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        await requireMachine(t, params.id);
        return { lastInventoryAt: await machineStateRepo.lastInventoryAt(t, params.id), items: await machineStateRepo.listServices(t, params.id) };
      }),
  }),
  route({
    method: 'get',
    path: '/machines/:id/security',
    tag: 'rmm',
    summary: 'The antivirus / EDR products found on a machine, as of its last inventory',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: machineSecuritySchema,
    handler: ({ tx, params }) =>
      tx(async (t) => {
        await requireMachine(t, params.id);
        const products = await machineStateRepo.listSecurity(t, params.id);
        return { lastInventoryAt: await machineStateRepo.lastInventoryAt(t, params.id), protected: products.some((p) => p.running), products };
      }),
  }),
  route({
    method: 'get',
    path: '/machines/:id/events',
    tag: 'rmm',
    summary: 'A machine’s critical system events (priority error and above), newest first',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    query: machineEventsQuerySchema,
    response: pageSchema(machineEventSchema),
    handler: ({ tx, params, query }) =>
      tx(async (t) => {
        await requireMachine(t, params.id);
        return machineStateRepo.listEvents(t, params.id, query);
      }),
  }),
];
