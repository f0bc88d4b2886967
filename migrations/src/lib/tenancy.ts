import type { Knex } from 'knex';

/** The role the application logs in as: owns nothing, has no BYPASSRLS. Created by the bootstrap. */
export const APP_ROLE = 'vigie_app';

/** The one expression every tenant policy compares against (empty after a transaction ends, hence nullif). */
export const CURRENT_TENANT = "nullif(current_setting('app.tenant_id', true), '')::uuid";

/**
 * Enables and forces row-level security on a tenant-owned table, with a policy that limits reads and
 * writes to the tenant set by `set_config('app.tenant_id', ..., true)` in the current transaction.
 */
export async function enableTenantRls(knex: Knex, table: string, column = 'tenant_id'): Promise<void> {
  await knex.raw(`alter table ?? enable row level security`, [table]);
  await knex.raw(`alter table ?? force row level security`, [table]);
  await knex.raw(
    `create policy tenant_isolation on ?? using (?? = ${CURRENT_TENANT}) with check (?? = ${CURRENT_TENANT})`,
    [table, column, column],
  );
}

/** Append-only tables: the app may read and insert, never change or remove; a trigger stops the owner too. */
export async function makeAppendOnly(knex: Knex, table: string): Promise<void> {
  await knex.raw(`revoke update, delete, truncate on ?? from ${APP_ROLE}`, [table]);
  await knex.raw(
    `create trigger ?? before update or delete on ?? for each statement execute function vigie_forbid_change()`,
    [`${table}_append_only`, table],
  );
}
