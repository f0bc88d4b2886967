import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import type { Role } from '@vigie/core';
import type { TenantTx } from '@vigie/db';
import type { AppDeps } from '../deps';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** Who is calling, from the verified access token. */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
  name: string;
  clientId: string | null;
}

interface BaseContext<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  requestId: string;
  deps: AppDeps;
  req: Request;
}

export interface PublicContext<B, Q, P> extends BaseContext<B, Q, P> {
  actor: Actor | undefined;
}

export interface AuthedContext<B, Q, P> extends BaseContext<B, Q, P> {
  actor: Actor;
  /** Runs `work` in a transaction bound to the actor's tenant (shared with the idempotency record). */
  tx<T>(work: (tx: TenantTx) => Promise<T>): Promise<T>;
  /** Appends to the audit log in the same transaction as the change. */
  audit(tx: TenantTx, entry: AuditInput): Promise<void>;
}

export interface AuditInput {
  action: string;
  entity: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

type Infer<S> = S extends z.ZodType ? z.output<S> : undefined;

interface RouteShape<B, Q, P, R> {
  method: Method;
  /** Express-style path under /api/v1, e.g. `/users/:id`. */
  path: string;
  summary: string;
  tag: string;
  body?: B;
  query?: Q;
  params?: P;
  /** Response body schema; absent → 204 No Content. */
  response?: R;
  /** Status on success; defaults to 201 for POST with a body, else 200. */
  status?: number;
  /**
   * Accepts `Idempotency-Key`: a repeat returns the first response without running again. `'handler'`: the
   * handler keeps the key itself (e.g. to commit before publishing to NATS); only documented here.
   */
  idempotent?: boolean | 'handler';
  /** Extra middleware before validation's result is used (rate limits, passport). */
  before?: RequestHandler[];
  /** The body is raw bytes of these media types (e.g. an image), not JSON; the handler reads `req.body`. */
  rawBody?: { types: string[]; limit: string | number };
  /** Media type of a binary response (the handler returns a `BinaryResponse`). */
  produces?: string;
  /**
   * Strong ETag of a GET's response (the quotes are added): an If-None-Match naming it answers 304 without a body.
   * Checked here rather than by Express, which treats the `Cache-Control: no-cache` that fetch() adds to every
   * conditional request as a reload and never answers 304 to it.
   */
  etag?: (body: R extends z.ZodType ? z.input<R> : never) => string;
}

/** A non-JSON response body, e.g. an image. */
export class BinaryResponse {
  constructor(
    readonly contentType: string,
    readonly bytes: Buffer,
    readonly cacheControl = 'private, no-cache',
  ) {}
}

export interface PublicRoute<B = unknown, Q = unknown, P = unknown, R = unknown> extends RouteShape<B, Q, P, R> {
  auth: 'public';
  handler(ctx: PublicContext<Infer<B>, Infer<Q>, Infer<P>>): Promise<R extends z.ZodType ? z.input<R> : void | BinaryResponse>;
}

export interface AuthedRoute<B = unknown, Q = unknown, P = unknown, R = unknown> extends RouteShape<B, Q, P, R> {
  /** Roles allowed; object-level checks (e.g. a client's own records) stay in the handler. */
  auth: readonly Role[];
  handler(ctx: AuthedContext<Infer<B>, Infer<Q>, Infer<P>>): Promise<R extends z.ZodType ? z.input<R> : void | BinaryResponse>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = PublicRoute<any, any, any, any> | AuthedRoute<any, any, any, any>;

export function publicRoute<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(def: Omit<PublicRoute<B, Q, P, R>, 'auth'>): PublicRoute<B, Q, P, R> {
  return { ...def, auth: 'public' };
}

export function route<
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  R extends z.ZodType | undefined = undefined,
>(def: AuthedRoute<B, Q, P, R>): AuthedRoute<B, Q, P, R> {
  return def;
}

export function successStatus(def: AnyRoute): number {
  if (def.status) return def.status;
  if (def.produces) return 200;
  if (!def.response) return 204;
  return def.method === 'post' ? 201 : 200;
}

/** `/users/:id` → `/users/{id}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}
