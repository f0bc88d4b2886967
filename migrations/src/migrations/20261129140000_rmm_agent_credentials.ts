import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Agents' credentials after enrollment: renewal with the machine token, and revocation. A revoked nkey is
 * kept here even after its machine is deleted, because the NATS account's revocation list is rebuilt from
 * this table every time it is published.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_revocations', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('machine_id').notNullable();
    t.string('nkey_public', 56).notNullable();
    t.string('reason', 20).notNullable();
    t.timestamp('revoked_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'machine_id', 'revoked_at']);
    t.index(['revoked_at']);
  });
  await knex.raw(`alter table agent_revocations add constraint agent_revocations_values check (reason in ('disabled', 'deleted') and nkey_public ~ '^U[A-Z2-7]{55}$')`);
  await enableTenantRls(knex, 'agent_revocations');

  // The account's revocation list spans every tenant (one NATS account): read through a narrow definer function.
  await knex.raw(`
    create function rmm_agent_revocations(p_since timestamptz) returns table (nkey_public text, revoked_at timestamptz)
    language sql stable security definer set search_path = public as $$
      select r.nkey_public, max(r.revoked_at) from agent_revocations r where r.revoked_at >= p_since group by r.nkey_public
    $$`);
  await knex.raw(`revoke all on function rmm_agent_revocations(timestamptz) from public`);
  await knex.raw(`grant execute on function rmm_agent_revocations(timestamptz) to ${APP_ROLE}`);

  // Renewal presents only the machine token: the tenant is found from its hash (like enrollment tokens).
  await knex.raw(`
    create function rmm_find_machine_by_token(p_hash text) returns table (tenant_id uuid, machine_id uuid)
    language sql stable security definer set search_path = public as $$
      select m.tenant_id, m.id from machines m where m.machine_token_hash = p_hash
    $$`);
  await knex.raw(`revoke all on function rmm_find_machine_by_token(text) from public`);
  await knex.raw(`grant execute on function rmm_find_machine_by_token(text) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists rmm_find_machine_by_token(text)');
  await knex.raw('drop function if exists rmm_agent_revocations(timestamptz)');
  await knex.schema.dropTableIfExists('agent_revocations');
}
