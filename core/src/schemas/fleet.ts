import { z } from 'zod';
import { machineSchema } from './agents';
import { machineTagSchema } from './alerts';
import { listQuerySchema } from './common';

const isoDate = z.iso.datetime({ offset: true });

/** Online: a heartbeat (or any telemetry) younger than the offline delay, and not disabled. */
export const MACHINE_STATUSES = ['online', 'offline'] as const;
export type MachineStatus = (typeof MACHINE_STATUSES)[number];

/** `GET /machines`: the fleet, filtered and paginated (keyset). */
export const machineListQuerySchema = listQuerySchema.extend({
  clientId: z.uuid().optional(),
  siteId: z.uuid().optional(),
  status: z.enum(MACHINE_STATUSES).optional(),
  os: z.string().trim().min(1).max(100).optional().meta({ description: 'part of the OS name, case-insensitive (`windows`, `debian`)' }),
  q: z.string().max(200).optional().meta({ description: 'part of the hostname, case-insensitive' }),
  tag: machineTagSchema.optional().meta({ description: 'machines carrying this tag (PUT /machines/:id/tags)' }),
});
export type MachineListQuery = z.infer<typeof machineListQuerySchema>;

/** Sort keys of `GET /machines` (`-key` for descending); hostname by default. */
export const MACHINE_SORTS = ['hostname', 'osName', 'createdAt'] as const;

/** The latest metrics sample of a machine (of the last 24 h), for the fleet list. */
export const latestMetricsSchema = z
  .object({
    at: isoDate,
    cpuPercent: z.number(),
    memUsedBytes: z.number().int().nullable(),
    memTotalBytes: z.number().int().nullable(),
  })
  .meta({ id: 'LatestMetrics' });
export type LatestMetrics = z.infer<typeof latestMetricsSchema>;

/** A machine as the fleet views show it: with its client's and site's names and its latest sample. */
export const fleetMachineSchema = machineSchema
  .extend({
    clientName: z.string(),
    siteName: z.string().nullable(),
    latestMetrics: latestMetricsSchema.nullable(),
    tags: z.array(z.string()).meta({ description: 'what tag-scoped alert rules match (PUT /machines/:id/tags)' }),
  })
  .meta({ id: 'FleetMachine' });
export type FleetMachine = z.infer<typeof fleetMachineSchema>;

/** `GET /machines/stream`: only this machine's events when given. */
export const fleetStreamQuerySchema = z.strictObject({ machineId: z.uuid().optional() });

/** Events of `GET /machines/stream` (server-sent events; `data` is JSON). */
export const FLEET_EVENTS = {
  /** Sent once subscribed: `{ at }` (server time). Anything changed before it is in a list read after it. */
  ready: 'ready',
  /** A machine whose online state, last contact or latest sample changed: a `FleetMachine`. */
  machine: 'machine',
} as const;
