import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { hashInputs, isUpToDate } from './build/inputs-hash';
import { ROOT } from './stack/paths';

/**
 * Bundles the agent into one file with its dependencies (`agent/dist/vigie-agent.js`): the API serves it to
 * the one-line installer, so a managed machine needs only Node, not npm or this repository. Skipped when
 * its inputs did not change.
 */
const AGENT = path.join(ROOT, 'agent');
const AGENT_BUNDLE = path.join(AGENT, 'dist', 'vigie-agent.js');
const STAMP = `${AGENT_BUNDLE}.inputs-hash`;

function main(): number {
  const hash = hashInputs([path.join(AGENT, 'src'), path.join(ROOT, 'core', 'src')], { skip: ['node_modules', 'dist'], files: [path.join(ROOT, 'package-lock.json')] });
  if (isUpToDate(STAMP, hash) && fs.existsSync(AGENT_BUNDLE)) return 0;
  buildSync({
    entryPoints: [path.join(AGENT, 'src', 'cli.ts')],
    outfile: AGENT_BUNDLE,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.writeFileSync(STAMP, hash);
  return 0;
}

process.exit(main());
