import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { hashInputs, isUpToDate } from './build/inputs-hash';
import { ROOT } from './stack/paths';

/**
 * Bundles the agent into one file with its dependencies (`agent/dist/vigie-agent.js`): the API serves it to
 * the one-line installer, so a managed machine needs only Node, not npm or this repository. Skipped when
 * its inputs did not change.
 *
 * Beside it, `agent/dist/winsw.exe`: the Windows service wrapper the Windows installer downloads (see
 * agent/src/winsw.ts). It comes from the npm registry like every other dependency: the devDependency
 * `node-windows@1.0.0-beta.8` (MIT) ships it as `bin/winsw/winsw.exe` — WinSW 1.17.0.0 (version resource;
 * MIT, "Copyright 2008-2013 Sun Microsystems, Inc., CloudBees, Inc."; a .NET 2.0/4.0 program, not
 * Authenticode-signed). Its SHA-256 is pinned here: another binary (a new node-windows, a tampered
 * package) stops the build until someone has looked at it and updated the pin.
 */
const AGENT = path.join(ROOT, 'agent');
const AGENT_BUNDLE = path.join(AGENT, 'dist', 'vigie-agent.js');
const STAMP = `${AGENT_BUNDLE}.inputs-hash`;

const WINSW_SOURCE = path.join(ROOT, 'node_modules', 'node-windows', 'bin', 'winsw', 'winsw.exe');
const WINSW_TARGET = path.join(AGENT, 'dist', 'winsw.exe');
/** sha256 of node-windows@1.0.0-beta.8's bin/winsw/winsw.exe (WinSW 1.17.0.0, 59,392 bytes). */
const WINSW_SHA256 = '5859b114d96800a2b98ef9d19eaa573a786a422dad324547ef25be181389df01';

function copyWinsw(): void {
  if (!fs.existsSync(WINSW_SOURCE)) throw new Error(`${WINSW_SOURCE} is missing: npm install (devDependency node-windows@1.0.0-beta.8)`);
  const bytes = fs.readFileSync(WINSW_SOURCE);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== WINSW_SHA256) {
    throw new Error(`${WINSW_SOURCE} has sha256 ${sha256}, not the pinned ${WINSW_SHA256}: check the new WinSW (version, licence) and update WINSW_SHA256`);
  }
  if (fs.existsSync(WINSW_TARGET) && fs.readFileSync(WINSW_TARGET).equals(bytes)) return;
  fs.mkdirSync(path.dirname(WINSW_TARGET), { recursive: true });
  fs.writeFileSync(WINSW_TARGET, bytes);
}

function main(): number {
  copyWinsw();
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
