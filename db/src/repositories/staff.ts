import type { TenantTx } from '../tenancy';

export interface StaffMember {
  id: string;
  name: string;
  email: string;
  role: 'admin' | 'manager' | 'technician';
}

/** Active staff, by name: whom a ticket can be assigned to, whose time can be filtered. */
export async function listStaff(tx: TenantTx): Promise<StaffMember[]> {
  return (await tx('users').whereNot('role', 'client').where({ disabled: false }).orderBy([{ column: 'name' }, { column: 'id' }]).select('id', 'name', 'email', 'role')) as StaffMember[];
}
