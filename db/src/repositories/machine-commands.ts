import type { CommandName, CommandResult, CommandStatus, MachineCommand, Page } from '@vigie/core';
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

/** JetStream accepted the command. A result that came back first keeps its status. */
export async function markSent(tx: TenantTx, id: string): Promise<MachineCommand | undefined> {
  const [row] = (await tx('machine_commands')
    .where({ id })
    .update({
      sent_at: tx.raw('coalesce(sent_at, now())'),
      status: tx.raw(`case when status = 'queued' then 'sent' else status end`),
    })
    .returning('*')) as CommandRow[];
  return row ? toCommand(row) : undefined;
}

export type ResultOutcome = 'applied' | 'stale' | 'unknown_command';

/** Statuses a report may move a command from: `running` only from before it started, a final one from any non-final. */
const MAY_FOLLOW: Record<CommandResult['status'], CommandStatus[]> = {
  running: ['queued', 'sent'],
  succeeded: ['queued', 'sent', 'running'],
  failed: ['queued', 'sent', 'running'],
  expired: ['queued', 'sent', 'running'],
};

/**
 * Applies an agent's report to its command, which must be one of `machineId`'s. A report that comes after a
 * final status (e.g. "interrupted" after the real result) changes nothing.
 */
export async function applyResult(tx: TenantTx, machineId: string, r: CommandResult): Promise<ResultOutcome> {
  const row = (await tx('machine_commands').where({ id: r.commandId, machine_id: machineId }).forUpdate().first('status')) as
    | { status: CommandStatus }
    | undefined;
  if (!row) return 'unknown_command';
  if (!MAY_FOLLOW[r.status].includes(row.status)) return 'stale';
  const at = new Date(r.at);
  if (r.status === 'running') {
    await tx('machine_commands').where({ id: r.commandId }).update({ status: 'running', started_at: at });
    return 'applied';
  }
  await tx('machine_commands')
    .where({ id: r.commandId })
    .update({
      status: r.status,
      finished_at: at,
      exit_code: r.exitCode ?? null,
      stdout: r.stdout ?? null,
      stderr: r.stderr ?? null,
      duration_ms: r.durationMs ?? null,
      error: r.error ?? null,
      result: r.result ? JSON.stringify(r.result) : null,
    });
  return 'applied';
}
