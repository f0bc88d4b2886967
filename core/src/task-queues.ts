/** One Temporal task queue per domain, so each domain's workers scale on their own. */
export const TASK_QUEUES = {
  tenants: 'vigie-tenants',
  crm: 'vigie-crm',
  contracts: 'vigie-contracts',
  tickets: 'vigie-tickets',
  planning: 'vigie-planning',
  billing: 'vigie-billing',
  rmm: 'vigie-rmm',
} as const;

export type Domain = keyof typeof TASK_QUEUES;
export type TaskQueue = (typeof TASK_QUEUES)[Domain];

/**
 * The queue a domain's work goes to. A suffix (TEMPORAL_TASK_QUEUE_SUFFIX) lets several sets of workers
 * share one Temporal namespace without taking each other's tasks: parallel test processes, a staging
 * deployment next to production.
 */
export function taskQueueOf(domain: Domain, suffix: string): string {
  return `${TASK_QUEUES[domain]}${suffix}`;
}

/** Inside a workflow: another domain's queue, with the same suffix as the workflow's own queue. */
export function siblingTaskQueue(ownQueue: string, domain: Domain): string {
  const own = Object.values(TASK_QUEUES)
    .filter((q) => ownQueue.startsWith(q))
    .sort((a, b) => b.length - a.length)[0];
  return taskQueueOf(domain, own ? ownQueue.slice(own.length) : '');
}
