import type { z } from 'zod';
import type {
  BusinessCalendar,
  SlaPolicy,
  SlaPolicyBody,
  TicketMailKind,
  TicketMailTemplate,
  UpdateTicketMailTemplateBody,
  ticketMailTemplatesSchema,
  updateSlaPolicyBodySchema,
} from '@vigie/core';
import { http } from './http';

/** Support settings: SLA policies, the business calendar they count on, and the ticket e-mails. Staff read, admins write. */

export type UpdateSlaPolicyBody = z.infer<typeof updateSlaPolicyBodySchema>;
export type TicketMailTemplates = z.infer<typeof ticketMailTemplatesSchema>;

// SLA policies (the default first)
export const listSlaPolicies = () => http.get<{ items: SlaPolicy[] }>('/sla-policies');
export const createSlaPolicy = (body: SlaPolicyBody) => http.post<SlaPolicy>('/sla-policies', body);
export const updateSlaPolicy = (id: string, body: UpdateSlaPolicyBody) => http.patch<SlaPolicy>(`/sla-policies/${encodeURIComponent(id)}`, body);

// Business calendar
export const getBusinessCalendar = () => http.get<BusinessCalendar>('/settings/business-calendar');
export const putBusinessCalendar = (body: BusinessCalendar) => http.put<BusinessCalendar>('/settings/business-calendar', body);
/** Merges a year's French public holidays into the saved calendar and answers the whole calendar. */
export const addFrenchHolidays = (year: number) =>
  http.post<BusinessCalendar>('/settings/business-calendar/french-holidays', undefined, { query: { year } });

// Ticket e-mails (the support address itself is in /settings)
export const listTicketMailTemplates = () => http.get<TicketMailTemplates>('/settings/ticket-mail-templates');
export const saveTicketMailTemplate = (kind: TicketMailKind, body: UpdateTicketMailTemplateBody) =>
  http.put<TicketMailTemplate>(`/settings/ticket-mail-templates/${kind}`, body);
/** Back to the built-in text. */
export const resetTicketMailTemplate = (kind: TicketMailKind) => http.delete<TicketMailTemplate>(`/settings/ticket-mail-templates/${kind}`);
