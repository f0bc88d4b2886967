import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('tenant_logos', (t) => {
    t.uuid('tenant_id').primary().references('tenants.id').onDelete('cascade');
    t.string('content_type', 40).notNullable();
    t.binary('bytes').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table tenant_logos add constraint tenant_logos_type check (content_type in ('image/png', 'image/jpeg', 'image/webp'))`);
  await knex.raw(`alter table tenant_logos add constraint tenant_logos_size check (octet_length(bytes) <= 524288)`);
  await enableTenantRls(knex, 'tenant_logos');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('tenant_logos');
}
