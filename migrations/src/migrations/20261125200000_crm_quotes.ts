import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

export async function up(knex: Knex): Promise<void> {
  // Per-tenant numbering (quotes now, invoices later): allocated with `update ... returning` under a row lock.
  await knex.schema.createTable('number_sequences', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.string('kind', 20).notNullable();
    t.integer('year').notNullable();
    t.integer('last_value').notNullable().defaultTo(0);
    t.primary(['tenant_id', 'kind', 'year']);
  });
  await enableTenantRls(knex, 'number_sequences');

  await knex.schema.createTable('quotes', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.string('number', 30).notNullable();
    t.uuid('opportunity_id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('status', 10).notNullable().defaultTo('draft');
    t.date('issue_date').notNullable();
    t.date('valid_until').notNullable();
    t.string('currency', 3).notNullable();
    t.string('vat_rounding', 10).notNullable();
    t.text('notes').notNullable().defaultTo('');
    t.bigInteger('total_excl_tax_cents').notNullable();
    t.bigInteger('total_tax_cents').notNullable();
    t.bigInteger('total_cents').notNullable();
    t.uuid('document_id');
    t.timestamp('accepted_at', ts);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'number']);
    t.foreign(['tenant_id', 'opportunity_id']).references(['tenant_id', 'id']).inTable('opportunities').onDelete('cascade');
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'opportunity_id']);
  });
  await knex.raw(`alter table quotes add constraint quotes_status check (status in ('draft', 'sent', 'accepted', 'declined'))`);
  await knex.raw(`alter table quotes add constraint quotes_rounding check (vat_rounding in ('per_rate', 'per_line'))`);
  await knex.raw(`alter table quotes add constraint quotes_totals check (total_cents = total_excl_tax_cents + total_tax_cents and total_excl_tax_cents >= 0 and total_tax_cents >= 0)`);
  await knex.raw(
    `alter table quotes add constraint quotes_document_fk foreign key (tenant_id, document_id) references documents (tenant_id, id) on delete set null (document_id)`,
  );
  await enableTenantRls(knex, 'quotes');

  await knex.schema.createTable('quote_lines', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('quote_id').notNullable();
    t.integer('position').notNullable();
    t.string('description', 500).notNullable();
    t.integer('quantity_milli').notNullable();
    t.bigInteger('unit_price_cents').notNullable();
    t.integer('vat_rate_bp').notNullable();
    t.bigInteger('total_excl_tax_cents').notNullable();
    t.primary(['tenant_id', 'quote_id', 'position']);
    t.foreign(['tenant_id', 'quote_id']).references(['tenant_id', 'id']).inTable('quotes').onDelete('cascade');
  });
  await knex.raw(`alter table quote_lines add constraint quote_lines_values check (quantity_milli > 0 and unit_price_cents >= 0 and vat_rate_bp between 0 and 10000)`);
  await enableTenantRls(knex, 'quote_lines');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['quote_lines', 'quotes', 'number_sequences']) await knex.schema.dropTableIfExists(table);
}
