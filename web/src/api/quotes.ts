import type { AcceptQuoteBody, CreateQuoteBody, Page, Quote, QuoteListQuery, UpdateQuoteBody } from '@vigie/core';
import { http } from './http';

export type QuoteListParams = Partial<QuoteListQuery>;
export type QuoteAction = 'send' | 'decline';

const id = (value: string) => encodeURIComponent(value);

export const listQuotes = (params: QuoteListParams) => http.get<Page<Quote>>('/quotes', params);
export const getQuote = (quoteId: string) => http.get<Quote>(`/quotes/${id(quoteId)}`);
/** A draft, numbered DEV-YYYY-NNNN by the server; the idempotency key makes a retried save create one quote. */
export const createQuote = (opportunityId: string, body: CreateQuoteBody, idempotencyKey?: string) =>
  http.post<Quote>(`/opportunities/${id(opportunityId)}/quote`, body, { headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
/** Drafts only (409 once sent). */
export const updateQuote = (quoteId: string, body: UpdateQuoteBody) => http.patch<Quote>(`/quotes/${id(quoteId)}`, body);
/** draft → sent / declined, sent → declined (409 otherwise). */
export const quoteAction = (quoteId: string, action: QuoteAction) => http.post<Quote>(`/quotes/${id(quoteId)}/${action}`);
/**
 * draft or sent → accepted: the opportunity is won. A renewal proposal (`renewsContractId`) sells its pack on
 * that contract (409 if it has ended); otherwise `contract` also drafts the matching contract (`contractId`).
 */
export const acceptQuote = (quoteId: string, body: AcceptQuoteBody = {}) => http.post<Quote>(`/quotes/${id(quoteId)}/accept`, body);
/** The PDF, rendered by the worker (a few seconds the first time, then stored as a client document). */
export const getQuotePdf = (quoteId: string) => http.get<Blob>(`/quotes/${id(quoteId)}/pdf`, undefined, { responseType: 'blob' });
