import { randomUUID } from 'node:crypto';
import { AppError, type CreateUserBody, type UpdateUserBody, type User } from '@vigie/core';
import { refreshTokensRepo, usersRepo, isUniqueViolation, type TenantTx } from '@vigie/db';
import { hashPassword } from '../auth/passwords';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

async function findOr404(tx: TenantTx, id: string) {
  const user = await usersRepo.findUserById(tx, id);
  if (!user) throw AppError.notFound('user');
  return user;
}

export async function createUser(ctx: Ctx, body: CreateUserBody): Promise<User> {
  const passwordHash = await hashPassword(body.password);
  try {
    return await ctx.tx(async (tx) => {
      const row = await usersRepo.insertUser(tx, ctx.actor.tenantId, {
        id: randomUUID(),
        email: body.email,
        name: body.name,
        passwordHash,
        role: body.role,
        clientId: body.clientId,
        locale: body.locale,
      });
      const user = usersRepo.toUser(row);
      await ctx.audit(tx, { action: 'user.create', entity: 'user', entityId: user.id, after: summary(user) });
      return user;
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw AppError.conflict('an account with this e-mail already exists');
    throw err;
  }
}

export async function getUser(ctx: Ctx, id: string): Promise<User> {
  return ctx.tx(async (tx) => usersRepo.toUser(await findOr404(tx, id)));
}

export async function updateUser(ctx: Ctx, id: string, body: UpdateUserBody): Promise<User> {
  const passwordHash = body.password ? await hashPassword(body.password) : undefined;
  return ctx.tx(async (tx) => {
    const before = await findOr404(tx, id);
    const losesAdmin = before.role === 'admin' && !before.disabled && ((body.role && body.role !== 'admin') || body.disabled === true);
    if (losesAdmin) await assertAnotherAdmin(tx);
    if (id === ctx.actor.userId && body.disabled) throw AppError.conflict('you cannot disable your own account');
    if (body.role === 'client' && !before.client_id) throw AppError.conflict('a staff account cannot become a client user');
    if (before.role === 'client' && body.role && body.role !== 'client') throw AppError.conflict('a client user cannot become staff');
    const row = await usersRepo.updateUser(tx, id, {
      ...(body.name !== undefined ? { name: body.name } : {}),
      ...(body.role !== undefined ? { role: body.role } : {}),
      ...(body.disabled !== undefined ? { disabled: body.disabled } : {}),
      ...(body.locale !== undefined ? { locale: body.locale } : {}),
      ...(body.costRateCents !== undefined ? { cost_rate_cents: body.costRateCents } : {}),
      ...(passwordHash ? { password_hash: passwordHash } : {}),
    });
    // A disabled account or a new password ends every session at once.
    if (body.disabled || passwordHash) await refreshTokensRepo.revokeAllForUser(tx, id);
    const user = usersRepo.toUser(row);
    await ctx.audit(tx, {
      action: 'user.update',
      entity: 'user',
      entityId: id,
      before: summary(usersRepo.toUser(before)),
      after: { ...summary(user), ...(passwordHash ? { password: 'changed' } : {}) },
    });
    return user;
  });
}

export async function deleteUser(ctx: Ctx, id: string): Promise<void> {
  if (id === ctx.actor.userId) throw AppError.conflict('you cannot delete your own account');
  await ctx.tx(async (tx) => {
    const before = await findOr404(tx, id);
    if (before.role === 'admin' && !before.disabled) await assertAnotherAdmin(tx);
    await tx('users').where({ id }).delete();
    await ctx.audit(tx, { action: 'user.delete', entity: 'user', entityId: id, before: summary(usersRepo.toUser(before)) });
  });
}

async function assertAnotherAdmin(tx: TenantTx): Promise<void> {
  if ((await usersRepo.countActiveAdmins(tx)) <= 1) throw AppError.conflict('the tenant must keep at least one active admin');
}

function summary(user: User): Record<string, unknown> {
  return { email: user.email, name: user.name, role: user.role, disabled: user.disabled, clientId: user.clientId, costRateCents: user.costRateCents };
}
