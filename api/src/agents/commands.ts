import { createHash, randomUUID } from 'node:crypto';
import {
  AppError,
  CANCELLABLE_COMMAND_STATUSES,
  createCommandBodySchema,
  idParamsSchema,
  listQuerySchema,
  machineCommandSchema,
  pageSchema,
  STAFF_ROLES,
  type CreateCommandBody,
  type MachineCommand,
} from '@vigie/core';
import { machineCommandsRepo, machinesRepo, withTenant, type TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';
import { IDEMPOTENCY_KEY } from '../http/mount';
import { route, type AnyRoute, type AuthedContext } from '../http/route';
import { createCommandPublisher, type CommandPublisher } from './command-publisher';

type Ctx = AuthedContext<CreateCommandBody, unknown, { id: string }>;
type CancelCtx = AuthedContext<unknown, unknown, { id: string }>;

const commandsPageQuerySchema = listQuerySchema.pick({ limit: true, cursor: true });

function idempotencyKeyOf(ctx: AuthedContext<unknown, unknown, unknown>): string | undefined {
  const key = ctx.req.get('Idempotency-Key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) throw AppError.invalid('Idempotency-Key must be 8 to 200 characters of letters, digits, _ - : .');
  return key;
}

function idempotencyOf(ctx: Ctx): { key: string; requestHash: string } | undefined {
  const key = idempotencyKeyOf(ctx);
  if (key === undefined) return undefined;
  const requestHash = createHash('sha256').update(`${ctx.params.id}\n${JSON.stringify(ctx.req.body ?? null)}`).digest('hex');
  return { key, requestHash };
}

/** The command made earlier with the same key, or a new queued command with its audit entry. */
async function saveCommand(ctx: Ctx, tx: TenantTx): Promise<{ command: MachineCommand; replayed: boolean }> {
  const idempotency = idempotencyOf(ctx);
  if (idempotency) {
    await machineCommandsRepo.lockIdempotencyKey(tx, idempotency.key);
    const earlier = await machineCommandsRepo.findByIdempotencyKey(tx, idempotency.key);
    if (earlier && earlier.requestHash !== idempotency.requestHash) throw AppError.conflict('this Idempotency-Key was already used for a different request');
    if (earlier) return { command: earlier.command, replayed: true };
  }
  const machine = await machinesRepo.findMachine(tx, ctx.params.id);
  if (!machine) throw AppError.notFound('machine');
  if (machine.disabledAt) throw AppError.conflict('this machine is disabled; it takes no commands');
  const command = await machineCommandsRepo.insertCommand(tx, {
    tenantId: ctx.actor.tenantId,
    id: randomUUID(),
    machineId: machine.id,
    name: ctx.body.name,
    params: ctx.body.params,
    ttlSeconds: ctx.body.ttlSeconds,
    requestedBy: ctx.actor.userId,
    requestedByName: ctx.actor.name,
    idempotency,
  });
  await ctx.audit(tx, {
    action: 'machine_command.create',
    entity: 'machine_command',
    entityId: command.id,
    after: { machineId: machine.id, hostname: machine.hostname, name: command.name, params: command.params, expiresAt: command.expiresAt },
  });
  return { command, replayed: false };
}

/**
 * Publishing happens after the row is committed, so an agent never runs a command that has no row or audit
 * entry. If NATS does not take it, the row stays `queued` and the caller gets a 503: retrying with the same
 * Idempotency-Key publishes that same command (JetStream and the agent both drop a copy by command id).
 */
async function send(ctx: Ctx, publisher: CommandPublisher, command: MachineCommand): Promise<MachineCommand> {
  let seq: number;
  try {
    seq = await publisher.publish(ctx.actor.tenantId, command);
  } catch (err) {
    ctx.req.log?.warn({ err, commandId: command.id }, 'command saved but not published');
    throw new AppError('unavailable', 'the command is saved (queued) but could not be sent to NATS; retry with the same Idempotency-Key', undefined, {
      commandId: command.id,
    });
  }
  const sent = (await ctx.tx((tx) => machineCommandsRepo.markSent(tx, command.id, seq))) ?? command;
  // Cancelled while it was being published: that cancel may have looked for it in the stream too early.
  if (sent.status === 'cancelled') await notifyCancel(ctx.deps, publisher, ctx.actor.tenantId, sent, seq);
  return sent;
}

/**
 * Cancels under the row's lock, so a result being applied and a second cancel wait. With an Idempotency-Key,
 * the repeat of a cancel finds the command it cancelled (a replay); the key used on another command is a 409.
 */
async function saveCancel(ctx: CancelCtx, tx: TenantTx): Promise<{ command: MachineCommand; streamSeq: number | null; replayed: boolean }> {
  const key = idempotencyKeyOf(ctx) ?? null;
  if (key) {
    await machineCommandsRepo.lockCancelKey(tx, key);
    const earlier = await machineCommandsRepo.findByCancelKey(tx, key);
    if (earlier && earlier !== ctx.params.id) throw AppError.conflict('this Idempotency-Key was already used for a different request');
  }
  const locked = await machineCommandsRepo.lockCommand(tx, ctx.params.id);
  if (!locked) throw AppError.notFound('command');
  const { command, streamSeq } = locked;
  if (key && locked.cancelKey === key) return { command, streamSeq, replayed: true };
  if (!CANCELLABLE_COMMAND_STATUSES.includes(command.status)) {
    throw AppError.conflict(`this command is ${command.status} already; only a queued, sent or running command can be cancelled`, { status: command.status });
  }
  const cancelled = await machineCommandsRepo.markCancelled(tx, command.id, { userId: ctx.actor.userId, name: ctx.actor.name, idempotencyKey: key });
  await ctx.audit(tx, {
    action: 'machine_command.cancel',
    entity: 'machine_command',
    entityId: command.id,
    before: { status: command.status },
    after: { status: cancelled.status, machineId: command.machineId, name: command.name },
  });
  return { command: cancelled, streamSeq, replayed: false };
}

/**
 * The agent's notice goes out after the cancel is committed. NATS being away does not undo the cancel: the
 * notice stays unpublished in the row and the command sweep publishes it (every 30 s) once NATS is back.
 */
async function notifyCancel(deps: AppDeps, publisher: CommandPublisher, tenantId: string, command: MachineCommand, streamSeq: number | null): Promise<void> {
  try {
    await publisher.publishCancel({ tenantId, machineId: command.machineId, commandId: command.id, streamSeq });
    await withTenant(deps.db, tenantId, (tx) => machineCommandsRepo.markCancelPublished(tx, command.id));
  } catch (err) {
    deps.log.warn({ err, commandId: command.id }, 'command cancelled but its notice not published yet; the sweep retries');
  }
}

export function commandRoutes(deps: AppDeps): AnyRoute[] {
  const publisher = createCommandPublisher(deps.nats);
  return [
    route({
      method: 'post',
      path: '/machines/:id/commands',
      tag: 'rmm',
      summary: 'Send a command to a machine’s agent (kept for an offline agent until its TTL); the result arrives later',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      body: createCommandBodySchema,
      response: machineCommandSchema,
      idempotent: 'handler',
      handler: async (ctx) => {
        const { command, replayed } = await ctx.tx((tx) => saveCommand(ctx, tx));
        if (replayed) ctx.req.res?.setHeader('Idempotent-Replayed', 'true');
        return command.status === 'queued' ? send(ctx, publisher, command) : command;
      },
    }),
    route({
      method: 'get',
      path: '/machines/:id/commands',
      tag: 'rmm',
      summary: 'A machine’s commands, newest first',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      query: commandsPageQuerySchema,
      response: pageSchema(machineCommandSchema),
      handler: ({ tx, params, query }) =>
        tx(async (t) => {
          if (!(await machinesRepo.findMachine(t, params.id))) throw AppError.notFound('machine');
          return machineCommandsRepo.listMachineCommands(t, params.id, query);
        }),
    }),
    route({
      method: 'post',
      path: '/commands/:id/cancel',
      tag: 'rmm',
      summary:
        'Cancel a queued, sent or running command: it ends `cancelled` at once; its agent does not run it, or stops the script it runs (told through the command stream, so an offline agent learns it when it reconnects). 409 once the command is final.',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      response: machineCommandSchema,
      status: 200,
      idempotent: 'handler',
      handler: async (ctx) => {
        const { command, streamSeq, replayed } = await ctx.tx((tx) => saveCancel(ctx, tx));
        if (replayed) ctx.req.res?.setHeader('Idempotent-Replayed', 'true');
        await notifyCancel(ctx.deps, publisher, ctx.actor.tenantId, command, streamSeq);
        return command;
      },
    }),
    route({
      method: 'get',
      path: '/commands/:id',
      tag: 'rmm',
      summary: 'One command: its status, and once it ran its exit code, output and duration',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      response: machineCommandSchema,
      handler: ({ tx, params }) =>
        tx(async (t) => {
          const command = await machineCommandsRepo.findCommand(t, params.id);
          if (!command) throw AppError.notFound('command');
          return command;
        }),
    }),
  ];
}
