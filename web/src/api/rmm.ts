import type {
  Alert,
  AlertListQuery,
  AlertRule,
  AlertSettings,
  CreateAlertRuleBody,
  CreateCommandBody,
  MachineCommand,
  MachineRevocation,
  Page,
  Site,
  UpdateAlertRuleBody,
} from '@vigie/core';
import { http } from './http';

/** Remote commands, alerts and alert rules, machine tags and the machine's life (disable, enable, delete). */
const id = (value: string) => encodeURIComponent(value);
const idempotent = (key?: string): { headers: Record<string, string> } => ({ headers: key ? { 'Idempotency-Key': key } : {} });

// Commands (staff).

/** Saved, then sent to the agent (kept for an offline agent until its TTL); the result comes later. */
export const sendCommand = (machineId: string, body: CreateCommandBody, idempotencyKey?: string) =>
  http.post<MachineCommand>(`/machines/${id(machineId)}/commands`, body, idempotent(idempotencyKey));
/** A machine's commands, newest first (keyset pages). */
export const listMachineCommands = (machineId: string, params: { limit?: number; cursor?: string }) =>
  http.get<Page<MachineCommand>>(`/machines/${id(machineId)}/commands`, params);
export const getCommand = (commandId: string) => http.get<MachineCommand>(`/commands/${id(commandId)}`);
/** Ends a queued, sent or running command as cancelled (409 once it is final); the agent is told. */
export const cancelCommand = (commandId: string, idempotencyKey?: string) =>
  http.post<MachineCommand>(`/commands/${id(commandId)}/cancel`, undefined, idempotent(idempotencyKey));

// Alerts (staff read).

/** Filters as the API takes them: status and severity as comma lists. */
export type AlertListParams = Partial<Omit<AlertListQuery, 'status' | 'severity'>> & { status?: string; severity?: string };

export const listAlerts = (params: AlertListParams) => http.get<Page<Alert>>('/alerts', params);

// Alert rules (staff read; admins and managers write).

export type AlertRuleListParams = { limit?: number; cursor?: string; sort?: string; q?: string; kind?: string; severity?: string; enabled?: boolean };

export const listAlertRules = (params: AlertRuleListParams) => http.get<Page<AlertRule>>('/alert-rules', params);
export const createAlertRule = (body: CreateAlertRuleBody) => http.post<AlertRule>('/alert-rules', body);
/** The kind does not change; open alerts the rule no longer watches are resolved. */
export const updateAlertRule = (ruleId: string, body: UpdateAlertRuleBody) => http.patch<AlertRule>(`/alert-rules/${id(ruleId)}`, body);
/** Its alerts go with it; their tickets stay. */
export const deleteAlertRule = (ruleId: string) => http.delete(`/alert-rules/${id(ruleId)}`);

export const getAlertSettings = () => http.get<AlertSettings>('/alert-settings');
/** Admins only. */
export const updateAlertSettings = (body: AlertSettings) => http.patch<AlertSettings>('/alert-settings', body);

// A machine: tags, and (admins, managers) disable / enable / delete.

export const setMachineTags = (machineId: string, tags: string[]) => http.put<{ tags: string[] }>(`/machines/${id(machineId)}/tags`, { tags });
/** The agent is disconnected at once; `pending` when NATS could not be told yet (the API retries). */
export const disableMachine = (machineId: string) => http.post<MachineRevocation>(`/machines/${id(machineId)}/disable`);
export const enableMachine = (machineId: string) => http.post<void>(`/machines/${id(machineId)}/enable`);
export const deleteMachine = (machineId: string) => http.delete<MachineRevocation>(`/machines/${id(machineId)}`);

/** A site by its id (an alert rule's scope names only the id). */
export const getSite = (siteId: string) => http.get<Site>(`/sites/${id(siteId)}`);
