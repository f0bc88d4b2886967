import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { hashInputs, isUpToDate } from './build/inputs-hash';
import { ROOT } from './stack/paths';

/**
 * Builds the web app with Vite only when its inputs changed (web/ sources, core/src schemas, lock file),
 * so a second `npm start` does not rebuild it.
 */
const WEB = path.join(ROOT, 'web');
const STAMP = path.join(WEB, 'dist', '.inputs-hash');

function main(): number {
  if (!fs.existsSync(path.join(WEB, 'package.json'))) return 0;
  const hash = hashInputs([WEB, path.join(ROOT, 'core', 'src')], {
    skip: ['node_modules', 'dist', 'e2e'],
    files: [path.join(ROOT, 'package-lock.json')],
  });
  if (isUpToDate(STAMP, hash)) return 0;
  const result = spawnSync('npm', ['run', '--silent', 'build', '--workspace', '@vigie/web'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  fs.writeFileSync(STAMP, hash);
  return 0;
}

process.exit(main());
