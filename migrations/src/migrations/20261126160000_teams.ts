import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/** Teams of technicians: a ticket can be assigned to a team (and a technician); planning groups by team. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('teams', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 80).notNullable();
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw(`create unique index teams_name on teams (tenant_id, lower(name))`);
  await enableTenantRls(knex, 'teams');

  await knex.schema.createTable('team_members', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('team_id').notNullable();
    t.uuid('user_id').notNullable();
    t.primary(['tenant_id', 'team_id', 'user_id']);
    t.foreign(['tenant_id', 'team_id']).references(['tenant_id', 'id']).inTable('teams').onDelete('cascade');
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.index(['tenant_id', 'user_id']);
  });
  await enableTenantRls(knex, 'team_members');

  await knex.schema.alterTable('tickets', (t) => t.uuid('team_id'));
  await knex.raw(`alter table tickets add constraint tickets_team_id_fk foreign key (tenant_id, team_id) references teams (tenant_id, id) on delete set null (team_id)`);
  await knex.raw(`create index tickets_team on tickets (tenant_id, team_id) where team_id is not null`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => t.dropColumn('team_id'));
  await knex.schema.dropTableIfExists('team_members');
  await knex.schema.dropTableIfExists('teams');
}
