import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/** Planning: interventions on tickets, technicians' working weeks and absences, calendar feeds. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('interventions', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('ticket_id').notNullable();
    t.string('mode', 10).notNullable();
    t.timestamp('start_at', ts).notNullable();
    t.integer('duration_minutes').notNullable();
    t.string('status', 10).notNullable().defaultTo('planned');
    t.uuid('site_id');
    t.text('address');
    t.text('notes').notNullable().defaultTo('');
    t.integer('reminder_lead_minutes').notNullable().defaultTo(60);
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'ticket_id']).references(['tenant_id', 'id']).inTable('tickets').onDelete('cascade');
    t.index(['tenant_id', 'start_at']);
    t.index(['tenant_id', 'ticket_id']);
  });
  await knex.raw(`alter table interventions add constraint interventions_values check (
    mode in ('remote', 'onsite') and status in ('planned', 'done', 'cancelled')
    and duration_minutes between 5 and 1440 and reminder_lead_minutes between 0 and 10080)`);
  await knex.raw(`alter table interventions add constraint interventions_site_fk foreign key (tenant_id, site_id) references client_sites (tenant_id, id) on delete set null (site_id)`);
  await enableTenantRls(knex, 'interventions');

  await knex.schema.createTable('intervention_technicians', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('intervention_id').notNullable();
    t.uuid('user_id').notNullable();
    t.primary(['tenant_id', 'intervention_id', 'user_id']);
    t.foreign(['tenant_id', 'intervention_id']).references(['tenant_id', 'id']).inTable('interventions').onDelete('cascade');
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.index(['tenant_id', 'user_id']);
  });
  await enableTenantRls(knex, 'intervention_technicians');

  // The time entries an intervention's completion created (one per technician).
  await knex.schema.alterTable('time_entries', (t) => t.uuid('intervention_id'));
  await knex.raw(`alter table time_entries add constraint time_entries_intervention_fk foreign key (tenant_id, intervention_id) references interventions (tenant_id, id) on delete set null (intervention_id)`);
  await knex.raw(`create unique index time_entries_intervention on time_entries (tenant_id, intervention_id, technician_id) where intervention_id is not null`);

  await knex.schema.createTable('technician_schedules', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('user_id').notNullable();
    t.jsonb('week').notNullable();
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'user_id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
  });
  await enableTenantRls(knex, 'technician_schedules');

  await knex.schema.createTable('absences', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.string('kind', 10).notNullable();
    t.timestamp('start_at', ts).notNullable();
    t.timestamp('end_at', ts).notNullable();
    t.string('status', 10).notNullable().defaultTo('requested');
    t.string('reason', 500).notNullable().defaultTo('');
    t.uuid('decided_by');
    t.timestamp('decided_at', ts);
    t.string('decision_comment', 500);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
    t.index(['tenant_id', 'user_id', 'start_at']);
  });
  await knex.raw(`alter table absences add constraint absences_values check (
    kind in ('holiday', 'sick', 'training', 'other') and status in ('requested', 'approved', 'rejected') and end_at > start_at)`);
  await enableTenantRls(knex, 'absences');

  // Secret calendar URLs: the token is stored hashed; reading a feed happens before any tenant is known.
  await knex.schema.createTable('calendar_feeds', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('user_id').notNullable();
    t.string('token_hash', 64).notNullable();
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('revoked_at', ts);
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'user_id']).references(['tenant_id', 'id']).inTable('users').onDelete('cascade');
  });
  await knex.raw(`create unique index calendar_feeds_token on calendar_feeds (token_hash)`);
  await knex.raw(`create unique index calendar_feeds_live on calendar_feeds (tenant_id, user_id) where revoked_at is null`);
  await enableTenantRls(knex, 'calendar_feeds');
  await knex.raw(`
    create function calendar_feed_lookup(hash text) returns table (tenant_id uuid, user_id uuid)
      language sql stable security definer set search_path = public as $$
        select tenant_id, user_id from calendar_feeds where token_hash = hash and revoked_at is null
      $$`);
  await knex.raw(`revoke all on function calendar_feed_lookup(text) from public`);
  await knex.raw(`grant execute on function calendar_feed_lookup(text) to ${APP_ROLE}`);

  // Capacity: a ticket's estimate (else the average by priority).
  await knex.schema.alterTable('tickets', (t) => t.integer('estimate_minutes'));
  await knex.raw(`alter table tickets add constraint tickets_estimate check (estimate_minutes is null or estimate_minutes between 1 and 100000)`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('tickets', (t) => t.dropColumn('estimate_minutes'));
  await knex.raw('drop function if exists calendar_feed_lookup(text)');
  for (const table of ['calendar_feeds', 'absences', 'technician_schedules']) await knex.schema.dropTableIfExists(table);
  await knex.schema.alterTable('time_entries', (t) => t.dropColumn('intervention_id'));
  await knex.schema.dropTableIfExists('intervention_technicians');
  await knex.schema.dropTableIfExists('interventions');
}
