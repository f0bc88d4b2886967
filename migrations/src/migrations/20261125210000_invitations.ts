import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('invitations', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.string('token_hash', 64).notNullable();
    t.timestamp('expires_at', { useTz: true, precision: 3 }).notNullable();
    t.timestamp('accepted_at', { useTz: true, precision: 3 });
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
  });
  await knex.raw('create unique index invitations_token_hash on invitations (token_hash)');
  await enableTenantRls(knex, 'invitations');
  // Like refresh tokens: the invitation link is all the invitee has, so the tenant is found from its hash.
  await knex.raw(`
    create function auth_find_invitation(p_hash text) returns table (tenant_id uuid, invitation_id uuid)
    language sql stable security definer set search_path = public as $$
      select i.tenant_id, i.id from invitations i where i.token_hash = p_hash
    $$`);
  await knex.raw(`revoke all on function auth_find_invitation(text) from public`);
  await knex.raw(`grant execute on function auth_find_invitation(text) to ${APP_ROLE}`);
  await knex.schema.alterTable('contacts', (t) => t.uuid('portal_user_id'));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('contacts', (t) => t.dropColumn('portal_user_id'));
  await knex.raw('drop function if exists auth_find_invitation(text)');
  await knex.schema.dropTableIfExists('invitations');
}
