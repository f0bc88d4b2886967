import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notifications', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.string('kind', 60).notNullable();
    t.string('title', 200).notNullable();
    t.text('body').notNullable().defaultTo('');
    t.string('link', 300);
    // Business key of what caused it (e.g. reminder:<id>:<occurrence>): a retried activity notifies once.
    t.string('source_key', 200).notNullable();
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('read_at', ts);
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'source_key']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.index(['tenant_id', 'user_id', 'created_at', 'id']);
  });
  await enableTenantRls(knex, 'notifications');

  await knex.schema.createTable('email_outbox', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('idempotency_key', 200).notNullable();
    t.string('to_address', 254).notNullable();
    t.string('subject', 300).notNullable();
    t.text('text').notNullable();
    t.string('status', 10).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error');
    t.string('message_id', 300);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', ts);
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'idempotency_key']);
  });
  await knex.raw(`alter table email_outbox add constraint email_outbox_status check (status in ('pending', 'sent', 'failed'))`);
  await enableTenantRls(knex, 'email_outbox');

  await knex.schema.createTable('reminders', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('owner_id').notNullable();
    t.uuid('client_id');
    t.uuid('opportunity_id');
    t.string('title', 200).notNullable();
    t.text('note').notNullable().defaultTo('');
    t.timestamp('due_at', ts).notNullable();
    t.string('status', 10).notNullable().defaultTo('pending');
    t.integer('fired_count').notNullable().defaultTo(0);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'owner_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.foreign(['tenant_id', 'opportunity_id']).references(['tenant_id', 'id']).inTable('opportunities').onDelete('cascade');
    t.index(['tenant_id', 'owner_id', 'due_at', 'id']);
  });
  await knex.raw(`alter table reminders add constraint reminders_status check (status in ('pending', 'fired', 'done', 'cancelled', 'expired'))`);
  await enableTenantRls(knex, 'reminders');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['reminders', 'email_outbox', 'notifications']) await knex.schema.dropTableIfExists(table);
}
