import type { Knex } from 'knex';
import type { Db } from './connection';

declare const tenantScoped: unique symbol;
/** A transaction whose row-level security is bound to one tenant. Only `withTenant` makes one. */
export type TenantTx = Knex.Transaction & { readonly [tenantScoped]: string };

/**
 * Runs `work` in one transaction bound to `tenantId` through `set_config(..., true)`: the setting dies
 * with the transaction, so a pooled connection never carries a tenant over to the next request.
 */
export async function withTenant<T>(db: Db, tenantId: string, work: (tx: TenantTx) => Promise<T>): Promise<T> {
  return db.transaction(async (trx) => {
    await trx.raw(`select set_config('app.tenant_id', ?, true)`, [tenantId]);
    return work(trx as TenantTx);
  });
}

/** The tenant a transaction is bound to, read back from Postgres (used in tests and assertions). */
export async function currentTenant(tx: Knex.Transaction): Promise<string | null> {
  const { rows } = await tx.raw(`select nullif(current_setting('app.tenant_id', true), '') as t`);
  return (rows[0]?.t as string | null) ?? null;
}
