import { createHash } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type passport from 'passport';
import type { z } from 'zod';
import { AppError } from '@vigie/core';
import { auditRepo, idempotencyRepo, withTenant, type TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';
import { zodFieldErrors } from './problem';
import { BinaryResponse, successStatus, type Actor, type AnyRoute, type AuditInput, type AuthedContext } from './route';

const hasBody = (req: Request) => Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

/** JSON routes accept only JSON; raw routes only their declared media types. */
function bodyGuard(def: AnyRoute, jsonLimit: string): RequestHandler[] {
  if (def.rawBody) {
    const { types, limit } = def.rawBody;
    return [
      (req, _res, next) => {
        if (!req.is(types)) return next(AppError.invalid(`Content-Type must be one of: ${types.join(', ')}`));
        next();
      },
      express.raw({ type: types, limit }),
    ];
  }
  return [
    (req, _res, next) => {
      if (hasBody(req) && !req.is('application/json')) return next(AppError.invalid('Content-Type must be application/json'));
      next();
    },
    express.json({ limit: jsonLimit }),
  ];
}

function parsePart(schema: z.ZodType | undefined, value: unknown, part: 'body' | 'query' | 'params'): unknown {
  if (!schema) {
    if (part === 'body' && value !== undefined && !(typeof value === 'object' && value && Object.keys(value).length === 0))
      throw AppError.invalid('this endpoint takes no body');
    return undefined;
  }
  const result = schema.safeParse(part === 'body' ? (value ?? {}) : value);
  if (!result.success) {
    // A malformed id in the path is "no such object", like another tenant's id.
    if (part === 'params') throw AppError.notFound('resource');
    throw AppError.invalid(`${part} is invalid`, zodFieldErrors(result.error, part === 'query' ? 'query' : ''));
  }
  return result.data;
}

function authenticate(auth: passport.PassportStatic) {
  return (req: Request, res: Response, next: NextFunction) =>
    auth.authenticate('jwt', { session: false }, (err: unknown, actor: Actor | false) => {
      if (err) return next(err);
      if (!actor) return next(new AppError('unauthenticated', 'a valid bearer token is required'));
      req.user = actor;
      next();
    })(req, res, next);
}

export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_\-:.]{8,200}$/;

/** Registers each route on the router with the same pipeline: auth → roles → validation → handler. */
export function mountRoutes(router: Router, routes: AnyRoute[], deps: AppDeps, auth: passport.PassportStatic): void {
  for (const def of routes) {
    const status = successStatus(def);
    const chain = [...bodyGuard(def, deps.config.BODY_LIMIT), ...(def.auth === 'public' ? [] : [authenticate(auth)])];
    router[def.method](def.path, ...chain, ...(def.before ?? []), async (req: Request, res: Response) => {
      const body = def.rawBody ? req.body : parsePart(def.body, req.body, 'body');
      const query = parsePart(def.query, req.query, 'query');
      const params = parsePart(def.params, req.params, 'params');
      const base = { body, query, params, requestId: String(req.id), deps, req };
      let result: unknown;
      if (def.auth === 'public') {
        result = await def.handler({ ...base, actor: req.user as Actor | undefined } as never);
      } else {
        const actor = req.user as Actor;
        if (!def.auth.includes(actor.role)) throw new AppError('forbidden', 'your role does not allow this');
        const key = req.get('Idempotency-Key');
        if (key !== undefined && def.idempotent === true) {
          const replay = await runIdempotent(deps, actor, req, key, status, (tx) =>
            def.handler(authedContext(base, actor, (work) => work(tx))),
          );
          if (replay.replayed) res.setHeader('Idempotent-Replayed', 'true');
          return send(res, replay.status, replay.body);
        }
        result = await def.handler(authedContext(base, actor, (work) => withTenant(deps.db, actor.tenantId, work)));
      }
      if (def.etag && notModified(req, res, def.etag(result as never))) return;
      send(res, status, result);
    });
  }
}

/** Sets the ETag; true when the client's If-None-Match names it (then 304 was sent). */
function notModified(req: Request, res: Response, etag: string): boolean {
  const tag = `"${etag}"`;
  res.setHeader('ETag', tag);
  const given = (req.get('If-None-Match') ?? '').split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!given.includes(tag) && !given.includes('*')) return false;
  res.status(304).end();
  return true;
}

function send(res: Response, status: number, body: unknown): void {
  if (body instanceof BinaryResponse) {
    res.status(status).type(body.contentType).setHeader('Cache-Control', body.cacheControl);
    res.send(body.bytes);
    return;
  }
  if (status === 204 || body === undefined) res.status(status === 200 ? 204 : status).end();
  else res.status(status).json(body);
}

function authedContext(
  base: Omit<AuthedContext<unknown, unknown, unknown>, 'actor' | 'tx' | 'audit'>,
  actor: Actor,
  tx: <T>(work: (tx: TenantTx) => Promise<T>) => Promise<T>,
): AuthedContext<never, never, never> {
  return {
    ...base,
    actor,
    tx,
    audit: (t: TenantTx, entry: AuditInput) =>
      auditRepo.recordAudit(t, {
        tenantId: actor.tenantId,
        actorId: actor.userId,
        actorName: actor.name,
        requestId: base.requestId,
        entityId: entry.entityId,
        action: entry.action,
        entity: entry.entity,
        before: entry.before ?? null,
        after: entry.after ?? null,
      }),
  } as AuthedContext<never, never, never>;
}

/**
 * The key is claimed, the handler runs and the response is stored in ONE transaction: a concurrent
 * repeat waits on the key's row lock and then replays the stored response; a failure leaves no trace.
 */
async function runIdempotent(
  deps: AppDeps,
  actor: Actor,
  req: Request,
  key: string,
  status: number,
  handler: (tx: TenantTx) => Promise<unknown>,
): Promise<{ status: number; body: unknown; replayed: boolean }> {
  if (!IDEMPOTENCY_KEY.test(key))
    throw AppError.invalid('Idempotency-Key must be 8 to 200 characters of letters, digits, _ - : .');
  const requestHash = createHash('sha256')
    .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
  return withTenant(deps.db, actor.tenantId, async (tx) => {
    const claim = await idempotencyRepo.claimIdempotencyKey(tx, {
      tenantId: actor.tenantId,
      key,
      method: req.method,
      path: req.originalUrl,
      requestHash,
    });
    if (claim !== 'claimed') {
      if (claim.request_hash !== requestHash)
        throw AppError.conflict('this Idempotency-Key was already used for a different request');
      return { status: claim.status_code ?? status, body: claim.response_body ?? undefined, replayed: true };
    }
    const body = await handler(tx);
    await idempotencyRepo.completeIdempotencyKey(tx, key, status, body);
    return { status, body, replayed: false };
  });
}
