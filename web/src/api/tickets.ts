import type {
  AssignTicketBody,
  CommentBody,
  CreateTicketBody,
  Document,
  Page,
  SlaState,
  Ticket,
  TicketEvent,
  TicketEventKind,
  TicketPriority,
  TicketStatus,
  TicketView,
  UpdateTicketBody,
} from '@vigie/core';
import type { ListParams } from '@/composables/use-cursor-list';
import { http, request, upload } from './http';

/** The list's query as sent: status and priority are comma lists (`open,in_progress`). */
export interface TicketListParams extends Partial<ListParams> {
  status?: string;
  priority?: string;
  clientId?: string;
  /** A staff id, `me` or `none` (unassigned). */
  assigneeId?: string;
  /** A team id, `mine` (the teams I belong to) or `none` (no team). */
  teamId?: string;
  queue?: 'support' | 'triage';
  slaState?: SlaState;
  contractId?: string;
}

const id = (value: string) => encodeURIComponent(value);
const idempotent = (key?: string): { headers: Record<string, string> } => ({ headers: key ? { 'Idempotency-Key': key } : {} });

/** Staff see every ticket; a client user only their client's (the API scopes it). */
export const listTickets = (params: TicketListParams) => http.get<Page<Ticket>>('/tickets', { ...params });
export const getTicket = (ticketId: string) => http.get<Ticket>(`/tickets/${id(ticketId)}`);
/** Staff for any client; a client user sends only subject, description, category and priority. */
export const createTicket = (body: Partial<CreateTicketBody> & Pick<CreateTicketBody, 'subject'>, idempotencyKey?: string) =>
  http.post<Ticket>('/tickets', body, idempotent(idempotencyKey));
/** Each changed field is kept in the timeline (from → to). */
export const updateTicket = (ticketId: string, body: UpdateTicketBody) => http.patch<Ticket>(`/tickets/${id(ticketId)}`, body);
/** A technician, a team or both (null clears it; absent leaves it); each change goes to the timeline. */
export const assignTicket = (ticketId: string, body: AssignTicketBody) => http.post<Ticket>(`/tickets/${id(ticketId)}/assign`, body);
/** Along TICKET_TRANSITIONS (409 otherwise); resolving or closing needs the note (400 on `note`). */
export const changeTicketStatus = (ticketId: string, status: TicketStatus, note?: string) =>
  http.post<Ticket>(`/tickets/${id(ticketId)}/status`, note ? { status, note } : { status });

/** A public reply (e-mailed to the contact) or an internal note (staff only). */
export const addComment = (ticketId: string, body: CommentBody, idempotencyKey?: string) =>
  http.post<TicketEvent>(`/tickets/${id(ticketId)}/comments`, body, idempotent(idempotencyKey));
/** Everything that happened, oldest first; a client user gets the public events only. */
export const listTicketTimeline = (ticketId: string, params: Partial<ListParams> & { kind?: TicketEventKind }) =>
  http.get<Page<TicketEvent>>(`/tickets/${id(ticketId)}/timeline`, { ...params });

/** Every event of the timeline, page after page (a ticket's history is short; 1 000 events at most). */
export async function allTicketEvents(ticketId: string): Promise<TicketEvent[]> {
  const events: TicketEvent[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 5; pages += 1) {
    const page = await listTicketTimeline(ticketId, { limit: 200, ...(cursor ? { cursor } : {}) });
    events.push(...page.items);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return events;
}

export const listAttachments = (ticketId: string) => http.get<{ items: Document[] }>(`/tickets/${id(ticketId)}/attachments`);
export const uploadAttachment = (ticketId: string, file: File, onProgress?: (fraction: number) => void) =>
  upload<Document>(`/tickets/${id(ticketId)}/attachments`, file, { query: { filename: file.name }, ...(onProgress ? { onProgress } : {}) });
export const downloadAttachment = (ticketId: string, documentId: string) =>
  request<Blob>(`/tickets/${id(ticketId)}/attachments/${id(documentId)}/content`, { responseType: 'blob' });

/** The user's saved filter sets of the ticket list. */
export const listTicketViews = () => http.get<{ items: TicketView[] }>('/ticket-views');
export const createTicketView = (name: string, filters: Record<string, string>) => http.post<TicketView>('/ticket-views', { name, filters });
export const deleteTicketView = (viewId: string) => http.delete(`/ticket-views/${id(viewId)}`);

export type { TicketPriority, TicketStatus };
