import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('pipeline_stages', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 60).notNullable();
    t.integer('position').notNullable();
    t.integer('probability').notNullable();
    t.string('kind', 10).notNullable().defaultTo('open');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw(`alter table pipeline_stages add constraint pipeline_stages_kind check (kind in ('open', 'won', 'lost'))`);
  await knex.raw(`alter table pipeline_stages add constraint pipeline_stages_probability check (probability between 0 and 100)`);
  // One won and one lost stage per tenant: the terminal states of every opportunity.
  await knex.raw(`create unique index pipeline_stages_one_terminal on pipeline_stages (tenant_id, kind) where kind <> 'open'`);
  await enableTenantRls(knex, 'pipeline_stages');

  await knex.schema.createTable('opportunities', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('title', 200).notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.integer('probability');
    t.uuid('stage_id').notNullable();
    t.date('expected_close_date');
    t.uuid('owner_id');
    t.string('next_action', 300).notNullable().defaultTo('');
    t.timestamp('next_action_at', ts);
    t.string('lost_reason', 500);
    t.timestamp('closed_at', ts);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.foreign(['tenant_id', 'stage_id']).references(['tenant_id', 'id']).inTable('pipeline_stages');
    t.index(['tenant_id', 'stage_id']);
    t.index(['tenant_id', 'client_id']);
    t.index(['tenant_id', 'expected_close_date']);
  });
  await knex.raw(`alter table opportunities add constraint opportunities_amount check (amount_cents >= 0)`);
  await knex.raw(`alter table opportunities add constraint opportunities_probability check (probability is null or probability between 0 and 100)`);
  await knex.raw(
    `alter table opportunities add constraint opportunities_owner_fk foreign key (tenant_id, owner_id) references users (tenant_id, id) on delete set null (owner_id)`,
  );
  await enableTenantRls(knex, 'opportunities');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('opportunities');
  await knex.schema.dropTableIfExists('pipeline_stages');
}
