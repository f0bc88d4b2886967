import { randomUUID } from 'node:crypto';
import { AppError, type Tokens, type User } from '@vigie/core';
import { invitationsRepo, outboxRepo, usersRepo, withTenant, type TenantTx, type UserRow } from '@vigie/db';
import { startEmailDelivery } from '@vigie/workflows/client';
import { login } from '../auth/service';
import { hashPassword } from '../auth/passwords';
import { hashOpaqueToken, newOpaqueToken } from '../auth/tokens';
import type { AppDeps } from '../deps';
import type { Actor } from '../http/route';

const VALID_DAYS = 7;
/** A password hash no password matches: an invited account cannot log in before accepting. */
export const NO_PASSWORD = '!invited';

export interface PendingInvitation {
  user: User;
  expiresAt: string;
  emailId: string;
}

/**
 * Creates the invitation and queues its e-mail in the same transaction as the user; the caller starts
 * the delivery after the commit (`deliverInvitation`).
 */
export async function inviteUser(deps: AppDeps, tx: TenantTx, actor: Actor, user: UserRow): Promise<PendingInvitation> {
  const { token, hash } = newOpaqueToken();
  const expiresAt = new Date(Date.now() + VALID_DAYS * 86_400_000);
  await invitationsRepo.insertInvitation(tx, { tenantId: actor.tenantId, id: randomUUID(), userId: user.id, tokenHash: hash, expiresAt });
  const base = deps.config.PUBLIC_URL ?? `http://${deps.config.HOST}:${deps.config.PORT}`;
  const link = `${base.replace(/\/$/, '')}/invitation?token=${token}`;
  const french = (user.locale ?? 'fr') === 'fr';
  const emailId = await outboxRepo.enqueueEmail(tx, {
    tenantId: actor.tenantId,
    idempotencyKey: `invitation:${user.id}:${expiresAt.getTime()}`,
    to: user.email,
    subject: french ? `${actor.name} vous invite sur Vigie` : `${actor.name} invites you to Vigie`,
    text: french
      ? `Bonjour ${user.name},\n\n${actor.name} vous invite à rejoindre Vigie. Choisissez votre mot de passe ici (lien valable ${VALID_DAYS} jours) :\n\n${link}\n`
      : `Hello ${user.name},\n\n${actor.name} invites you to Vigie. Choose your password here (link valid for ${VALID_DAYS} days):\n\n${link}\n`,
  });
  return { user: usersRepo.toUser(user), expiresAt: expiresAt.toISOString(), emailId };
}

/** After commit. If Temporal is unreachable the mail stays queued in the outbox (reported, not lost). */
export async function deliverInvitation(deps: AppDeps, tenantId: string, pending: PendingInvitation): Promise<{ user: User; expiresAt: string; emailQueued: boolean }> {
  const emailQueued = await startEmailDelivery(deps.temporal, { tenantId, emailId: pending.emailId }).then(
    () => true,
    (err: unknown) => {
      deps.log.warn({ err }, 'invitation e-mail not handed to Temporal; it stays in the outbox');
      return false;
    },
  );
  return { user: pending.user, expiresAt: pending.expiresAt, emailQueued };
}

/** The invitee sets a password from the link; the invitation works once and logs them in. */
export async function acceptInvitation(deps: AppDeps, token: string, password: string, requestId: string): Promise<Tokens> {
  const target = await invitationsRepo.findInvitationTarget(deps.db, hashOpaqueToken(token));
  if (!target) throw AppError.invalid('this invitation link is not valid');
  const passwordHash = await hashPassword(password);
  const user = await withTenant(deps.db, target.tenantId, async (tx) => {
    const invitation = await invitationsRepo.lockInvitation(tx, target.invitationId);
    if (!invitation) throw AppError.invalid('this invitation link is not valid');
    if (invitation.accepted_at) throw AppError.conflict('this invitation was already used; log in instead');
    if (invitation.expires_at.getTime() < Date.now()) throw AppError.invalid('this invitation has expired; ask for a new one');
    await invitationsRepo.markAccepted(tx, invitation.id);
    return usersRepo.updateUser(tx, invitation.user_id, { password_hash: passwordHash });
  });
  if (user.disabled) throw new AppError('forbidden', 'this account is disabled');
  return login(deps, user, requestId);
}
