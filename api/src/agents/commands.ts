import { createHash, randomUUID } from 'node:crypto';
import { AppError, createCommandBodySchema, idParamsSchema, listQuerySchema, machineCommandSchema, pageSchema, STAFF_ROLES, type CreateCommandBody, type MachineCommand } from '@vigie/core';
import { machineCommandsRepo, machinesRepo, type TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';
import { IDEMPOTENCY_KEY } from '../http/mount';
import { route, type AnyRoute, type AuthedContext } from '../http/route';
import { createCommandPublisher, type CommandPublisher } from './command-publisher';

type Ctx = AuthedContext<CreateCommandBody, unknown, { id: string }>;

const commandsPageQuerySchema = listQuerySchema.pick({ limit: true, cursor: true });

function idempotencyOf(ctx: Ctx): { key: string; requestHash: string } | undefined {
  const key = ctx.req.get('Idempotency-Key');
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key)) throw AppError.invalid('Idempotency-Key must be 8 to 200 characters of letters, digits, _ - : .');
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
  try {
    await publisher.publish(ctx.actor.tenantId, command);
  } catch (err) {
    ctx.req.log?.warn({ err, commandId: command.id }, 'command saved but not published');
    throw new AppError('unavailable', 'the command is saved (queued) but could not be sent to NATS; retry with the same Idempotency-Key', undefined, {
      commandId: command.id,
    });
  }
  return (await ctx.tx((tx) => machineCommandsRepo.markSent(tx, command.id))) ?? command;
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
