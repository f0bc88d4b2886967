import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/** RMM, first slice: enrollment tokens, machines (agents with their own NATS credentials), telemetry receipts. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('enrollment_tokens', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.uuid('site_id');
    // SHA-256 (hex) of the secret; the secret itself is shown once and never stored.
    t.string('token_hash', 64).notNullable();
    t.timestamp('expires_at', ts).notNullable();
    t.timestamp('revoked_at', ts);
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.foreign(['tenant_id', 'site_id']).references(['tenant_id', 'id']).inTable('client_sites').onDelete('cascade');
    t.index(['tenant_id', 'created_at']);
  });
  await knex.raw('create unique index enrollment_tokens_hash on enrollment_tokens (token_hash)');
  await enableTenantRls(knex, 'enrollment_tokens');
  // The enrolling agent has only the token: the tenant is found from its hash (like invitations).
  await knex.raw(`
    create function rmm_find_enrollment_token(p_hash text) returns table (tenant_id uuid, token_id uuid)
    language sql stable security definer set search_path = public as $$
      select e.tenant_id, e.id from enrollment_tokens e where e.token_hash = p_hash
    $$`);
  await knex.raw(`revoke all on function rmm_find_enrollment_token(text) from public`);
  await knex.raw(`grant execute on function rmm_find_enrollment_token(text) to ${APP_ROLE}`);

  await knex.schema.createTable('machines', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.uuid('site_id');
    t.uuid('enrollment_token_id');
    t.string('hostname', 253).notNullable();
    t.string('os_name', 100).notNullable();
    t.string('os_version', 100).notNullable().defaultTo('');
    t.string('cpu_model', 200).notNullable().defaultTo('');
    t.bigInteger('ram_total_bytes');
    t.string('agent_version', 40).notNullable();
    t.string('nkey_public', 56).notNullable();
    t.timestamp('jwt_expires_at', ts).notNullable();
    t.string('machine_token_hash', 64).notNullable();
    t.timestamp('disabled_at', ts);
    t.timestamp('last_seen_at', ts);
    t.bigInteger('last_seq').notNullable().defaultTo(0);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('restrict');
    t.foreign(['tenant_id', 'site_id']).references(['tenant_id', 'id']).inTable('client_sites').onDelete('set null');
    t.index(['tenant_id', 'client_id']);
    t.index(['tenant_id', 'hostname']);
  });
  await knex.raw('create unique index machines_nkey_public on machines (nkey_public)');
  await knex.raw('create unique index machines_token_hash on machines (machine_token_hash)');
  await knex.raw(`alter table machines add constraint machines_values check (last_seq >= 0 and (ram_total_bytes is null or ram_total_bytes >= 0) and nkey_public ~ '^U[A-Z2-7]{55}$')`);
  await enableTenantRls(knex, 'machines');

  // One row per telemetry message received: the unique (machine, seq) makes a redelivery a no-op.
  await knex.schema.createTable('telemetry_receipts', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('machine_id').notNullable();
    t.bigInteger('seq').notNullable();
    t.string('kind', 20).notNullable();
    t.timestamp('received_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'machine_id', 'seq']);
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
  });
  await knex.raw(`alter table telemetry_receipts add constraint telemetry_receipts_values check (seq > 0 and kind in ('hb', 'metrics', 'inventory', 'events', 'result'))`);
  await enableTenantRls(knex, 'telemetry_receipts');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('telemetry_receipts');
  await knex.schema.dropTableIfExists('machines');
  await knex.raw('drop function if exists rmm_find_enrollment_token(text)');
  await knex.schema.dropTableIfExists('enrollment_tokens');
}
