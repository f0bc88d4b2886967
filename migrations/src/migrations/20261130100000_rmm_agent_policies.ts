import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Agent policies: per tenant, scoped like alert rules (all, client, site, machine, tag), they set the agents'
 * metrics period and the services and processes they watch. The most specific enabled one applies (core).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('agent_policies', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 200).notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('scope_kind', 10).notNullable().defaultTo('all');
    // A client, site or machine; not a foreign key (three tables): a policy whose target is gone matches nothing.
    t.uuid('scope_id');
    t.string('scope_tag', 50);
    t.integer('metrics_interval_seconds').notNullable().defaultTo(60);
    t.specificType('watch_services', 'text[]').notNullable().defaultTo('{}');
    t.specificType('watch_processes', 'text[]').notNullable().defaultTo('{}');
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.index(['tenant_id', 'name', 'id']);
    t.index(['tenant_id', 'enabled', 'scope_kind']);
  });
  // The API's bounds, held by the table too (a script writing straight into it cannot send an agent 1 s).
  await knex.raw(`alter table agent_policies add constraint agent_policies_values check (
    metrics_interval_seconds between 60 and 300
    and cardinality(watch_services) <= 50 and cardinality(watch_processes) <= 50
    and ((scope_kind = 'all' and scope_id is null and scope_tag is null)
      or (scope_kind in ('client', 'site', 'machine') and scope_id is not null and scope_tag is null)
      or (scope_kind = 'tag' and scope_tag is not null and scope_id is null)))`);
  await enableTenantRls(knex, 'agent_policies');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('agent_policies');
}
