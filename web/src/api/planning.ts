import type { z } from 'zod';
import type {
  AbsenceView,
  CreateAbsenceBody,
  CreateInterventionBody,
  Intervention,
  InterventionListQuery,
  Page,
  PlanningConflict,
  UpdateInterventionBody,
  calendarFeedSchema,
  capacitySchema,
  completeInterventionBodySchema,
  technicianCalendarSchema,
  technicianScheduleSchema,
} from '@vigie/core';
import { ApiError, http } from './http';

export type TechnicianCalendar = z.infer<typeof technicianCalendarSchema>;
export type TechnicianSchedule = z.infer<typeof technicianScheduleSchema>;
export type CapacityForecast = z.infer<typeof capacitySchema>;
export type CalendarFeed = z.infer<typeof calendarFeedSchema>;
export type CompleteInterventionBody = z.input<typeof completeInterventionBodySchema>;
export type WeekSchedule = TechnicianSchedule['week'];
export type { AbsenceView, Intervention, PlanningConflict };

const id = (value: string) => encodeURIComponent(value);

// ------------------------------------------------------------ interventions

export const listInterventions = (query: InterventionListQuery) => http.get<{ items: Intervention[] }>('/interventions', { ...query });
export const getIntervention = (interventionId: string) => http.get<Intervention>(`/interventions/${id(interventionId)}`);
/** 409 with `conflicts` unless `force`. */
export const createIntervention = (body: CreateInterventionBody) => http.post<Intervention>('/interventions', body);
/** The same body as creation: what would conflict, nothing saved; `interventionId` (a move) leaves that one out of its own overlaps. */
export const checkIntervention = (body: Omit<CreateInterventionBody, 'force'>, interventionId?: string) =>
  http.post<{ conflicts: PlanningConflict[] }>('/interventions/check', body, { query: { interventionId } });
/** Move, reassign, change: 409 with `conflicts` unless `force`. */
export const updateIntervention = (interventionId: string, body: UpdateInterventionBody) =>
  http.patch<Intervention>(`/interventions/${id(interventionId)}`, body);
export const cancelIntervention = (interventionId: string) => http.post<Intervention>(`/interventions/${id(interventionId)}/cancel`, {});
export const completeIntervention = (interventionId: string, body: CompleteInterventionBody) =>
  http.post<Intervention>(`/interventions/${id(interventionId)}/complete`, body);

/** The conflicts a 409 carries (the problem's `conflicts` member), or null for any other failure. */
export function conflictsOf(err: unknown): PlanningConflict[] | null {
  if (!(err instanceof ApiError) || err.status !== 409) return null;
  const list = (err.problem as { conflicts?: unknown }).conflicts;
  return Array.isArray(list) ? (list as PlanningConflict[]) : null;
}

// ------------------------------------------------------------ availability

export interface AbsenceListParams {
  technicianId?: string;
  status?: AbsenceView['status'];
  from?: string;
  to?: string;
  cursor?: string;
  limit?: number;
}
export const listAbsences = (params: AbsenceListParams) => http.get<Page<AbsenceView>>('/absences', { ...params });
export const createAbsence = (body: CreateAbsenceBody) => http.post<AbsenceView>('/absences', body);
export const approveAbsence = (absenceId: string, comment?: string) =>
  http.post<AbsenceView>(`/absences/${id(absenceId)}/approve`, comment ? { comment } : {});
export const rejectAbsence = (absenceId: string, comment?: string) => http.post<AbsenceView>(`/absences/${id(absenceId)}/reject`, comment ? { comment } : {});
export const deleteAbsence = (absenceId: string) => http.delete(`/absences/${id(absenceId)}`);

export const getSchedule = (technicianId: string) => http.get<TechnicianSchedule>(`/technicians/${id(technicianId)}/schedule`);
/** `week: null`: back to the tenant's business hours. */
export const putSchedule = (technicianId: string, week: WeekSchedule | null) =>
  http.put<TechnicianSchedule>(`/technicians/${id(technicianId)}/schedule`, { week });

export const getTechnicianCalendar = (technicianId: string, from: string, to: string) =>
  http.get<TechnicianCalendar>(`/technicians/${id(technicianId)}/calendar`, { from, to });

// ------------------------------------------------------------ capacity and feed

export const getCapacity = (params: { weeks: number; from?: string; teamId?: string }) => http.get<CapacityForecast>('/capacity', { ...params });

/** A new secret URL (any former one stops working): shown once. */
export const createCalendarFeed = (technicianId: string) => http.post<CalendarFeed>(`/technicians/${id(technicianId)}/calendar-feed`, {});
export const revokeCalendarFeed = (technicianId: string) => http.delete(`/technicians/${id(technicianId)}/calendar-feed`);
