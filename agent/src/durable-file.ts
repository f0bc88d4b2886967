import fs from 'node:fs';
import path from 'node:path';

/**
 * Makes a directory entry change (create, rename, unlink) durable. A file's own fsync does not cover its name in
 * the directory; after a power cut the file could be missing or, after a rename, the old one could come back.
 * Windows cannot open a directory for fsync (and its metadata journal covers this), so failures there are ignored.
 */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (error) {
    if (process.platform !== 'win32') throw error;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces a small file so that a crash leaves either the old or the new content, never a mix: write a temporary
 * sibling, fsync it, rename over the target, fsync the directory.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', mode);
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}
