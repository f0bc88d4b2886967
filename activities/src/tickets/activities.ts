import type { Db } from '@vigie/db';

export interface TicketActivityDeps {
  db: Db;
}

/** Activities of the ticket workflow (SLA clocks, auto-close, pre-billing on close). */
export function createTicketActivities(_deps: TicketActivityDeps) {
  return {};
}

export type TicketActivities = ReturnType<typeof createTicketActivities>;
