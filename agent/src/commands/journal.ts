import fs from 'node:fs';
import path from 'node:path';
import { fsyncDir } from '../durable-file';

/**
 * What the agent did with each command, one empty file per command id in `dir`: `<id>.started` before it runs,
 * renamed `<id>.done` once its result is in the outbox; `<id>.cancelled` once a cancel notice for it came
 * (maybe before the command itself). JetStream redelivers a command whose ack was lost (the agent crashed or
 * lost NATS before acking); the journal turns that redelivery into an ack (done), a "cancelled" report
 * (cancelled) or an "interrupted" report (started), never a second run of a script, nor a run of a cancelled
 * one. Files outlive the COMMANDS stream's 7 days, after which no redelivery can come, and are then removed.
 */

export type JournalState = 'new' | 'started' | 'cancelled' | 'done';

const KEEP_MS = 8 * 24 * 3600 * 1000;
const PRUNE_EVERY_MS = 3600 * 1000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class CommandJournal {
  private lastPrune = 0;

  private constructor(readonly dir: string) {}

  static open(dir: string): CommandJournal {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const journal = new CommandJournal(dir);
    journal.prune();
    return journal;
  }

  state(id: string): JournalState {
    if (fs.existsSync(this.file(id, 'done'))) return 'done';
    if (fs.existsSync(this.file(id, 'cancelled'))) return 'cancelled';
    return fs.existsSync(this.file(id, 'started')) ? 'started' : 'new';
  }

  /** Durable before the notice is acked: a command delivered later (or again after a crash) is never run. */
  markCancelled(id: string): void {
    fs.closeSync(fs.openSync(this.file(id, 'cancelled'), 'w', 0o600));
    fsyncDir(this.dir);
  }

  /** Durable before the command runs, so a crash during the run is known at the next start. */
  markStarted(id: string): void {
    fs.closeSync(fs.openSync(this.file(id, 'started'), 'w', 0o600));
    fsyncDir(this.dir);
  }

  markDone(id: string): void {
    const started = this.file(id, 'started');
    if (fs.existsSync(started)) fs.renameSync(started, this.file(id, 'done'));
    else fs.closeSync(fs.openSync(this.file(id, 'done'), 'w', 0o600));
    fsyncDir(this.dir);
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) this.prune();
  }

  private file(id: string, state: Exclude<JournalState, 'new'>): string {
    // The id comes from the server: never let it name a path.
    if (!UUID.test(id)) throw new RangeError(`invalid command id: ${JSON.stringify(id)}`);
    return path.join(this.dir, `${id.toLowerCase()}.${state}`);
  }

  private prune(): void {
    this.lastPrune = Date.now();
    for (const name of fs.readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      try {
        if (Date.now() - fs.statSync(file).mtimeMs > KEEP_MS) fs.rmSync(file, { force: true });
      } catch {
        // removed meanwhile
      }
    }
  }
}
