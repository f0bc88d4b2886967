import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/** Tickets with SLA, their append-only timeline, time entries with approval, and the pre-billing queue. */
export async function up(knex: Knex): Promise<void> {
  // Rates for valuing time, and the tenant's support calendar and inbound address.
  await knex.schema.alterTable('users', (t) => t.bigInteger('cost_rate_cents'));
  await knex.schema.alterTable('clients', (t) => t.bigInteger('hourly_rate_cents'));
  await knex.schema.alterTable('tenant_settings', (t) => {
    t.jsonb('business_calendar');
    t.bigInteger('default_hourly_rate_cents');
    t.string('support_email', 254);
  });
  await knex.raw(`create unique index tenant_settings_support_email on tenant_settings (lower(support_email)) where support_email is not null`);
  // Inbound mail arrives before we know the tenant: this narrow lookup is the only cross-tenant read.
  await knex.raw(`
    create function mail_find_tenant_by_address(address text) returns uuid
      language sql stable security definer set search_path = public as $$
        select tenant_id from tenant_settings where lower(support_email) = lower(address)
      $$`);
  await knex.raw(`revoke all on function mail_find_tenant_by_address(text) from public`);
  await knex.raw(`grant execute on function mail_find_tenant_by_address(text) to ${APP_ROLE}`);

  await knex.schema.createTable('sla_policies', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 120).notNullable();
    t.boolean('is_default').notNullable().defaultTo(false);
    t.jsonb('targets').notNullable();
    t.integer('warning_percent').notNullable().defaultTo(75);
    t.integer('auto_close_days').notNullable().defaultTo(7);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
  });
  await knex.raw(`alter table sla_policies add constraint sla_policies_values check (warning_percent between 1 and 99 and auto_close_days between 1 and 90)`);
  await knex.raw(`create unique index sla_policies_one_default on sla_policies (tenant_id) where is_default`);
  await enableTenantRls(knex, 'sla_policies');

  await knex.schema.createTable('tickets', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.string('number', 30).notNullable();
    t.uuid('client_id').notNullable();
    t.uuid('contact_id');
    t.uuid('machine_id');
    t.uuid('contract_id');
    t.uuid('sla_policy_id');
    t.string('status', 12).notNullable().defaultTo('open');
    t.string('priority', 10).notNullable().defaultTo('normal');
    t.string('category', 80).notNullable().defaultTo('');
    t.string('subject', 300).notNullable();
    t.text('description').notNullable().defaultTo('');
    t.uuid('assignee_id');
    t.string('queue', 20).notNullable().defaultTo('support');
    t.string('source', 10).notNullable().defaultTo('manual');
    t.string('alert_key', 200);
    t.text('resolution_note');
    // SLA, as last recorded by the ticket's workflow (it owns the clocks; these are for display and filters).
    t.string('sla_state', 10).notNullable().defaultTo('none');
    t.timestamp('first_response_due_at', ts);
    t.string('first_response_state', 10).notNullable().defaultTo('none');
    t.timestamp('resolution_due_at', ts);
    t.string('resolution_state', 10).notNullable().defaultTo('none');
    t.timestamp('first_responded_at', ts);
    t.integer('total_minutes').notNullable().defaultTo(0);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('resolved_at', ts);
    t.timestamp('closed_at', ts);
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'number']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'status', 'created_at']);
    t.index(['tenant_id', 'client_id']);
    t.index(['tenant_id', 'assignee_id']);
  });
  await knex.raw(`alter table tickets add constraint tickets_status check (status in ('open', 'in_progress', 'waiting', 'resolved', 'closed'))`);
  await knex.raw(`alter table tickets add constraint tickets_priority check (priority in ('low', 'normal', 'high', 'critical'))`);
  await knex.raw(`alter table tickets add constraint tickets_queue check (queue in ('support', 'triage'))`);
  await knex.raw(`alter table tickets add constraint tickets_source check (source in ('manual', 'email', 'portal', 'alert'))`);
  await knex.raw(`alter table tickets add constraint tickets_sla check (
    sla_state in ('none', 'ok', 'warning', 'breached')
    and first_response_state in ('none', 'running', 'paused', 'warning', 'breached', 'met', 'missed')
    and resolution_state in ('none', 'running', 'paused', 'warning', 'breached', 'met', 'missed'))`);
  await knex.raw(`alter table tickets add constraint tickets_closed_note check (status not in ('resolved', 'closed') or resolution_note is not null)`);
  await knex.raw(`alter table tickets add constraint tickets_minutes check (total_minutes >= 0)`);
  await knex.raw(`create unique index tickets_alert on tickets (tenant_id, alert_key) where alert_key is not null`);
  for (const [column, table] of [
    ['contact_id', 'contacts'],
    ['contract_id', 'contracts'],
    ['sla_policy_id', 'sla_policies'],
    ['assignee_id', 'users'],
  ] as const) {
    await knex.raw(`alter table tickets add constraint ?? foreign key (tenant_id, ??) references ?? (tenant_id, id) on delete set null (??)`, [
      `tickets_${column}_fk`,
      column,
      table,
      column,
    ]);
  }
  await enableTenantRls(knex, 'tickets');

  await knex.schema.createTable('ticket_events', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('ticket_id').notNullable();
    t.string('kind', 12).notNullable();
    t.string('visibility', 10).notNullable().defaultTo('public');
    t.uuid('actor_user_id');
    t.string('actor_name', 254);
    t.string('via', 10).notNullable().defaultTo('web');
    t.string('field', 30);
    t.text('from_value');
    t.text('to_value');
    t.text('body');
    t.uuid('document_id');
    t.string('email_message_id', 998);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'ticket_id']).references(['tenant_id', 'id']).inTable('tickets').onDelete('cascade');
    t.index(['tenant_id', 'ticket_id', 'created_at', 'id']);
  });
  await knex.raw(`alter table ticket_events add constraint ticket_events_kind check (kind in ('created', 'reply', 'note', 'change', 'attachment', 'sla', 'time'))`);
  await knex.raw(`alter table ticket_events add constraint ticket_events_visibility check (visibility in ('public', 'internal') and (kind <> 'note' or visibility = 'internal'))`);
  await knex.raw(`alter table ticket_events add constraint ticket_events_via check (via in ('web', 'email', 'portal', 'system'))`);
  // An e-mail (by Message-ID) lands once, however often the sender's server retries.
  await knex.raw(`create unique index ticket_events_message on ticket_events (tenant_id, email_message_id) where email_message_id is not null`);
  await enableTenantRls(knex, 'ticket_events');
  // The history of a ticket is kept, not edited; deleting a ticket (cascade) is the only removal.
  await knex.raw(`revoke update on ticket_events from ${APP_ROLE}`);

  // Attachments are documents of the ticket's client, tied to the ticket.
  await knex.schema.alterTable('documents', (t) => t.uuid('ticket_id'));
  await knex.raw(`alter table documents add constraint documents_ticket_fk foreign key (tenant_id, ticket_id) references tickets (tenant_id, id) on delete set null (ticket_id)`);
  await knex.raw(`alter table documents drop constraint documents_category`);
  await knex.raw(`alter table documents add constraint documents_category check (category in ('contract', 'quote', 'invoice', 'annex', 'attachment', 'other'))`);

  await knex.schema.createTable('time_entries', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('ticket_id').notNullable();
    t.uuid('technician_id').notNullable();
    t.date('work_date').notNullable();
    t.timestamp('started_at', ts);
    t.integer('minutes').notNullable();
    t.text('description').notNullable();
    t.boolean('billable').notNullable().defaultTo(true);
    t.string('status', 10).notNullable().defaultTo('pending');
    t.uuid('decided_by');
    t.timestamp('decided_at', ts);
    t.text('decision_comment');
    // Frozen at approval: what the contract covered and what the time is worth.
    t.uuid('contract_id');
    t.integer('covered_minutes').notNullable().defaultTo(0);
    t.integer('out_of_contract_minutes').notNullable().defaultTo(0);
    t.bigInteger('cost_cents').notNullable().defaultTo(0);
    t.bigInteger('price_cents').notNullable().defaultTo(0);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'ticket_id']).references(['tenant_id', 'id']).inTable('tickets').onDelete('cascade');
    t.foreign(['tenant_id', 'technician_id']).references(['tenant_id', 'id']).inTable('users');
    t.index(['tenant_id', 'ticket_id']);
    t.index(['tenant_id', 'status', 'work_date']);
  });
  await knex.raw(`alter table time_entries add constraint time_entries_values check (
    minutes between 1 and 1440 and status in ('pending', 'approved', 'rejected')
    and covered_minutes >= 0 and out_of_contract_minutes >= 0 and cost_cents >= 0 and price_cents >= 0)`);
  await knex.raw(`alter table time_entries add constraint time_entries_contract_fk foreign key (tenant_id, contract_id) references contracts (tenant_id, id)`);
  await enableTenantRls(knex, 'time_entries');

  // One running timer per technician.
  await knex.schema.createTable('running_timers', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('technician_id').notNullable();
    t.uuid('ticket_id').notNullable();
    t.timestamp('started_at', ts).notNullable();
    t.primary(['tenant_id', 'technician_id']);
    t.foreign(['tenant_id', 'technician_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.foreign(['tenant_id', 'ticket_id']).references(['tenant_id', 'id']).inTable('tickets').onDelete('cascade');
  });
  await enableTenantRls(knex, 'running_timers');

  await knex.schema.createTable('pre_billing_items', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.uuid('ticket_id').notNullable();
    t.uuid('time_entry_id').notNullable();
    t.string('description', 500).notNullable();
    t.integer('minutes').notNullable();
    t.bigInteger('unit_rate_cents').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.string('status', 10).notNullable().defaultTo('pending');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'time_entry_id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients');
    t.foreign(['tenant_id', 'ticket_id']).references(['tenant_id', 'id']).inTable('tickets');
    t.foreign(['tenant_id', 'time_entry_id']).references(['tenant_id', 'id']).inTable('time_entries');
    t.index(['tenant_id', 'status', 'client_id']);
  });
  await knex.raw(`alter table pre_billing_items add constraint pre_billing_values check (
    minutes > 0 and unit_rate_cents >= 0 and amount_cents >= 0 and status in ('pending', 'deferred', 'invoiced', 'cancelled'))`);
  await enableTenantRls(knex, 'pre_billing_items');

  await knex.schema.createTable('ticket_views', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.string('name', 80).notNullable();
    t.jsonb('filters').notNullable();
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'user_id', 'name']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
  });
  await enableTenantRls(knex, 'ticket_views');
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ['ticket_views', 'pre_billing_items', 'running_timers', 'time_entries']) await knex.schema.dropTableIfExists(table);
  await knex.raw(`alter table documents drop constraint documents_category`);
  await knex.raw(`delete from documents where category = 'attachment'`);
  await knex.raw(`alter table documents add constraint documents_category check (category in ('contract', 'quote', 'invoice', 'annex', 'other'))`);
  await knex.schema.alterTable('documents', (t) => t.dropColumn('ticket_id'));
  for (const table of ['ticket_events', 'tickets', 'sla_policies']) await knex.schema.dropTableIfExists(table);
  await knex.raw('drop function if exists mail_find_tenant_by_address(text)');
  await knex.schema.alterTable('tenant_settings', (t) => {
    t.dropColumn('business_calendar');
    t.dropColumn('default_hourly_rate_cents');
    t.dropColumn('support_email');
  });
  await knex.schema.alterTable('clients', (t) => t.dropColumn('hourly_rate_cents'));
  await knex.schema.alterTable('users', (t) => t.dropColumn('cost_rate_cents'));
}
