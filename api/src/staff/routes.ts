import { STAFF_ROLES } from '@vigie/core';
import { staffRepo } from '@vigie/db';
import { z } from 'zod';
import { route, type AnyRoute } from '../http/route';

const staffMemberSchema = z
  .object({ id: z.uuid(), name: z.string(), email: z.string(), role: z.enum(['admin', 'manager', 'technician']) })
  .meta({ id: 'StaffMember' });

/** The staff directory every staff member may read (`/users` with its details stays admin-only). */
export const staffRoutes: AnyRoute[] = [
  route({
    method: 'get',
    path: '/staff',
    tag: 'users',
    summary: 'Active staff members (for assignment pickers and filters)',
    auth: STAFF_ROLES,
    response: z.object({ items: z.array(staffMemberSchema) }),
    handler: ({ tx }) => tx(async (t) => ({ items: await staffRepo.listStaff(t) })),
  }),
];
