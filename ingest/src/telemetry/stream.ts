import { RetentionPolicy, type JetStreamManager, type NatsConnection } from 'nats';
import { uuidSchema } from '@vigie/core';
import type { TelemetryMessage } from './consumer';

export const TELEMETRY_STREAM = 'TELEMETRY';
export const TELEMETRY_SUBJECTS = 'vigie.*.tlm.>';
/** JetStream drops a repeated `Nats-Msg-Id` within this window; ingest's unique (machine, seq) covers the rest. */
export const DUPLICATE_WINDOW_NS = 2 * 60 * 1e9;

/** Creates the telemetry stream if it does not exist (every ingest start; replicas race harmlessly); returns the JetStream manager. */
export async function ensureTelemetryStreamOnly(nc: NatsConnection): Promise<JetStreamManager> {
  const jsm = await nc.jetstreamManager();
  try {
    await jsm.streams.info(TELEMETRY_STREAM);
  } catch {
    await jsm.streams
      .add({ name: TELEMETRY_STREAM, subjects: [TELEMETRY_SUBJECTS], retention: RetentionPolicy.Limits, max_age: 7 * 24 * 3600 * 1e9, duplicate_window: DUPLICATE_WINDOW_NS })
      .catch(async (err: unknown) => {
        // Another replica created it in between.
        await jsm.streams.info(TELEMETRY_STREAM).catch(() => Promise.reject(err));
      });
  }
  return jsm;
}

/** `vigie.<tenant>.tlm.<machine>.<kind>` → tenant, machine and kind, or undefined when the subject is not one. */
export function parseTelemetrySubject(subject: string): { tenantId: string; machineId: string; kind: string } | undefined {
  const parts = subject.split('.');
  if (parts.length !== 5 || parts[0] !== 'vigie' || parts[2] !== 'tlm') return undefined;
  const [, tenantId, , machineId, kind] = parts as [string, string, string, string, string];
  if (!uuidSchema.safeParse(tenantId).success || !uuidSchema.safeParse(machineId).success) return undefined;
  return { tenantId, machineId, kind };
}

/** A message whose subject, JSON, schema and message id all check out. */
export interface ParsedTelemetry<T> {
  tenantId: string;
  machineId: string;
  payload: T;
}

const decoder = new TextDecoder();

/**
 * Subject, JSON, schema and message id of one message; undefined when any of them is wrong. The tenant and the
 * machine come from the subject, which the agent's credentials pin to its own tenant and machine; the message
 * id, when present, must name the same machine and sequence as the payload.
 */
export function parseTelemetry<T extends { seq: number }>(
  kind: string,
  schema: { safeParse(value: unknown): { success: boolean; data?: T } },
  message: TelemetryMessage,
): ParsedTelemetry<T> | undefined {
  const target = parseTelemetrySubject(message.subject);
  if (!target || target.kind !== kind) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(message.data));
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success || !parsed.data) return undefined;
  if (message.msgId !== undefined && message.msgId !== `${target.machineId}:${parsed.data.seq}`) return undefined;
  return { tenantId: target.tenantId, machineId: target.machineId, payload: parsed.data };
}

/** Groups items by tenant, keeping each one's index in the batch. */
export function byTenant<T extends { tenantId: string }>(items: readonly (T | undefined)[]): Map<string, { index: number; item: T }[]> {
  const groups = new Map<string, { index: number; item: T }[]>();
  items.forEach((item, index) => {
    if (!item) return;
    const list = groups.get(item.tenantId) ?? [];
    list.push({ index, item });
    groups.set(item.tenantId, list);
  });
  return groups;
}
