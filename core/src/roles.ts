export const ROLES = ['admin', 'manager', 'technician', 'client'] as const;
export type Role = (typeof ROLES)[number];

/** Staff roles work in the MSP back office; `client` users only see the portal. */
export const STAFF_ROLES: readonly Role[] = ['admin', 'manager', 'technician'];
