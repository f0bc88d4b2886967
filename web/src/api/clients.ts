import type {
  Client,
  ClientListQuery,
  Contact,
  CreateClientBody,
  CreateContactBody,
  CreateInteractionBody,
  Interaction,
  InteractionListQuery,
  ListQuery,
  Page,
  Site,
  SiteBody,
  TimelineEntry,
  UpdateClientBody,
  UpdateContactBody,
  UpdateSiteBody,
} from '@vigie/core';
import { http } from './http';
import type { Invitation } from './users';

export type ClientListParams = Partial<ClientListQuery>;
export type SubListParams = Partial<ListQuery>;

/** What POST /clients/import answers (the dry run and the real import alike). */
export interface ImportReport {
  dryRun: boolean;
  rows: number;
  valid: number;
  clientsCreated: number;
  contactsCreated: number;
  errors: { row: number; field: string; message: string }[];
}

const id = (value: string) => encodeURIComponent(value);

// Clients
export const listClients = (params: ClientListParams) => http.get<Page<Client>>('/clients', params);
export const getClient = (clientId: string) => http.get<Client>(`/clients/${id(clientId)}`);
/** The idempotency key makes a retried submit create one client only. */
export const createClient = (body: CreateClientBody, idempotencyKey?: string) =>
  http.post<Client>('/clients', body, { headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {} });
export const updateClient = (clientId: string, body: UpdateClientBody) => http.patch<Client>(`/clients/${id(clientId)}`, body);

/** The CSV file is the raw body; a dry run only reports, a real run writes everything or nothing. */
export const importClients = (file: Blob, dryRun: boolean) =>
  http.post<ImportReport>('/clients/import', new Blob([file], { type: 'text/csv' }), { query: { dryRun } });
/** The server's CSV (the import's columns), for the same filters as the list. */
export const exportClients = (params: Pick<ClientListParams, 'status' | 'tag' | 'q'>) =>
  http.get<Blob>('/clients/export', params, { responseType: 'blob' });

// Contacts
export const listContacts = (clientId: string, params: SubListParams) => http.get<Page<Contact>>(`/clients/${id(clientId)}/contacts`, params);
export const createContact = (clientId: string, body: CreateContactBody) => http.post<Contact>(`/clients/${id(clientId)}/contacts`, body);
export const updateContact = (contactId: string, body: UpdateContactBody) => http.patch<Contact>(`/contacts/${id(contactId)}`, body);
export const deleteContact = (contactId: string) => http.delete(`/contacts/${id(contactId)}`);

// Sites
export const listSites = (clientId: string, params: SubListParams) => http.get<Page<Site>>(`/clients/${id(clientId)}/sites`, params);
export const createSite = (clientId: string, body: SiteBody) => http.post<Site>(`/clients/${id(clientId)}/sites`, body);
export const updateSite = (siteId: string, body: UpdateSiteBody) => http.patch<Site>(`/sites/${id(siteId)}`, body);
export const deleteSite = (siteId: string) => http.delete(`/sites/${id(siteId)}`);

// Interactions and timeline
export const listInteractions = (clientId: string, params: Partial<InteractionListQuery>) =>
  http.get<Page<Interaction>>(`/clients/${id(clientId)}/interactions`, params);
export const createInteraction = (clientId: string, body: CreateInteractionBody) =>
  http.post<Interaction>(`/clients/${id(clientId)}/interactions`, body);
export const listTimeline = (clientId: string, params: SubListParams) => http.get<Page<TimelineEntry>>(`/clients/${id(clientId)}/timeline`, params);

/** Gives a contact access to the client portal: 400 without an e-mail address, 409 when they already have it. */
export const inviteContact = (contactId: string) => http.post<Invitation>(`/contacts/${id(contactId)}/invite`);
