import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('clients', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 200).notNullable();
    t.string('siren', 9);
    t.string('siret', 14);
    t.string('vat_number', 20);
    t.string('status', 20).notNullable().defaultTo('prospect');
    t.integer('payment_terms_days').notNullable().defaultTo(30);
    t.boolean('payment_terms_end_of_month').notNullable().defaultTo(false);
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.jsonb('billing_address').notNullable().defaultTo('{}');
    t.specificType('tags', 'text[]').notNullable().defaultTo('{}');
    t.text('notes').notNullable().defaultTo('');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.index(['tenant_id', 'name', 'id']);
    t.index(['tenant_id', 'created_at', 'id']);
  });
  await knex.raw(`alter table clients add constraint clients_status check (status in ('prospect', 'active', 'archived'))`);
  await knex.raw(`alter table clients add constraint clients_siren check (siren ~ '^[0-9]{9}$')`);
  await knex.raw(`alter table clients add constraint clients_siret check (siret ~ '^[0-9]{14}$' and (siren is null or left(siret, 9) = siren))`);
  await knex.raw(`alter table clients add constraint clients_terms check (payment_terms_days between 0 and 120)`);
  // Duplicate detection: one client per SIREN and per SIRET within a tenant.
  await knex.raw(`create unique index clients_siren_unique on clients (tenant_id, siren) where siren is not null`);
  await knex.raw(`create unique index clients_siret_unique on clients (tenant_id, siret) where siret is not null`);
  await knex.raw(`create index clients_tags on clients using gin (tags)`);
  await enableTenantRls(knex, 'clients');

  await knex.schema.createTable('client_sites', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('name', 120).notNullable();
    t.jsonb('address').notNullable();
    t.text('notes').notNullable().defaultTo('');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'client_id']);
  });
  await enableTenantRls(knex, 'client_sites');

  await knex.schema.createTable('contacts', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('name', 120).notNullable();
    t.string('email', 254);
    t.string('phone', 30);
    t.string('role', 80).notNullable().defaultTo('');
    t.string('availability', 120).notNullable().defaultTo('');
    t.boolean('is_primary').notNullable().defaultTo(false);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'client_id', 'name', 'id']);
  });
  await knex.raw(`create unique index contacts_one_primary on contacts (tenant_id, client_id) where is_primary`);
  await enableTenantRls(knex, 'contacts');

  await knex.schema.createTable('interactions', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('kind', 20).notNullable();
    t.timestamp('occurred_at', ts).notNullable();
    t.string('subject', 200).notNullable();
    t.text('body').notNullable().defaultTo('');
    t.string('outcome', 500).notNullable().defaultTo('');
    t.uuid('contact_id');
    t.uuid('author_id');
    t.string('author_name', 120);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'client_id', 'occurred_at', 'id']);
  });
  // Deleting a contact keeps the interaction and forgets only who it was with (tenant_id stays).
  await knex.raw(
    `alter table interactions add constraint interactions_contact_fk foreign key (tenant_id, contact_id) references contacts (tenant_id, id) on delete set null (contact_id)`,
  );
  await knex.raw(`alter table interactions add constraint interactions_kind check (kind in ('call', 'email', 'note', 'meeting', 'commercial'))`);
  await enableTenantRls(knex, 'interactions');

  // Client users belong to a real client of their tenant.
  await knex.raw(`alter table users add constraint users_client_fk foreign key (tenant_id, client_id) references clients (tenant_id, id)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('alter table users drop constraint if exists users_client_fk');
  for (const table of ['interactions', 'contacts', 'client_sites', 'clients']) await knex.schema.dropTableIfExists(table);
}
