import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** One sandbox bundle per domain task queue, built at `npm run build` so workers start fast. */
export const WORKFLOW_DOMAINS = ['tenants', 'crm'] as const;
export const BUNDLE_DIR = path.join(__dirname, '..', 'bundles');

export function bundlePath(domain: (typeof WORKFLOW_DOMAINS)[number]): string {
  return path.join(BUNDLE_DIR, `${domain}.js`);
}

/** Hash of the compiled inputs (this package and core), to skip rebuilding an unchanged bundle. */
function inputsHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.js')) hash.update(full).update(fs.readFileSync(full));
    }
  };
  walk(__dirname);
  walk(path.dirname(require.resolve('@vigie/core')));
  return hash.digest('hex');
}

async function main(): Promise<void> {
  fs.mkdirSync(BUNDLE_DIR, { recursive: true });
  const hash = inputsHash();
  const stamp = path.join(BUNDLE_DIR, '.inputs-hash');
  if (fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash && WORKFLOW_DOMAINS.every((d) => fs.existsSync(bundlePath(d)))) return;
  for (const domain of WORKFLOW_DOMAINS) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve(`./${domain}`),
      logger: { info() {}, warn: console.warn, error: console.error, debug() {}, trace() {}, log() {} },
    });
    fs.writeFileSync(bundlePath(domain), code);
  }
  fs.writeFileSync(stamp, hash);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
