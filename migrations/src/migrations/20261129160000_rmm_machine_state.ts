import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * RMM machine state: the current watched services/processes and security products (each inventory snapshot
 * replaces them), and the critical system events (appended; unique (machine, seq, index) makes a redelivery a
 * no-op).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('machines', (t) => {
    t.timestamp('last_inventory_at', ts);
  });

  await knex.schema.createTable('machine_services', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('machine_id').notNullable();
    t.string('kind', 10).notNullable();
    t.string('name', 256).notNullable();
    t.boolean('exists').notNullable();
    t.boolean('active').notNullable();
    t.string('state', 40).notNullable();
    // When the service entered its current active/inactive state (as first reported).
    t.timestamp('since', ts).notNullable();
    t.timestamp('updated_at', ts).notNullable();
    t.primary(['tenant_id', 'machine_id', 'kind', 'name']);
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
  });
  await knex.raw(`alter table machine_services add constraint machine_services_kind check (kind in ('service', 'process'))`);
  await enableTenantRls(knex, 'machine_services');

  await knex.schema.createTable('machine_security', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('machine_id').notNullable();
    t.string('product_id', 64).notNullable();
    t.string('name', 200).notNullable();
    t.boolean('installed').notNullable();
    t.boolean('running').notNullable();
    t.boolean('realtime_protection');
    t.timestamp('updated_at', ts).notNullable();
    t.primary(['tenant_id', 'machine_id', 'product_id']);
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
  });
  await enableTenantRls(knex, 'machine_security');

  await knex.schema.createTable('machine_events', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable().defaultTo(knex.raw('gen_random_uuid()'));
    t.uuid('machine_id').notNullable();
    t.bigInteger('seq').notNullable();
    // Position of the event in its message.
    t.integer('idx').notNullable();
    t.timestamp('at', ts).notNullable();
    t.smallint('priority').notNullable();
    t.string('source', 256).notNullable();
    t.string('unit', 256);
    t.text('message').notNullable();
    t.timestamp('received_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'machine_id', 'seq', 'idx']);
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
    t.index(['tenant_id', 'machine_id', 'at', 'id']);
  });
  await knex.raw(`alter table machine_events add constraint machine_events_values check (priority between 0 and 7 and idx >= 0 and char_length(message) <= 8200)`);
  await enableTenantRls(knex, 'machine_events');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('machine_events');
  await knex.schema.dropTableIfExists('machine_security');
  await knex.schema.dropTableIfExists('machine_services');
  await knex.schema.alterTable('machines', (t) => {
    t.dropColumn('last_inventory_at');
  });
}
