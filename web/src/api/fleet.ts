import type {
  CreateEnrollmentTokenBody,
  EnrollmentToken,
  FleetMachine,
  MachineListQuery,
  MachineMetrics,
  MetricsRange,
  Page,
} from '@vigie/core';
import { readEventStream, type StreamEvent } from './event-stream';
import { http } from './http';

export type MachineListParams = Partial<MachineListQuery>;

const id = (value: string) => encodeURIComponent(value);

/** The fleet (staff): by client, site, online state, OS (part of its name) and hostname (`q`). */
export const listMachines = (params: MachineListParams) => http.get<Page<FleetMachine>>('/machines', params);
export const getMachine = (machineId: string) => http.get<FleetMachine>(`/machines/${id(machineId)}`);
/** Raw samples for 1h / 24h, hourly average and maximum for 7d / 30d; disks per mount point, network summed. */
export const getMachineMetrics = (machineId: string, range: MetricsRange) => http.get<MachineMetrics>(`/machines/${id(machineId)}/metrics`, { range });

/**
 * The live fleet until `signal` aborts or the server ends the stream (it does after a while: reconnect):
 * `ready` once subscribed, then `machine` events, each a FleetMachine.
 */
export const streamFleet = (onEvent: (event: StreamEvent) => void, signal: AbortSignal, machineId?: string) =>
  readEventStream('/machines/stream', { machineId }, onEvent, signal);

// Enrollment tokens (admins and managers).

/** What creating a token answers: the secret is shown this once. */
export interface CreatedEnrollmentToken {
  id: string;
  token: string;
  expiresAt: string;
}

export const listEnrollmentTokens = () => http.get<Page<EnrollmentToken>>('/enrollment-tokens');
export const createEnrollmentToken = (body: CreateEnrollmentTokenBody) => http.post<CreatedEnrollmentToken>('/enrollment-tokens', body);
/** Machines already enrolled with it keep running. */
export const revokeEnrollmentToken = (tokenId: string) => http.delete(`/enrollment-tokens/${id(tokenId)}`);
