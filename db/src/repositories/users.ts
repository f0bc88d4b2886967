import type { Page, Role, User, UserListQuery } from '@vigie/core';
import type { Db } from '../connection';
import { paginate } from '../pagination';
import { likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

export interface UserRow {
  tenant_id: string;
  id: string;
  email: string;
  name: string;
  password_hash: string;
  role: Role;
  client_id: string | null;
  disabled: boolean;
  locale: 'fr' | 'en' | null;
  cost_rate_cents: number | null;
  last_login_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    clientId: row.client_id,
    disabled: row.disabled,
    locale: row.locale,
    costRateCents: row.cost_rate_cents,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export interface NewUser {
  id: string;
  email: string;
  name: string;
  passwordHash: string;
  role: Role;
  clientId?: string | undefined;
  locale?: 'fr' | 'en' | undefined;
}

export async function insertUser(tx: TenantTx, tenantId: string, user: NewUser): Promise<UserRow> {
  const [row] = await tx('users')
    .insert({
      tenant_id: tenantId,
      id: user.id,
      email: user.email,
      name: user.name,
      password_hash: user.passwordHash,
      role: user.role,
      client_id: user.clientId ?? null,
      locale: user.locale ?? null,
    })
    .returning('*');
  return row as UserRow;
}

export async function findUserById(tx: TenantTx, id: string): Promise<UserRow | undefined> {
  return tx('users').where({ id }).first();
}

export async function listUsers(tx: TenantTx, query: UserListQuery): Promise<Page<User>> {
  const q = tx('users').select('*');
  if (query.role) q.where('role', query.role);
  if (query.disabled !== undefined) q.where('disabled', query.disabled);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('name', like).orWhereILike('email', like));
  }
  return paginate<UserRow, User>(
    q,
    {
      sortable: { createdAt: 'created_at', name: 'name', email: 'email', role: 'role' },
      defaultSort: 'name',
      limit: query.limit,
      cursor: query.cursor,
      sort: query.sort,
    },
    toUser,
  );
}

export async function updateUser(
  tx: TenantTx,
  id: string,
  patch: Partial<Pick<UserRow, 'name' | 'role' | 'disabled' | 'locale' | 'password_hash' | 'cost_rate_cents'>>,
): Promise<UserRow> {
  const [row] = await tx('users')
    .where({ id })
    .update({ ...patch, updated_at: tx.fn.now() })
    .returning('*');
  return row as UserRow;
}

export async function touchLastLogin(tx: TenantTx, id: string): Promise<void> {
  await tx('users').where({ id }).update({ last_login_at: tx.fn.now() });
}

export async function countActiveAdmins(tx: TenantTx): Promise<number> {
  const row = await tx('users').where({ role: 'admin', disabled: false }).count<{ count: number }[]>('* as count').first();
  return Number(row?.count ?? 0);
}

/** Cross-tenant lookup for login: returns only where to look (SECURITY DEFINER function). */
export async function findLoginTarget(db: Db, email: string): Promise<{ tenantId: string; userId: string } | undefined> {
  const { rows } = await db.raw(`select tenant_id, user_id from auth_find_user_by_email(?)`, [email]);
  const row = rows[0] as { tenant_id: string; user_id: string } | undefined;
  return row ? { tenantId: row.tenant_id, userId: row.user_id } : undefined;
}
