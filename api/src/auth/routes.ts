import rateLimit, { ipKeyGenerator } from 'express-rate-limit';
import type { RequestHandler } from 'express';
import type passport from 'passport';

import {
  AppError,
  ROLES,
  acceptInvitationBodySchema,
  loginBodySchema,
  logoutBodySchema,
  meSchema,
  refreshBodySchema,
  signupBodySchema,
  tokensSchema,
} from '@vigie/core';
import { usersRepo, type UserRow } from '@vigie/db';
import type { AppDeps } from '../deps';
import { publicRoute, route, type AnyRoute } from '../http/route';
import { sendProblem } from '../http/problem';
import * as auth from './service';
import { acceptInvitation } from '../users/invitations';

function loginLimiter(deps: AppDeps): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit: deps.config.LOGIN_RATE_LIMIT_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Per address and account: one attacker cannot lock everyone out, nor hammer one account.
    keyGenerator: (req) => `${ipKeyGenerator(req.ip ?? '')}|${String((req.body as { email?: unknown } | undefined)?.email ?? '').toLowerCase()}`,
    handler: (_req, res) => sendProblem(res, 'rate_limited', 'too many login attempts, wait a minute'),
  });
}

/** Runs the local strategy; on success `req.user` is the verified user row. */
function passwordCheck(passportInstance: passport.PassportStatic): RequestHandler {
  return (req, res, next) => {
    const parsed = loginBodySchema.safeParse(req.body);
    if (!parsed.success) return next(parsed.error);
    passportInstance.authenticate('local', { session: false }, (err: unknown, user: UserRow | false) => {
      if (err) return next(err);
      if (!user) return next(new AppError('unauthenticated', 'e-mail or password is incorrect'));
      req.user = user;
      next();
    })(req, res, next);
  };
}

export function authRoutes(deps: AppDeps, passportInstance: passport.PassportStatic): AnyRoute[] {
  return [
    publicRoute({
      method: 'post',
      path: '/signup',
      tag: 'auth',
      summary: 'Create a new MSP tenant and its first admin',
      body: signupBodySchema,
      response: tokensSchema,
      handler: ({ deps: d, body, requestId }) => auth.signup(d, body, requestId),
    }),
    publicRoute({
      method: 'post',
      path: '/auth/login',
      tag: 'auth',
      summary: 'Log in with e-mail and password',
      body: loginBodySchema,
      response: tokensSchema,
      status: 200,
      before: [loginLimiter(deps), passwordCheck(passportInstance)],
      handler: ({ deps: d, req, requestId }) => auth.login(d, req.user as unknown as UserRow, requestId),
    }),
    publicRoute({
      method: 'post',
      path: '/auth/accept-invite',
      tag: 'auth',
      summary: 'Accept an invitation: set your password from the e-mailed link; you are logged in',
      body: acceptInvitationBodySchema,
      response: tokensSchema,
      status: 200,
      before: [loginLimiter(deps)],
      handler: ({ deps: d, body, requestId }) => acceptInvitation(d, body.token, body.password, requestId),
    }),
    publicRoute({
      method: 'post',
      path: '/auth/refresh',
      tag: 'auth',
      summary: 'Exchange a refresh token for new tokens (rotation; reuse revokes the family)',
      body: refreshBodySchema,
      response: tokensSchema,
      status: 200,
      handler: ({ deps: d, body, requestId }) => auth.refresh(d, body.refreshToken, requestId),
    }),
    route({
      method: 'post',
      path: '/auth/logout',
      tag: 'auth',
      summary: 'Revoke the given refresh token family, or all of the user’s sessions',
      auth: ROLES,
      body: logoutBodySchema,
      handler: ({ deps: d, actor, body, requestId }) => auth.logout(d, actor.tenantId, actor.userId, body.refreshToken, requestId),
    }),
    route({
      method: 'get',
      path: '/me',
      tag: 'auth',
      summary: 'The current user',
      auth: ROLES,
      response: meSchema,
      handler: async ({ tx, actor }) => {
        const user = await tx((t) => usersRepo.findUserById(t, actor.userId));
        if (!user) throw AppError.notFound('user');
        return auth.toMe(user);
      },
    }),
  ];
}

