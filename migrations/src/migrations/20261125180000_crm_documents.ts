import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('documents', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('category', 20).notNullable();
    t.string('filename', 255).notNullable();
    t.string('content_type', 120).notNullable();
    t.bigInteger('size_bytes').notNullable();
    t.string('sha256', 64).notNullable();
    t.string('storage_key', 100).notNullable();
    t.uuid('uploaded_by');
    t.timestamp('created_at', { useTz: true, precision: 3 }).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'client_id', 'created_at', 'id']);
  });
  await knex.raw(`alter table documents add constraint documents_category check (category in ('contract', 'quote', 'invoice', 'annex', 'other'))`);
  await knex.raw(`alter table documents add constraint documents_size check (size_bytes > 0)`);
  await enableTenantRls(knex, 'documents');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('documents');
}
