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

/**
 * Who hears of something that needs a person (an SLA breach, a crossed hour-bank threshold): the user in
 * charge when there is one and they are active, else the tenant's active admins and managers.
 */
export async function noticeRecipients(tx: TenantTx, userInCharge: string | null): Promise<{ id: string; email: string }[]> {
  if (userInCharge) {
    const user = (await tx('users').where({ id: userInCharge, disabled: false }).first('id', 'email')) as { id: string; email: string } | undefined;
    if (user) return [user];
  }
  return (await tx('users').whereIn('role', ['admin', 'manager']).where({ disabled: false }).orderBy('created_at').select('id', 'email')) as { id: string; email: string }[];
}

/** A user who can be given work (assigned, owner, account manager, technician): active staff. */
export async function findActiveStaff(tx: TenantTx, id: string): Promise<StaffMember | undefined> {
  return (await tx('users').where({ id, disabled: false }).whereNot('role', 'client').first('id', 'name', 'email', 'role')) as StaffMember | undefined;
}
