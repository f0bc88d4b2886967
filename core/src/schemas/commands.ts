import { z } from 'zod';
import { agentSubjects } from './agents';

const isoDate = z.iso.datetime({ offset: true });

export const COMMAND_NAMES = ['run-script', 'restart-service', 'reboot', 'ping'] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

/**
 * queued: saved, not yet accepted by JetStream; sent: in the COMMANDS stream, waiting for the agent;
 * running: the agent started it; succeeded | failed: ran; expired: not run, because the agent got it after
 * `expiresAt` or the server's sweep found nobody took it in time; cancelled: a user cancelled it (the agent
 * does not run it, or stops the script it runs).
 */
export const COMMAND_STATUSES = ['queued', 'sent', 'running', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = ['succeeded', 'failed', 'expired', 'cancelled'];
/** What a cancel may stop: a command not final yet. */
export const CANCELLABLE_COMMAND_STATUSES: readonly CommandStatus[] = ['queued', 'sent', 'running'];

export const SCRIPT_INTERPRETERS = ['auto', 'bash', 'sh', 'powershell', 'python'] as const;
export type ScriptInterpreter = (typeof SCRIPT_INTERPRETERS)[number];

/** Characters (the agent's own bound is 1 MiB of UTF-8, which this stays under). */
export const MAX_SCRIPT_CHARS = 64 * 1024;
/** What is kept of each output stream (the agent caps the bytes, the database the characters). */
export const MAX_COMMAND_OUTPUT = 64 * 1024;
export const COMMAND_TTL_SECONDS = { min: 10, default: 3600, max: 7 * 24 * 3600 } as const;

/** systemd's unit name characters (the agent checks the same rule before calling systemctl). */
const UNIT_NAME = /^[A-Za-z0-9_:][A-Za-z0-9_:.@\\-]{0,254}$/;

export const runScriptParamsSchema = z.strictObject({
  interpreter: z.enum(SCRIPT_INTERPRETERS).default('auto').meta({ description: 'auto: PowerShell on Windows, bash (or sh) elsewhere' }),
  script: z.string().min(1).max(MAX_SCRIPT_CHARS),
  timeoutSeconds: z.number().int().min(1).max(86_400).default(300),
});
export type RunScriptParams = z.infer<typeof runScriptParamsSchema>;

export const restartServiceParamsSchema = z.strictObject({
  service: z
    .string()
    .regex(UNIT_NAME, 'must be a service (unit) name')
    .refine((s) => !s.includes('..'), 'must be a service (unit) name'),
});
export const rebootParamsSchema = z.strictObject({ delaySeconds: z.number().int().min(0).max(86_400).default(0) });
export const pingParamsSchema = z.strictObject({});

const ttlSeconds = z
  .number()
  .int()
  .min(COMMAND_TTL_SECONDS.min)
  .max(COMMAND_TTL_SECONDS.max)
  .default(COMMAND_TTL_SECONDS.default)
  .meta({ description: 'the agent does not run the command after this many seconds (default 1 h, at most 7 days)' });

export const createCommandBodySchema = z
  .discriminatedUnion('name', [
    z.strictObject({ name: z.literal('run-script'), params: runScriptParamsSchema, ttlSeconds }),
    z.strictObject({ name: z.literal('restart-service'), params: restartServiceParamsSchema, ttlSeconds }),
    z.strictObject({ name: z.literal('reboot'), params: rebootParamsSchema.default({ delaySeconds: 0 }), ttlSeconds }),
    z.strictObject({ name: z.literal('ping'), params: pingParamsSchema.default({}), ttlSeconds }),
  ])
  .meta({ id: 'CreateCommandBody' });
export type CreateCommandBody = z.infer<typeof createCommandBodySchema>;

/** The command as the agent receives it (JetStream `COMMANDS`, subject `<commands>.<name>`). */
export const agentCommandSchema = z.discriminatedUnion('name', [
  z.object({ id: z.uuid(), name: z.literal('run-script'), params: runScriptParamsSchema, expiresAt: isoDate }),
  z.object({ id: z.uuid(), name: z.literal('restart-service'), params: restartServiceParamsSchema, expiresAt: isoDate }),
  z.object({ id: z.uuid(), name: z.literal('reboot'), params: rebootParamsSchema, expiresAt: isoDate }),
  z.object({ id: z.uuid(), name: z.literal('ping'), params: pingParamsSchema, expiresAt: isoDate }),
]);
export type AgentCommand = z.infer<typeof agentCommandSchema>;

/** The subject suffix of cancel notices (`<commands>.cancel`); never a command name. */
export const CANCEL_NOTICE_NAME = 'cancel';

/**
 * A cancel notice (same stream and consumer as the commands, so an offline agent gets it when it reconnects):
 * the agent never runs that command, or stops it if it runs. It has no `id`, so an agent that predates
 * cancelling terminates it instead of reporting on the command.
 */
export const agentCancelNoticeSchema = z.object({ name: z.literal(CANCEL_NOTICE_NAME), commandId: z.uuid() });
export type AgentCancelNotice = z.infer<typeof agentCancelNoticeSchema>;

const output = z.string().max(MAX_COMMAND_OUTPUT);

/**
 * A command's outcome (agent → ingest, `vigie.<tenant>.tlm.<machine>.result`): `running` when it starts, then
 * one final status. The seq is also in `Nats-Msg-Id = <machine>:<seq>`.
 */
export const commandResultSchema = z.object({
  seq: z.number().int().positive(),
  commandId: z.uuid(),
  status: z.enum(['running', 'succeeded', 'failed', 'expired', 'cancelled']).meta({ description: 'cancelled: the agent stopped the command (or did not start it) on a cancel notice' }),
  at: isoDate.meta({ description: 'the agent’s clock when it started (running) or finished' }),
  exitCode: z.number().int().nullable().optional(),
  stdout: output.optional(),
  stderr: output.optional(),
  durationMs: z.number().int().nonnegative().optional(),
  error: z.string().max(2000).optional(),
  result: z.record(z.string(), z.unknown()).optional().meta({ description: 'command-specific details (ping answer, service state, reboot time)' }),
});
export type CommandResult = z.infer<typeof commandResultSchema>;

export const machineCommandSchema = z
  .object({
    id: z.uuid(),
    machineId: z.uuid(),
    name: z.enum(COMMAND_NAMES),
    params: z.record(z.string(), z.unknown()),
    status: z.enum(COMMAND_STATUSES),
    requestedBy: z.uuid().nullable(),
    requestedByName: z.string(),
    createdAt: isoDate,
    sentAt: isoDate.nullable(),
    expiresAt: isoDate,
    startedAt: isoDate.nullable(),
    finishedAt: isoDate.nullable(),
    exitCode: z.number().int().nullable(),
    stdout: z.string().nullable(),
    stderr: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable(),
    cancelledAt: isoDate.nullable(),
    cancelledBy: z.uuid().nullable(),
    cancelledByName: z.string().nullable(),
  })
  .meta({ id: 'MachineCommand' });
export type MachineCommand = z.infer<typeof machineCommandSchema>;

export const COMMANDS_STREAM = 'COMMANDS';
export const COMMANDS_STREAM_SUBJECTS = 'vigie.*.agent.*.cmd.>';

/**
 * How a machine's commands reach it: one durable push consumer per machine on the COMMANDS stream, delivering
 * to a subject under the agent's own inbox prefix (which only its credentials may subscribe to). The agent
 * acks on `$JS.ACK.COMMANDS.<consumer>.…`, which its credentials allow for that consumer only.
 */
export function commandDelivery(tenantId: string, machineId: string) {
  const s = agentSubjects(tenantId, machineId);
  const consumer = `cmd-${machineId}`;
  return {
    stream: COMMANDS_STREAM,
    consumer,
    filterSubject: `${s.commands}.>`,
    deliverSubject: `${s.inboxPrefix}.cmd`,
    ackSubjects: `$JS.ACK.${COMMANDS_STREAM}.${consumer}.>`,
  };
}
