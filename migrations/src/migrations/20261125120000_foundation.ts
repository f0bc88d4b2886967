import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls, makeAppendOnly } from '../lib/tenancy';

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`grant usage on schema public to ${APP_ROLE}`);
  await knex.raw(`alter default privileges in schema public grant select, insert, update, delete on tables to ${APP_ROLE}`);
  await knex.raw(`alter default privileges in schema public grant usage, select on sequences to ${APP_ROLE}`);
  await knex.raw(`
    create function vigie_forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception '% is append-only', tg_table_name using errcode = 'insufficient_privilege';
    end $$`);

  await knex.schema.createTable('tenants', (t) => {
    t.uuid('id').primary();
    t.string('name', 120).notNullable();
    t.string('status', 20).notNullable().defaultTo('active');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('onboarded_at', { useTz: true, precision: 3 });
  });
  await enableTenantRls(knex, 'tenants', 'id');

  await knex.schema.createTable('tenant_settings', (t) => {
    t.uuid('tenant_id').primary().references('tenants.id').onDelete('cascade');
    t.jsonb('legal').notNullable().defaultTo('{}');
    t.jsonb('branding').notNullable().defaultTo('{}');
    t.string('locale', 5).notNullable().defaultTo('fr');
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.string('timezone', 64).notNullable().defaultTo('Europe/Paris');
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table tenant_settings add constraint tenant_settings_locale check (locale in ('fr', 'en'))`);
  await knex.raw(`alter table tenant_settings add constraint tenant_settings_currency check (currency ~ '^[A-Z]{3}$')`);
  await enableTenantRls(knex, 'tenant_settings');

  await knex.schema.createTable('users', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('email', 254).notNullable();
    t.string('name', 120).notNullable();
    t.text('password_hash').notNullable();
    t.string('role', 20).notNullable();
    t.uuid('client_id');
    t.boolean('disabled').notNullable().defaultTo(false);
    t.string('locale', 5);
    t.timestamp('last_login_at', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw(`alter table users add constraint users_role check (role in ('admin', 'manager', 'technician', 'client'))`);
  await knex.raw(`alter table users add constraint users_client check ((role = 'client') = (client_id is not null))`);
  await knex.raw(`alter table users add constraint users_locale check (locale is null or locale in ('fr', 'en'))`);
  // Login is by e-mail alone, so an address belongs to one account across all tenants.
  await knex.raw(`create unique index users_email_unique on users (lower(email))`);
  await knex.raw(`create unique index users_id_unique on users (id)`);
  await enableTenantRls(knex, 'users');

  await knex.schema.createTable('refresh_tokens', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.uuid('family_id').notNullable();
    t.string('token_hash', 64).notNullable();
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('used_at', { useTz: true, precision: 3 });
    t.timestamp('revoked_at', { useTz: true, precision: 3 });
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.index(['tenant_id', 'family_id']);
  });
  await knex.raw(`create unique index refresh_tokens_hash_unique on refresh_tokens (token_hash)`);
  await enableTenantRls(knex, 'refresh_tokens');

  await knex.schema.createTable('audit_log', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.timestamp('at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.uuid('actor_id');
    t.string('actor_name', 120);
    t.string('action', 100).notNullable();
    t.string('entity', 60).notNullable();
    t.string('entity_id', 100);
    t.jsonb('before');
    t.jsonb('after');
    t.string('request_id', 100);
    t.primary(['tenant_id', 'id']);
    t.index(['tenant_id', 'at', 'id']);
    t.index(['tenant_id', 'entity', 'entity_id']);
  });
  await enableTenantRls(knex, 'audit_log');
  await makeAppendOnly(knex, 'audit_log');

  await knex.schema.createTable('idempotency_keys', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.string('key', 200).notNullable();
    t.string('method', 10).notNullable();
    t.string('path', 500).notNullable();
    t.string('request_hash', 64).notNullable();
    t.integer('status_code');
    t.jsonb('response_body');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('completed_at', { useTz: true, precision: 3 });
    t.primary(['tenant_id', 'key']);
  });
  await enableTenantRls(knex, 'idempotency_keys');

  // Narrow lookups that must cross tenants before a tenant is known (login, refresh). They run as the
  // owner (BYPASSRLS) and return only the tenant and row id; everything else happens under RLS.
  await knex.raw(`
    create function auth_find_user_by_email(p_email text) returns table (tenant_id uuid, user_id uuid)
    language sql stable security definer set search_path = public as $$
      select u.tenant_id, u.id from users u where lower(u.email) = lower(p_email)
    $$`);
  await knex.raw(`
    create function auth_find_refresh_token(p_hash text) returns table (tenant_id uuid, token_id uuid)
    language sql stable security definer set search_path = public as $$
      select r.tenant_id, r.id from refresh_tokens r where r.token_hash = p_hash
    $$`);
  // The worker's sweep finds tenants whose onboarding workflow never started (Temporal was down at signup).
  await knex.raw(`
    create function tenants_pending_onboarding(p_older_than interval) returns table (tenant_id uuid)
    language sql stable security definer set search_path = public as $$
      select t.id from tenants t where t.onboarded_at is null and t.created_at < now() - p_older_than
    $$`);
  await knex.raw(`revoke all on function tenants_pending_onboarding(interval) from public`);
  await knex.raw(`grant execute on function tenants_pending_onboarding(interval) to ${APP_ROLE}`);
  await knex.raw(`revoke all on function auth_find_user_by_email(text) from public`);
  await knex.raw(`revoke all on function auth_find_refresh_token(text) from public`);
  await knex.raw(`grant execute on function auth_find_user_by_email(text) to ${APP_ROLE}`);
  await knex.raw(`grant execute on function auth_find_refresh_token(text) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists tenants_pending_onboarding(interval)');
  await knex.raw('drop function if exists auth_find_refresh_token(text)');
  await knex.raw('drop function if exists auth_find_user_by_email(text)');
  for (const table of ['idempotency_keys', 'audit_log', 'refresh_tokens', 'users', 'tenant_settings', 'tenants']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw('drop function if exists vigie_forbid_change()');
}
