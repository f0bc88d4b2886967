import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './stack/paths';

/**
 * Builds the web app with Vite only when its inputs changed (web/ sources, core/src schemas, lock file),
 * so a second `npm start` does not rebuild it.
 */
const WEB = path.join(ROOT, 'web');
const STAMP = path.join(WEB, 'dist', '.inputs-hash');

function hashInputs(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (['node_modules', 'dist', 'e2e'].includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else hash.update(full).update(fs.readFileSync(full));
    }
  };
  walk(WEB);
  walk(path.join(ROOT, 'core', 'src'));
  hash.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  return hash.digest('hex');
}

function main(): number {
  if (!fs.existsSync(path.join(WEB, 'package.json'))) return 0;
  const hash = hashInputs();
  if (fs.existsSync(STAMP) && fs.readFileSync(STAMP, 'utf8') === hash) return 0;
  const result = spawnSync('npm', ['run', '--silent', 'build', '--workspace', '@vigie/web'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) return result.status ?? 1;
  fs.writeFileSync(STAMP, hash);
  return 0;
}

process.exit(main());
