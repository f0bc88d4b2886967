import { randomBytes, randomUUID } from 'node:crypto';
import {
  AGENT_JWT_TTL_MS,
  agentSubjects,
  AppError,
  createEnrollmentTokenBodySchema,
  enrollmentTokenCreatedSchema,
  enrollmentTokenSchema,
  enrollRequestSchema,
  enrollResponseSchema,
  fleetMachineSchema,
  idParamsSchema,
  machineListQuerySchema,
  machineMetricsQuerySchema,
  machineMetricsSchema,
  pageSchema,
  STAFF_ROLES,
} from '@vigie/core';
import { auditRepo, machinesRepo, metricsRepo, withTenant } from '@vigie/db';
import type { AppDeps } from '../deps';
import { publicRoute, route, type AnyRoute } from '../http/route';
import { hashOpaqueToken } from '../auth/tokens';
import { agentRefused, lazyAgentSigner } from './credentials';

const TOKEN_ROLES = ['admin', 'manager'] as const;

/** `vgt_` / `vgm_` prefixes make a leaked secret recognisable (secret scanners, logs). */
const newSecret = (prefix: string) => `${prefix}_${randomBytes(32).toString('base64url')}`;


export function agentRoutes(deps: AppDeps): AnyRoute[] {
  const getSigner = lazyAgentSigner(deps.config.NATS_KEYS_FILE);

  return [
    route({
      method: 'post',
      path: '/enrollment-tokens',
      tag: 'rmm',
      summary: 'Create an enrollment token for a client (and optionally a site); the secret is shown once',
      auth: TOKEN_ROLES,
      body: createEnrollmentTokenBodySchema,
      response: enrollmentTokenCreatedSchema,
      handler: (ctx) =>
        ctx.tx(async (tx) => {
          const token = newSecret('vgt');
          const created = await machinesRepo.insertEnrollmentToken(tx, {
            tenantId: ctx.actor.tenantId,
            id: randomUUID(),
            clientId: ctx.body.clientId,
            siteId: ctx.body.siteId ?? null,
            tokenHash: hashOpaqueToken(token),
            expiresAt: new Date(Date.now() + ctx.body.ttlHours * 3600 * 1000),
            createdBy: ctx.actor.userId,
          });
          await ctx.audit(tx, { action: 'enrollment_token.create', entity: 'enrollment_token', entityId: created.id, after: { clientId: created.clientId, siteId: created.siteId, expiresAt: created.expiresAt } });
          return { id: created.id, token, expiresAt: created.expiresAt };
        }),
    }),
    route({
      method: 'get',
      path: '/enrollment-tokens',
      tag: 'rmm',
      summary: 'Enrollment tokens (without their secret)',
      auth: TOKEN_ROLES,
      response: pageSchema(enrollmentTokenSchema),
      handler: ({ tx }) => tx(async (t) => ({ items: await machinesRepo.listEnrollmentTokens(t), nextCursor: null })),
    }),
    route({
      method: 'delete',
      path: '/enrollment-tokens/:id',
      tag: 'rmm',
      summary: 'Revoke an enrollment token (machines already enrolled keep running)',
      auth: TOKEN_ROLES,
      params: idParamsSchema,
      handler: (ctx) =>
        ctx.tx(async (tx) => {
          if (!(await machinesRepo.revokeEnrollmentToken(tx, ctx.params.id))) throw AppError.notFound('enrollment token');
          await ctx.audit(tx, { action: 'enrollment_token.revoke', entity: 'enrollment_token', entityId: ctx.params.id });
        }),
    }),
    publicRoute({
      method: 'post',
      path: '/agents/enroll',
      tag: 'rmm',
      summary: 'Enroll an agent with an enrollment token: creates the machine, returns its NATS user JWT and machine token',
      body: enrollRequestSchema,
      response: enrollResponseSchema,
      handler: async ({ deps: d, body, requestId }) => {
        const credentials = getSigner();
        const target = await machinesRepo.findEnrollmentTokenTarget(d.db, hashOpaqueToken(body.token));
        if (!target) throw agentRefused('unknown', 'enrollment token is not valid');
        return withTenant(d.db, target.tenantId, async (tx) => {
          const token = await machinesRepo.lockEnrollmentToken(tx, target.tokenId);
          if (!token) throw agentRefused('unknown', 'enrollment token is not valid');
          const state = machinesRepo.tokenState(token);
          if (state === 'revoked') throw agentRefused('revoked', 'enrollment token has been revoked; ask for a new one');
          if (state === 'expired') throw agentRefused('expired', `enrollment token expired at ${token.expires_at.toISOString()}; ask for a new one`);
          const machineId = randomUUID();
          const machineToken = newSecret('vgm');
          const jwtExpiresAt = new Date(Date.now() + AGENT_JWT_TTL_MS);
          const userJwt = await credentials.sign({ tenantId: target.tenantId, machineId, nkeyPublic: body.nkeyPublic, expiresAt: jwtExpiresAt });
          await machinesRepo.insertMachine(tx, {
            tenantId: target.tenantId,
            id: machineId,
            clientId: token.client_id,
            siteId: token.site_id,
            enrollmentTokenId: token.id,
            hostname: body.hostname,
            osName: body.os.name,
            osVersion: body.os.version,
            cpuModel: body.hardware.cpuModel,
            ramTotalBytes: body.hardware.ramTotalBytes ?? null,
            agentVersion: body.agentVersion,
            nkeyPublic: body.nkeyPublic,
            jwtExpiresAt,
            machineTokenHash: hashOpaqueToken(machineToken),
          });
          await auditRepo.recordAudit(tx, {
            tenantId: target.tenantId,
            actorId: null,
            actorName: `agent ${body.hostname}`,
            action: 'machine.enroll',
            entity: 'machine',
            entityId: machineId,
            before: null,
            after: { hostname: body.hostname, clientId: token.client_id, enrollmentTokenId: token.id, nkeyPublic: body.nkeyPublic },
            requestId,
          });
          return {
            machineId,
            tenantId: target.tenantId,
            natsUrl: d.config.NATS_URL,
            userJwt,
            jwtExpiresAt: jwtExpiresAt.toISOString(),
            machineToken,
            subjects: agentSubjects(target.tenantId, machineId),
          };
        });
      },
    }),
    route({
      method: 'get',
      path: '/machines',
      tag: 'rmm',
      summary: 'Managed machines (the fleet): by client, site, online state, OS or hostname; sort hostname (default), osName, createdAt',
      auth: STAFF_ROLES,
      query: machineListQuerySchema,
      response: pageSchema(fleetMachineSchema),
      handler: ({ tx, query }) => tx((t) => machinesRepo.listFleetMachines(t, query)),
    }),
    route({
      method: 'get',
      path: '/machines/:id',
      tag: 'rmm',
      summary: 'One managed machine',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      response: fleetMachineSchema,
      handler: ({ tx, params }) =>
        tx(async (t) => {
          const machine = await machinesRepo.findFleetMachine(t, params.id);
          if (!machine) throw AppError.notFound('machine');
          return machine;
        }),
    }),
    route({
      method: 'get',
      path: '/machines/:id/metrics',
      tag: 'rmm',
      summary: 'A machine’s metrics over 1h / 24h (raw samples) or 7d / 30d (hourly roll-ups), oldest first',
      auth: STAFF_ROLES,
      params: idParamsSchema,
      query: machineMetricsQuerySchema,
      response: machineMetricsSchema,
      handler: ({ tx, params, query }) =>
        tx(async (t) => {
          if (!(await machinesRepo.findMachine(t, params.id))) throw AppError.notFound('machine');
          const now = new Date();
          return { range: query.range, ...(await metricsRepo.readMetrics(t, params.id, query.range, now)), ...(await metricsRepo.readResourceSeries(t, params.id, query.range, now)) };
        }),
    }),
  ];
}
