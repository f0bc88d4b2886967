import type { CommandName, CommandResult, CommandStatus, MachineCommand, Page } from '@vigie/core';
import type { Db } from '../connection';
import { paginate } from '../pagination';
import type { TenantTx } from '../tenancy';

interface CommandRow {
  id: string;
  machine_id: string;
  name: CommandName;
  params: Record<string, unknown>;
  status: CommandStatus;
  requested_by: string | null;
  requested_by_name: string;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: Date;
  sent_at: Date | null;
  expires_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  exit_code: number | null;
  stdout: string | null;
  stderr: string | null;
  duration_ms: number | null;
  error: string | null;
  result: Record<string, unknown> | null;
  cancelled_at: Date | null;
  cancelled_by: string | null;
  cancelled_by_name: string | null;
  cancel_idempotency_key: string | null;
  stream_seq: string | number | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

const toCommand = (r: CommandRow): MachineCommand => ({
  id: r.id,
  machineId: r.machine_id,
  name: r.name,
  params: r.params,
  status: r.status,
  requestedBy: r.requested_by,
  requestedByName: r.requested_by_name,
  createdAt: r.created_at.toISOString(),
  sentAt: iso(r.sent_at),
  expiresAt: r.expires_at.toISOString(),
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  exitCode: r.exit_code,
  stdout: r.stdout,
  stderr: r.stderr,
  durationMs: r.duration_ms,
  error: r.error,
  result: r.result,
  cancelledAt: iso(r.cancelled_at),
  cancelledBy: r.cancelled_by,
  cancelledByName: r.cancelled_by_name,
});

export interface NewCommand {
  tenantId: string;
  id: string;
  machineId: string;
  name: CommandName;
  params: Record<string, unknown>;
  ttlSeconds: number;
  requestedBy: string;
  requestedByName: string;
  idempotency?: { key: string; requestHash: string } | undefined;
}

/** Inserts a queued command; its expiry is counted from the database clock, like `created_at`. */
export async function insertCommand(tx: TenantTx, c: NewCommand): Promise<MachineCommand> {
  const [row] = (await tx('machine_commands')
    .insert({
      tenant_id: c.tenantId,
      id: c.id,
      machine_id: c.machineId,
      name: c.name,
      params: JSON.stringify(c.params),
      requested_by: c.requestedBy,
      requested_by_name: c.requestedByName,
      idempotency_key: c.idempotency?.key ?? null,
      request_hash: c.idempotency?.requestHash ?? null,
      expires_at: tx.raw('now() + make_interval(secs => ?)', [c.ttlSeconds]),
    })
    .returning('*')) as CommandRow[];
  return toCommand(row!);
}

/** The command first made with this Idempotency-Key, and the hash of the request that made it. */
export async function findByIdempotencyKey(tx: TenantTx, key: string): Promise<{ command: MachineCommand; requestHash: string | null } | undefined> {
  const row = (await tx('machine_commands').where({ idempotency_key: key }).first()) as CommandRow | undefined;
  return row && { command: toCommand(row), requestHash: row.request_hash };
}

/** Serialises requests with the same key: the second waits for the first's transaction, then finds its row. */
export async function lockIdempotencyKey(tx: TenantTx, key: string): Promise<void> {
  await tx.raw(`select pg_advisory_xact_lock(hashtextextended(current_setting('app.tenant_id') || ':' || ?, 0))`, [key]);
}

export async function findCommand(tx: TenantTx, id: string): Promise<MachineCommand | undefined> {
  const row = (await tx('machine_commands').where({ id }).first()) as CommandRow | undefined;
  return row ? toCommand(row) : undefined;
}

/** A machine's commands, newest first (keyset pagination). */
export async function listMachineCommands(tx: TenantTx, machineId: string, page: { limit: number; cursor?: string | undefined }): Promise<Page<MachineCommand>> {
  return paginate<CommandRow, MachineCommand>(
    tx('machine_commands').where({ machine_id: machineId }),
    { sortable: { createdAt: 'created_at' }, defaultSort: '-createdAt', limit: page.limit, cursor: page.cursor },
    toCommand,
  );
}

/**
 * JetStream accepted the command as `streamSeq`. A result that came back first, or a cancel, keeps its status;
 * the sequence is kept in any case, so a cancel can still take the message out of the stream.
 */
export async function markSent(tx: TenantTx, id: string, streamSeq: number): Promise<MachineCommand | undefined> {
  const [row] = (await tx('machine_commands')
    .where({ id })
    .update({
      sent_at: tx.raw('coalesce(sent_at, now())'),
      status: tx.raw(`case when status = 'queued' then 'sent' else status end`),
      stream_seq: streamSeq,
    })
    .returning('*')) as CommandRow[];
  return row ? toCommand(row) : undefined;
}

/** What publishing a cancel notice needs to know of the command. */
export interface CancelTarget {
  tenantId: string;
  machineId: string;
  commandId: string;
  /** Its message in the COMMANDS stream, if JetStream took it. */
  streamSeq: number | null;
}

const seqOf = (v: string | number | null) => (v === null ? null : Number(v));

/** Locks the command for a cancel (a result or another cancel waits), with the key its cancel used if any. */
export async function lockCommand(tx: TenantTx, id: string): Promise<{ command: MachineCommand; cancelKey: string | null; streamSeq: number | null } | undefined> {
  const row = (await tx('machine_commands').where({ id }).forUpdate().first()) as CommandRow | undefined;
  return row && { command: toCommand(row), cancelKey: row.cancel_idempotency_key, streamSeq: seqOf(row.stream_seq) };
}

/** The command a cancel with this Idempotency-Key was made for. */
export async function findByCancelKey(tx: TenantTx, key: string): Promise<string | undefined> {
  const row = (await tx('machine_commands').where({ cancel_idempotency_key: key }).first('id')) as { id: string } | undefined;
  return row?.id;
}

/** Serialises cancels with the same key (a different namespace from the create keys). */
export async function lockCancelKey(tx: TenantTx, key: string): Promise<void> {
  await lockIdempotencyKey(tx, `cancel:${key}`);
}

/** Closes a command as cancelled, with who and when; the caller checked (under lock) that it was not final. */
export async function markCancelled(tx: TenantTx, id: string, by: { userId: string; name: string; idempotencyKey: string | null }): Promise<MachineCommand> {
  const [row] = (await tx('machine_commands')
    .where({ id })
    .whereIn('status', ['queued', 'sent', 'running'])
    .update({
      status: 'cancelled',
      cancelled_at: tx.raw('now()'),
      finished_at: tx.raw('now()'),
      cancelled_by: by.userId,
      cancelled_by_name: by.name,
      cancel_idempotency_key: by.idempotencyKey,
    })
    .returning('*')) as CommandRow[];
  if (!row) throw new Error(`command ${id} is final already; lock it and check before cancelling`);
  return toCommand(row);
}

/** The agent's cancel notice is in JetStream: the sweep stops publishing it. */
export async function markCancelPublished(tx: TenantTx, id: string): Promise<void> {
  await tx('machine_commands').where({ id, status: 'cancelled' }).update({ cancel_published_at: tx.raw('coalesce(cancel_published_at, now())') });
}

/** Every tenant's cancel notices not yet in JetStream (a NATS outage at cancel time), oldest first. */
export async function listUnpublishedCancels(db: Db, limit = 500): Promise<CancelTarget[]> {
  const { rows } = await db.raw('select tenant_id, machine_id, id, stream_seq from rmm_unpublished_command_cancels(?)', [limit]);
  return (rows as { tenant_id: string; machine_id: string; id: string; stream_seq: string | number | null }[]).map((r) => ({
    tenantId: r.tenant_id,
    machineId: r.machine_id,
    commandId: r.id,
    streamSeq: seqOf(r.stream_seq),
  }));
}

/**
 * Every tenant's commands still queued or sent `graceSeconds` after their expiry become `expired`, at most
 * `limit` of them; rows another replica is expiring at the same moment are skipped, not done twice.
 */
export async function expireOverdueCommands(db: Db, graceSeconds: number, limit = 1000): Promise<{ tenantId: string; machineId: string; id: string }[]> {
  const { rows } = await db.raw('select tenant_id, machine_id, id from rmm_expire_commands(make_interval(secs => ?), ?)', [graceSeconds, limit]);
  return (rows as { tenant_id: string; machine_id: string; id: string }[]).map((r) => ({ tenantId: r.tenant_id, machineId: r.machine_id, id: r.id }));
}

export type ResultOutcome = 'applied' | 'stale' | 'unknown_command';

/**
 * Statuses a report may move a command from: `running` only from before it started, a final one from any
 * non-final. Only the server cancels (with who and when), so the agent's `cancelled` moves nothing.
 */
const MAY_FOLLOW: Record<CommandResult['status'], CommandStatus[]> = {
  running: ['queued', 'sent'],
  succeeded: ['queued', 'sent', 'running'],
  failed: ['queued', 'sent', 'running'],
  expired: ['queued', 'sent', 'running'],
  cancelled: [],
};

const outputOf = (r: CommandResult) => ({
  exit_code: r.exitCode ?? null,
  stdout: r.stdout ?? null,
  stderr: r.stderr ?? null,
  duration_ms: r.durationMs ?? null,
  error: r.error ?? null,
  result: r.result ? JSON.stringify(r.result) : null,
});

/**
 * Applies an agent's report to its command, which must be one of `machineId`'s. A report that comes after a
 * final status (e.g. "interrupted" after the real result, the real result after a cancel) changes nothing,
 * except the agent's `cancelled` report on a cancelled command, which adds what the stopped script wrote.
 */
export async function applyResult(tx: TenantTx, machineId: string, r: CommandResult): Promise<ResultOutcome> {
  const row = (await tx('machine_commands').where({ id: r.commandId, machine_id: machineId }).forUpdate().first('status', 'duration_ms')) as
    | { status: CommandStatus; duration_ms: number | null }
    | undefined;
  if (!row) return 'unknown_command';
  if (r.status === 'cancelled' && row.status === 'cancelled' && row.duration_ms === null) {
    await tx('machine_commands').where({ id: r.commandId }).update(outputOf(r));
    return 'applied';
  }
  if (!MAY_FOLLOW[r.status].includes(row.status)) return 'stale';
  const at = new Date(r.at);
  if (r.status === 'running') {
    await tx('machine_commands').where({ id: r.commandId }).update({ status: 'running', started_at: at });
    return 'applied';
  }
  await tx('machine_commands')
    .where({ id: r.commandId })
    .update({ status: r.status, finished_at: at, ...outputOf(r) });
  return 'applied';
}
