import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * A build step runs again only when its inputs changed: a hash of the files under `dirs` (names and
 * contents, in a stable order) is kept in a stamp file beside the output.
 */
export function hashInputs(dirs: string[], opts: { skip?: string[]; only?: (file: string) => boolean; files?: string[] } = {}): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (opts.skip?.includes(entry.name)) continue;
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (!opts.only || opts.only(full)) hash.update(full).update(fs.readFileSync(full));
    }
  };
  dirs.forEach(walk);
  for (const file of opts.files ?? []) hash.update(fs.readFileSync(file));
  return hash.digest('hex');
}

export function isUpToDate(stamp: string, hash: string): boolean {
  return fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === hash;
}
