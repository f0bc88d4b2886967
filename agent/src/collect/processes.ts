import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * Running processes, read from /proc without spawning `ps`. The kernel's `comm` is cut to 15 characters
 * ("sentinelone-watchdog" shows as "sentinelone-wat"), so the executable's name is also taken from the first
 * argument of `cmdline`, and names are matched against either.
 */

export interface ProcessInfo {
  pid: number;
  /** /proc/<pid>/comm: the kernel's name, at most 15 characters. */
  comm: string;
  /** Base name of argv[0] from /proc/<pid>/cmdline ('' for kernel threads). */
  exe: string;
}

/** Parses /proc/<pid>/cmdline (NUL-separated) into the base name of argv[0]. */
export function exeName(cmdline: string): string {
  const argv0 = cmdline.split('\0')[0] ?? '';
  return path.posix.basename(argv0.split(' ')[0] ?? '');
}

/** Whether a process is the program `name` (comm, a comm cut at 15 characters, or argv[0]'s base name). */
export function processMatches(proc: ProcessInfo, name: string): boolean {
  return proc.comm === name || proc.exe === name || (name.length > 15 && proc.comm === name.slice(0, 15));
}

/** Lists the processes under `procRoot` (default /proc); a process that exits meanwhile is skipped. */
export async function listProcesses(procRoot = '/proc'): Promise<ProcessInfo[]> {
  const entries = await fs.readdir(procRoot);
  const procs = await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (entry): Promise<ProcessInfo | undefined> => {
        const dir = path.join(procRoot, entry);
        try {
          const comm = (await fs.readFile(path.join(dir, 'comm'), 'utf8')).trim();
          const cmdline = await fs.readFile(path.join(dir, 'cmdline'), 'utf8').catch(() => '');
          return { pid: Number(entry), comm, exe: exeName(cmdline) };
        } catch {
          return undefined;
        }
      }),
  );
  return procs.filter((p): p is ProcessInfo => p !== undefined).sort((a, b) => a.pid - b.pid);
}
