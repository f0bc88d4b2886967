import {
  AGENT_JWT_TTL_MS,
  AppError,
  idParamsSchema,
  machineRevocationSchema,
  renewCredentialsRequestSchema,
  renewCredentialsResponseSchema,
  type MachineRevocation,
} from '@vigie/core';
import { machineCredentialsRepo, withTenant, type TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';
import { publicRoute, route, type AnyRoute, type AuthedContext } from '../http/route';
import { hashOpaqueToken } from '../auth/tokens';
import { agentRefused, lazyAgentSigner } from './credentials';
import { removeMachineConsumer, removeOrphanConsumers } from './command-publisher';
import { createAccountPublisher, type AccountPublisher } from './nats-account';

const ADMIN_ROLES = ['admin', 'manager'] as const;


/**
 * After enrollment: the agent renews its short-lived NATS credentials with its machine token; staff disable,
 * enable or delete a machine, which revokes the agent's credentials in the NATS account at once.
 */
export function agentCredentialRoutes(deps: AppDeps): AnyRoute[] {
  const getSigner = lazyAgentSigner(deps.config.NATS_KEYS_FILE);
  let publisher: AccountPublisher | null | undefined;
  const getPublisher = () => (publisher ??= accountPublisherFor(deps));

  /** Publishes the revocations after the change is committed; NATS being away leaves it to the reconcile loop. */
  const publishRevocations = async (): Promise<MachineRevocation> => {
    const p = getPublisher();
    if (!p) return { revocation: 'pending' };
    try {
      await p.publish();
      return { revocation: 'applied' };
    } catch (err) {
      deps.log.warn({ err }, 'agent revocation not published yet; will retry');
      return { revocation: 'pending' };
    }
  };

  const lockOrNotFound = async (tx: TenantTx, id: string) => {
    const machine = await machineCredentialsRepo.lockMachineCredentials(tx, id);
    if (!machine) throw AppError.notFound('machine');
    return machine;
  };

  const revoke = (ctx: AuthedContext<unknown, unknown, { id: string }>, reason: 'disabled' | 'deleted') =>
    ctx.tx(async (tx) => {
      const machine = await lockOrNotFound(tx, ctx.params.id);
      if (reason === 'disabled' && machine.disabledAt) return false;
      await machineCredentialsRepo.insertRevocation(tx, { tenantId: ctx.actor.tenantId, machineId: machine.id, nkeyPublic: machine.nkeyPublic, reason });
      if (reason === 'deleted') await machineCredentialsRepo.deleteMachine(tx, machine.id);
      else await machineCredentialsRepo.setDisabled(tx, machine.id, true);
      await ctx.audit(tx, { action: `machine.${reason === 'deleted' ? 'delete' : 'disable'}`, entity: 'machine', entityId: machine.id, before: { hostname: machine.hostname, nkeyPublic: machine.nkeyPublic } });
      return true;
    });

  return [
    publicRoute({
      method: 'post',
      path: '/agents/renew',
      tag: 'rmm',
      summary: 'An agent renews its NATS user JWT with its machine token (refused once the machine is disabled or deleted)',
      body: renewCredentialsRequestSchema,
      response: renewCredentialsResponseSchema,
      status: 200,
      handler: async ({ deps: d, body }) => {
        const credentials = getSigner();
        const target = await machineCredentialsRepo.findMachineByToken(d.db, hashOpaqueToken(body.machineToken));
        if (!target) throw agentRefused('unknown', 'machine token is not valid (the machine may have been deleted); enroll again');
        return withTenant(d.db, target.tenantId, async (tx) => {
          const machine = await machineCredentialsRepo.lockMachineCredentials(tx, target.machineId);
          if (!machine) throw agentRefused('unknown', 'machine token is not valid (the machine may have been deleted); enroll again');
          if (machine.disabledAt) throw agentRefused('disabled', 'this machine is disabled; an administrator must enable it again');
          const jwtExpiresAt = new Date(Date.now() + AGENT_JWT_TTL_MS);
          const userJwt = await credentials.sign({ tenantId: target.tenantId, machineId: machine.id, nkeyPublic: machine.nkeyPublic, expiresAt: jwtExpiresAt });
          await machineCredentialsRepo.recordRenewal(tx, machine.id, jwtExpiresAt, body.agentVersion);
          return { userJwt, jwtExpiresAt: jwtExpiresAt.toISOString(), natsUrl: d.config.NATS_URL };
        });
      },
    }),
    route({
      method: 'post',
      path: '/machines/:id/disable',
      tag: 'rmm',
      summary: 'Disable a machine: its agent is disconnected at once and can neither reconnect nor renew until enabled',
      auth: ADMIN_ROLES,
      params: idParamsSchema,
      response: machineRevocationSchema,
      status: 200,
      handler: async (ctx) => {
        await revoke(ctx, 'disabled');
        return publishRevocations();
      },
    }),
    route({
      method: 'post',
      path: '/machines/:id/enable',
      tag: 'rmm',
      summary: 'Enable a disabled machine again: its agent renews its credentials and reconnects',
      auth: ADMIN_ROLES,
      params: idParamsSchema,
      handler: (ctx) =>
        ctx.tx(async (tx) => {
          const machine = await lockOrNotFound(tx, ctx.params.id);
          if (!machine.disabledAt) return;
          await machineCredentialsRepo.setDisabled(tx, machine.id, false);
          await ctx.audit(tx, { action: 'machine.enable', entity: 'machine', entityId: machine.id });
        }),
    }),
    route({
      method: 'delete',
      path: '/machines/:id',
      tag: 'rmm',
      summary: 'Delete a machine and its telemetry: its agent is disconnected at once and its credentials refused',
      auth: ADMIN_ROLES,
      params: idParamsSchema,
      response: machineRevocationSchema,
      status: 200,
      handler: async (ctx) => {
        await revoke(ctx, 'deleted');
        const revocation = await publishRevocations();
        await removeCommandConsumer(deps, ctx.actor.tenantId, ctx.params.id);
        return revocation;
      },
    }),
  ];
}

export function accountPublisherFor(deps: AppDeps): AccountPublisher | null {
  return deps.config.NATS_KEYS_FILE ? createAccountPublisher({ keysFile: deps.config.NATS_KEYS_FILE, natsUrl: deps.config.NATS_URL, db: deps.db }) : null;
}

/**
 * After a delete is committed, its machine's command consumer goes too (it would keep the machine's pending
 * commands forever). Best effort: NATS being away leaves it to the reconcile loop.
 */
async function removeCommandConsumer(deps: AppDeps, tenantId: string, machineId: string): Promise<void> {
  const nc = deps.nats();
  if (!nc || nc.isClosed()) {
    deps.log.warn({ machineId }, 'machine deleted; NATS is away, its command consumer is left to the reconcile loop');
    return;
  }
  await removeMachineConsumer(nc, tenantId, machineId).catch((err: unknown) =>
    deps.log.warn({ err, machineId }, 'machine deleted; its command consumer was not removed yet (the reconcile loop will)'),
  );
}

/** Removes the command consumers of machines deleted while NATS was away; how many went. Exported for tests. */
export async function reconcileCommandConsumers(deps: Pick<AppDeps, 'db' | 'nats'>): Promise<number> {
  const nc = deps.nats();
  if (!nc || nc.isClosed()) return 0;
  return removeOrphanConsumers(nc, (ids) => machineCredentialsRepo.existingMachines(deps.db, ids));
}

/** Revocations that could not reach NATS (it was down), or that a NATS restart dropped, are published again. */
const RECONCILE_EVERY_MS = 5 * 60 * 1000;

/**
 * Publishes the account's revocations soon after boot, then every few minutes, and removes the command
 * consumers deleted machines left behind; returns the stop function.
 */
export function startRevocationReconciler(deps: AppDeps): () => void {
  const publisher = accountPublisherFor(deps);
  const reconcile = () => {
    void publisher?.publish().then(
      ({ revoked }) => deps.log.debug({ revoked }, 'NATS account revocations published'),
      (err: unknown) => deps.log.warn({ err }, 'NATS account revocations not published; will retry'),
    );
    void reconcileCommandConsumers(deps).then(
      (removed) => {
        if (removed) deps.log.info({ removed }, 'command consumers of deleted machines removed');
      },
      (err: unknown) => deps.log.warn({ err }, 'command consumers of deleted machines not removed; will retry'),
    );
  };
  const first = setTimeout(reconcile, 1000);
  const every = setInterval(reconcile, RECONCILE_EVERY_MS);
  return () => {
    clearTimeout(first);
    clearInterval(every);
  };
}
