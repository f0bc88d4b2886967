import { z } from 'zod';

const isoDate = z.iso.datetime({ offset: true });

/** Telemetry kinds an agent sends on `vigie.<tenant>.tlm.<machine>.<kind>` (DESIGN.md, NATS). */
export const TELEMETRY_KINDS = ['hb', 'metrics', 'inventory', 'events', 'result'] as const;
export type TelemetryKind = (typeof TELEMETRY_KINDS)[number];

/** NATS subjects of one machine; the agent's user JWT allows exactly these. */
export function agentSubjects(tenantId: string, machineId: string) {
  return {
    telemetry: `vigie.${tenantId}.tlm.${machineId}`,
    commands: `vigie.${tenantId}.agent.${machineId}.cmd`,
    inboxPrefix: `_INBOX_${tenantId}_${machineId}`,
  };
}
export type AgentSubjects = ReturnType<typeof agentSubjects>;

export const createEnrollmentTokenBodySchema = z
  .strictObject({
    clientId: z.uuid(),
    siteId: z.uuid().optional(),
    ttlHours: z.number().int().min(1).max(24 * 90).default(72).meta({ description: 'validity in hours (default 72)' }),
  })
  .meta({ id: 'CreateEnrollmentTokenBody' });
export type CreateEnrollmentTokenBody = z.infer<typeof createEnrollmentTokenBodySchema>;

export const enrollmentTokenCreatedSchema = z
  .object({
    id: z.uuid(),
    token: z.string().meta({ description: 'the secret, shown once; only its SHA-256 is stored' }),
    expiresAt: isoDate,
  })
  .meta({ id: 'EnrollmentTokenCreated' });

export const enrollmentTokenSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    siteId: z.uuid().nullable(),
    expiresAt: isoDate,
    revokedAt: isoDate.nullable(),
    createdBy: z.uuid().nullable(),
    createdAt: isoDate,
    status: z.enum(['active', 'expired', 'revoked']),
    clientName: z.string().optional().meta({ description: 'in lists' }),
    siteName: z.string().nullable().optional().meta({ description: 'in lists' }),
  })
  .meta({ id: 'EnrollmentToken' });
export type EnrollmentToken = z.infer<typeof enrollmentTokenSchema>;

/** A NATS user public key: `U` + 55 base32 characters. */
export const nkeyUserPublicSchema = z.string().regex(/^U[A-Z2-7]{55}$/, 'must be an nkey user public key (U…)');

export const enrollRequestSchema = z
  .strictObject({
    token: z.string().min(16).max(200),
    hostname: z.string().trim().min(1).max(253),
    os: z.strictObject({ name: z.string().trim().min(1).max(100), version: z.string().trim().max(100).default('') }),
    hardware: z
      .strictObject({
        cpuModel: z.string().trim().max(200).default(''),
        cpuCores: z.number().int().min(0).max(100_000).optional(),
        ramTotalBytes: z.number().int().min(0).optional(),
      })
      .default({ cpuModel: '' }),
    agentVersion: z.string().trim().min(1).max(40),
    nkeyPublic: nkeyUserPublicSchema,
  })
  .meta({ id: 'EnrollRequest' });
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

export const enrollResponseSchema = z
  .object({
    machineId: z.uuid(),
    tenantId: z.uuid(),
    natsUrl: z.string(),
    userJwt: z.string().meta({ description: 'NATS user JWT for the agent’s own nkey, signed by the account signing key' }),
    jwtExpiresAt: isoDate,
    machineToken: z.string().meta({ description: 'the machine’s secret for later calls (credential renewal); shown once' }),
    subjects: z.object({ telemetry: z.string(), commands: z.string(), inboxPrefix: z.string() }),
  })
  .meta({ id: 'EnrollResponse' });
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

export const machineSchema = z
  .object({
    id: z.uuid(),
    clientId: z.uuid(),
    siteId: z.uuid().nullable(),
    hostname: z.string(),
    osName: z.string(),
    osVersion: z.string(),
    cpuModel: z.string(),
    ramTotal: z.number().int().nullable().meta({ description: 'bytes' }),
    agentVersion: z.string(),
    lastSeenAt: isoDate.nullable(),
    online: z.boolean(),
    lastInventoryAt: isoDate.nullable(),
    disabledAt: isoDate.nullable(),
    jwtExpiresAt: isoDate,
    createdAt: isoDate,
  })
  .meta({ id: 'Machine' });
export type Machine = z.infer<typeof machineSchema>;

/** A heartbeat's payload (agent → ingest); the seq is also in `Nats-Msg-Id = <machine>:<seq>`. */
export const heartbeatSchema = z.object({
  seq: z.number().int().positive(),
  sentAt: isoDate,
  agentVersion: z.string().max(40).optional(),
  uptimeSeconds: z.number().nonnegative().optional(),
});
export type Heartbeat = z.infer<typeof heartbeatSchema>;

const bytes = z.number().int().nonnegative();

/**
 * A metrics sample's payload (agent → ingest, `vigie.<tenant>.tlm.<machine>.metrics`): the Linux collector's
 * output plus the sequence number, which is also in `Nats-Msg-Id = <machine>:<seq>`.
 */
export const metricsSampleSchema = z.object({
  seq: z.number().int().positive(),
  collectedAt: isoDate,
  cpuPercent: z.number().min(0).max(100),
  load: z.object({ one: z.number().nonnegative(), five: z.number().nonnegative(), fifteen: z.number().nonnegative() }),
  memory: z.object({ totalBytes: bytes, usedBytes: bytes, availableBytes: bytes }),
  swap: z.object({ totalBytes: bytes, usedBytes: bytes }),
  disks: z
    .array(
      z.object({
        mountPoint: z.string().max(4096),
        device: z.string().max(4096),
        fsType: z.string().max(100),
        totalBytes: bytes,
        usedBytes: bytes,
        freeBytes: bytes,
        usedPercent: z.number().min(0).max(100),
      }),
    )
    .max(256),
  network: z.array(z.object({ name: z.string().max(100), rxBytesPerSec: bytes, txBytesPerSec: bytes })).max(256),
  uptimeSeconds: z.number().nonnegative(),
});
export type MetricsSample = z.infer<typeof metricsSampleSchema>;

export const METRICS_RANGES = ['1h', '24h', '7d', '30d'] as const;
export type MetricsRange = (typeof METRICS_RANGES)[number];

export const machineMetricsQuerySchema = z.strictObject({ range: z.enum(METRICS_RANGES).default('1h') });

export const metricPointSchema = z
  .object({
    at: isoDate.meta({ description: 'sample time (raw) or the start of the hour (hourly)' }),
    cpuPercent: z.number().meta({ description: 'the sample, or the hour’s average' }),
    cpuMaxPercent: z.number(),
    load1: z.number().nullable(),
    memUsedBytes: z.number().int().nullable().meta({ description: 'the sample, or the hour’s average' }),
    memTotalBytes: z.number().int().nullable(),
    swapUsedBytes: z.number().int().nullable(),
    swapTotalBytes: z.number().int().nullable(),
    samples: z.number().int(),
  })
  .meta({ id: 'MetricPoint' });
export type MetricPoint = z.infer<typeof metricPointSchema>;

/** Disk use of one mount point over the range (hourly: the hour's average and maximum). */
export const diskSeriesSchema = z
  .object({
    mountPoint: z.string(),
    points: z.array(z.object({ at: isoDate, usedPercent: z.number(), maxUsedPercent: z.number() })),
  })
  .meta({ id: 'DiskSeries' });
export type DiskSeries = z.infer<typeof diskSeriesSchema>;

/** Network throughput, every interface summed (hourly: the hour's average and maximum). */
export const networkPointSchema = z
  .object({ at: isoDate, rxBytesPerSec: z.number(), txBytesPerSec: z.number(), rxMaxBytesPerSec: z.number(), txMaxBytesPerSec: z.number() })
  .meta({ id: 'NetworkPoint' });
export type NetworkPoint = z.infer<typeof networkPointSchema>;

export const machineMetricsSchema = z
  .object({
    range: z.enum(METRICS_RANGES),
    resolution: z.enum(['raw', 'hour']).meta({ description: 'raw samples for 1h/24h, hourly roll-ups for 7d/30d' }),
    points: z.array(metricPointSchema),
    disks: z.array(diskSeriesSchema),
    network: z.array(networkPointSchema),
  })
  .meta({ id: 'MachineMetrics' });
export type MachineMetrics = z.infer<typeof machineMetricsSchema>;
