import { z } from 'zod';
import { EVENT_SEVERITIES } from './alerts';

/**
 * What the agent reports about a machine's state (kind `inventory`: watched services and processes, antivirus
 * and EDR products) and its critical system events (kind `events`), and how the API shows them.
 */

const isoDate = z.iso.datetime({ offset: true });
const name = z.string().min(1).max(256);

/** A watched systemd service, as the agent's `systemctl show` read it. */
export const reportedServiceSchema = z.object({
  name,
  unit: z.string().max(256),
  loadState: z.string().max(40),
  activeState: z.string().max(40),
  subState: z.string().max(40),
  exists: z.boolean(),
  active: z.boolean(),
});

export const reportedProcessSchema = z.object({ name, running: z.boolean(), pids: z.array(z.number().int().positive()).max(1000) });

export const reportedSecurityProductSchema = z.object({
  id: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  installed: z.boolean(),
  running: z.boolean(),
  /** null (or absent) when the product cannot tell. */
  realtimeProtection: z.boolean().nullable().optional(),
});

/** Parts of the snapshot the agent could not collect on this machine (no systemd, no /proc…). */
export const STATE_SOURCES = ['services', 'processes', 'security'] as const;

/** Payload of `vigie.<tenant>.tlm.<machine>.inventory`: a snapshot that replaces the previous one. */
export const machineInventorySchema = z.object({
  seq: z.number().int().positive(),
  collectedAt: isoDate,
  services: z.array(reportedServiceSchema).max(200),
  processes: z.array(reportedProcessSchema).max(200),
  security: z.array(reportedSecurityProductSchema).max(50),
  unavailable: z.array(z.enum(STATE_SOURCES)).default([]),
});
export type MachineInventory = z.infer<typeof machineInventorySchema>;

/** Messages longer than this are cut (the agent already cuts at 8192). */
export const MAX_EVENT_MESSAGE_CHARS = 8192;

export const reportedEventSchema = z.object({
  at: isoDate,
  /** syslog priority: 0 emergency … 3 error. */
  priority: z.number().int().min(0).max(3),
  severity: z.enum(EVENT_SEVERITIES),
  source: z.string().min(1).max(256),
  unit: z.string().max(256).optional(),
  message: z.string().max(64 * 1024),
  pid: z.number().int().positive().optional(),
});
export type ReportedEvent = z.infer<typeof reportedEventSchema>;

/** Payload of `vigie.<tenant>.tlm.<machine>.events`: one journal read (at most 500 entries). */
export const machineEventsPayloadSchema = z.object({
  seq: z.number().int().positive(),
  events: z.array(reportedEventSchema).min(1).max(500),
});
export type MachineEventsPayload = z.infer<typeof machineEventsPayloadSchema>;

// ---------------------------------------------------------------- API

export const machineServiceSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['service', 'process']),
    exists: z.boolean(),
    active: z.boolean(),
    /** systemd's ActiveState (`active`, `inactive`, `failed`…) or `running` / `stopped` for a process. */
    state: z.string(),
    since: isoDate.meta({ description: 'first report in this active/inactive state' }),
    updatedAt: isoDate,
  })
  .meta({ id: 'MachineService' });
export type MachineService = z.infer<typeof machineServiceSchema>;

export const machineServicesSchema = z
  .object({ lastInventoryAt: isoDate.nullable(), items: z.array(machineServiceSchema) })
  .meta({ id: 'MachineServices' });

export const machineSecurityProductSchema = z
  .object({
    productId: z.string(),
    name: z.string(),
    installed: z.boolean(),
    running: z.boolean(),
    realtimeProtection: z.boolean().nullable(),
    updatedAt: isoDate,
  })
  .meta({ id: 'MachineSecurityProduct' });
export type MachineSecurityProduct = z.infer<typeof machineSecurityProductSchema>;

export const machineSecuritySchema = z
  .object({
    lastInventoryAt: isoDate.nullable(),
    protected: z.boolean().meta({ description: 'at least one product runs' }),
    products: z.array(machineSecurityProductSchema),
  })
  .meta({ id: 'MachineSecurity' });

export const machineEventSchema = z
  .object({
    id: z.uuid(),
    at: isoDate,
    priority: z.number().int(),
    severity: z.enum(EVENT_SEVERITIES),
    source: z.string(),
    unit: z.string().nullable(),
    message: z.string(),
    receivedAt: isoDate,
  })
  .meta({ id: 'MachineEvent' });
export type MachineEvent = z.infer<typeof machineEventSchema>;

export const machineEventsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
  maxPriority: z.coerce.number().int().min(0).max(3).optional().meta({ description: 'only events of this priority or more severe (0 emergency … 3 error)' }),
});
export type MachineEventsQuery = z.infer<typeof machineEventsQuerySchema>;
