import { randomUUID } from 'node:crypto';
import { AppError, type Me, type SignupBody, type Tokens } from '@vigie/core';
import { auditRepo, refreshTokensRepo, tenantsRepo, usersRepo, withTenant, isUniqueViolation, type TenantTx, type UserRow } from '@vigie/db';
import { startTenantOnboarding } from '@vigie/workflows/client';
import type { AppDeps } from '../deps';
import { hashPassword } from './passwords';
import { hashOpaqueToken, newOpaqueToken, signAccessToken } from './tokens';

export function toMe(user: UserRow): Me {
  return {
    id: user.id,
    tenantId: user.tenant_id,
    email: user.email,
    name: user.name,
    role: user.role,
    clientId: user.client_id,
    locale: user.locale,
  };
}

async function issueTokens(deps: AppDeps, tx: TenantTx, user: UserRow, familyId: string): Promise<Tokens> {
  const { config } = deps;
  const refresh = newOpaqueToken();
  await refreshTokensRepo.insertRefreshToken(tx, {
    tenantId: user.tenant_id,
    id: randomUUID(),
    userId: user.id,
    familyId,
    tokenHash: refresh.hash,
    expiresAt: new Date(Date.now() + config.REFRESH_TOKEN_TTL_DAYS * 86_400_000),
  });
  const accessToken = signAccessToken(config, {
    sub: user.id,
    tid: user.tenant_id,
    role: user.role,
    name: user.name,
    cid: user.client_id,
  });
  return { accessToken, refreshToken: refresh.token, expiresIn: config.ACCESS_TOKEN_TTL_SECONDS, user: toMe(user) };
}

/** New MSP: tenant + first admin in one transaction, then the durable onboarding (default settings...). */
export async function signup(deps: AppDeps, body: SignupBody, requestId: string): Promise<Tokens> {
  const tenantId = randomUUID();
  const passwordHash = await hashPassword(body.password);
  let tokens: Tokens;
  try {
    tokens = await withTenant(deps.db, tenantId, async (tx) => {
      await tenantsRepo.insertTenant(tx, { id: tenantId, name: body.tenantName });
      const user = await usersRepo.insertUser(tx, tenantId, {
        id: randomUUID(),
        email: body.email,
        name: body.name,
        passwordHash,
        role: 'admin',
      });
      await auditRepo.recordAudit(tx, {
        tenantId,
        actorId: user.id,
        actorName: user.name,
        action: 'tenant.signup',
        entity: 'tenant',
        entityId: tenantId,
        after: { name: body.tenantName, adminEmail: body.email },
        requestId,
      });
      return issueTokens(deps, tx, user, randomUUID());
    });
  } catch (err) {
    if (isUniqueViolation(err))
      throw AppError.conflict('an account with this e-mail already exists');
    throw err;
  }
  // After commit: if Temporal is down, the worker's onboarding sweep starts it later (tenants.onboarded_at).
  await startTenantOnboarding(deps.temporal, { tenantId }).catch((err: unknown) =>
    deps.log.warn({ err, tenantId }, 'could not start onboarding now; the worker sweep will'),
  );
  return tokens;
}

export async function login(deps: AppDeps, user: UserRow, requestId: string): Promise<Tokens> {
  return withTenant(deps.db, user.tenant_id, async (tx) => {
    await usersRepo.touchLastLogin(tx, user.id);
    await auditRepo.recordAudit(tx, {
      tenantId: user.tenant_id,
      actorId: user.id,
      actorName: user.name,
      action: 'auth.login',
      entity: 'user',
      entityId: user.id,
      requestId,
    });
    return issueTokens(deps, tx, user, randomUUID());
  });
}

type RefreshOutcome = { ok: Tokens } | { reused: true } | { invalid: true };

/**
 * Rotation: each refresh token works once. Presenting a used one means it leaked, so the whole family
 * (every token descended from the same login) is revoked; the revocation commits before the 401.
 */
export async function refresh(deps: AppDeps, refreshToken: string, requestId: string): Promise<Tokens> {
  const target = await refreshTokensRepo.findRefreshTarget(deps.db, hashOpaqueToken(refreshToken));
  if (!target) throw new AppError('unauthenticated', 'refresh token is invalid');
  const outcome = await withTenant<RefreshOutcome>(deps.db, target.tenantId, async (tx) => {
    const row = await refreshTokensRepo.lockRefreshToken(tx, target.tokenId);
    if (!row || row.revoked_at || row.expires_at.getTime() <= Date.now()) return { invalid: true };
    if (row.used_at) {
      await refreshTokensRepo.revokeFamily(tx, row.family_id);
      await auditRepo.recordAudit(tx, {
        tenantId: row.tenant_id,
        actorId: row.user_id,
        actorName: null,
        action: 'auth.refresh_reuse_detected',
        entity: 'user',
        entityId: row.user_id,
        after: { familyId: row.family_id },
        requestId,
      });
      return { reused: true };
    }
    const user = await usersRepo.findUserById(tx, row.user_id);
    if (!user || user.disabled) return { invalid: true };
    await refreshTokensRepo.markRefreshTokenUsed(tx, row.id);
    return { ok: await issueTokens(deps, tx, user, row.family_id) };
  });
  if ('ok' in outcome) return outcome.ok;
  throw new AppError('unauthenticated', 'reused' in outcome ? 'refresh token was already used; please log in again' : 'refresh token is invalid or expired');
}

export async function logout(deps: AppDeps, tenantId: string, userId: string, refreshToken: string | undefined, requestId: string): Promise<void> {
  await withTenant(deps.db, tenantId, async (tx) => {
    if (refreshToken) {
      const target = await refreshTokensRepo.findRefreshTarget(deps.db, hashOpaqueToken(refreshToken));
      const row = target && target.tenantId === tenantId ? await refreshTokensRepo.lockRefreshToken(tx, target.tokenId) : undefined;
      if (row && row.user_id === userId) await refreshTokensRepo.revokeFamily(tx, row.family_id);
    } else {
      await refreshTokensRepo.revokeAllForUser(tx, userId);
    }
    await auditRepo.recordAudit(tx, {
      tenantId,
      actorId: userId,
      actorName: null,
      action: 'auth.logout',
      entity: 'user',
      entityId: userId,
      requestId,
    });
  });
}
