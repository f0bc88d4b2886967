import type { z } from 'zod';
import type { CreateTimeEntryBody, Page, TimeEntry, TimeEntryStatus, Timer, UpdateTimeEntryBody, bulkApproveResultSchema } from '@vigie/core';
import type { ListParams } from '@/composables/use-cursor-list';
import { http } from './http';

export interface TimeEntryListParams extends Partial<ListParams> {
  status?: TimeEntryStatus;
  /** A staff id or `me`; a technician only ever gets their own. */
  technicianId?: string;
  clientId?: string;
  ticketId?: string;
  /** Work days, YYYY-MM-DD, both included. */
  from?: string;
  to?: string;
}

export type BulkApproveResult = z.infer<typeof bulkApproveResultSchema>;
/** What starting a timer answers: the timer, and the entry a switch made of the one that ran. */
export type StartedTimer = Timer & { stoppedEntry: TimeEntry | null };

const id = (value: string) => encodeURIComponent(value);
const idempotent = (key?: string): { headers: Record<string, string> } => ({ headers: key ? { 'Idempotency-Key': key } : {} });

export const listTicketTimeEntries = (ticketId: string, params: Omit<TimeEntryListParams, 'ticketId' | 'clientId'>) =>
  http.get<Page<TimeEntry>>(`/tickets/${id(ticketId)}/time-entries`, { ...params });
/** Pending until a manager approves it; not on a closed ticket (409). */
export const createTimeEntry = (ticketId: string, body: CreateTimeEntryBody, idempotencyKey?: string) =>
  http.post<TimeEntry>(`/tickets/${id(ticketId)}/time-entries`, body, idempotent(idempotencyKey));
export const updateTimeEntry = (entryId: string, body: UpdateTimeEntryBody) => http.patch<TimeEntry>(`/time-entries/${id(entryId)}`, body);
export const deleteTimeEntry = (entryId: string) => http.delete(`/time-entries/${id(entryId)}`);
export const listTimeEntries = (params: TimeEntryListParams) => http.get<Page<TimeEntry>>('/time-entries', { ...params });

/** Managers: approval applies the time to the ticket's contract and freezes its value. */
export const approveTimeEntry = (entryId: string, comment?: string) =>
  http.post<TimeEntry>(`/time-entries/${id(entryId)}/approve`, comment ? { comment } : {});
/** The comment is required. */
export const rejectTimeEntry = (entryId: string, comment: string) => http.post<TimeEntry>(`/time-entries/${id(entryId)}/reject`, { comment });
/** Each entry succeeds or fails on its own: one result per id. */
export const bulkApproveTimeEntries = (ids: string[], comment?: string, idempotencyKey?: string) =>
  http.post<BulkApproveResult>('/time-entries/approve', comment ? { ids, comment } : { ids }, idempotent(idempotencyKey));

/** The caller's running timer, or null. */
export const getTimer = () => http.get<Timer | null>('/timer');
/** 409 naming the ticket already timed, unless `switchTimer` (the running one becomes an entry first). */
export const startTimer = (ticketId: string, switchTimer = false) =>
  http.post<StartedTimer>(`/tickets/${id(ticketId)}/timer/start`, undefined, { query: switchTimer ? { switch: 'true' } : {} });
export const stopTimer = (body: { description?: string; billable: boolean }, idempotencyKey?: string) =>
  http.post<TimeEntry>('/timer/stop', body, idempotent(idempotencyKey));
