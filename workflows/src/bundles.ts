import { TASK_QUEUES, type Domain } from '@vigie/core';

/**
 * Where each domain's sandbox bundle is (one per task queue, built by scripts/src/bundle-workflows.ts at
 * `npm run build`). No Node import here: this package's src holds workflow code.
 */
export const WORKFLOW_DOMAINS = Object.keys(TASK_QUEUES) as Domain[];

export function bundlePath(domain: Domain): string {
  return `${__dirname}/../bundles/${domain}.js`;
}
