/** One Temporal task queue per domain, so each domain's workers scale on their own. */
export const TASK_QUEUES = {
  tenants: 'vigie-tenants',
  crm: 'vigie-crm',
  contracts: 'vigie-contracts',
  tickets: 'vigie-tickets',
} as const;

export type Domain = keyof typeof TASK_QUEUES;
export type TaskQueue = (typeof TASK_QUEUES)[Domain];
