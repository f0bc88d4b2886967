import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { bundlePath, WORKFLOW_DOMAINS } from '@vigie/workflows/bundles';
import { hashInputs, isUpToDate } from './build/inputs-hash';

/** One sandbox bundle per domain task queue, rebuilt only when the compiled workflows or core changed. */
const WORKFLOWS_DIST = path.dirname(require.resolve('@vigie/workflows'));
const CORE_DIST = path.dirname(require.resolve('@vigie/core'));

async function main(): Promise<void> {
  const bundleDir = path.dirname(bundlePath(WORKFLOW_DOMAINS[0]!));
  fs.mkdirSync(bundleDir, { recursive: true });
  const stamp = path.join(bundleDir, '.inputs-hash');
  const hash = hashInputs([WORKFLOWS_DIST, CORE_DIST], { only: (file) => file.endsWith('.js') });
  if (isUpToDate(stamp, hash) && WORKFLOW_DOMAINS.every((d) => fs.existsSync(bundlePath(d)))) return;
  for (const domain of WORKFLOW_DOMAINS) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(WORKFLOWS_DIST, domain, 'index.js'),
      logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
    });
    fs.writeFileSync(bundlePath(domain), code);
  }
  fs.writeFileSync(stamp, hash);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
