import { startTestWorker } from './worker';

/** A worker for the `vigie-crm` task queue (PDF rendering, e-mail outbox; no SMTP server). */
export function startCrmWorker(): Promise<{ stop(): Promise<void> }> {
  return startTestWorker(['crm']);
}
