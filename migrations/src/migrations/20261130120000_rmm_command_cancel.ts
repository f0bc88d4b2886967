import type { Knex } from 'knex';
import { APP_ROLE } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

const VALUES_V1 = `
  name in ('run-script', 'restart-service', 'reboot', 'ping')
  and status in ('queued', 'sent', 'running', 'succeeded', 'failed', 'expired')
  and expires_at > created_at and expires_at <= created_at + interval '7 days'
  and (finished_at is null) = (status in ('queued', 'sent', 'running'))
  and (duration_ms is null or duration_ms >= 0)
  and coalesce(length(stdout), 0) <= 65536 and coalesce(length(stderr), 0) <= 65536
  and coalesce(length(error), 0) <= 2000`;

const VALUES_V2 = `
  name in ('run-script', 'restart-service', 'reboot', 'ping')
  and status in ('queued', 'sent', 'running', 'succeeded', 'failed', 'expired', 'cancelled')
  and expires_at > created_at and expires_at <= created_at + interval '7 days'
  and (finished_at is null) = (status in ('queued', 'sent', 'running'))
  and (cancelled_at is null) = (status <> 'cancelled')
  and (cancel_published_at is null or cancelled_at is not null)
  and (duration_ms is null or duration_ms >= 0)
  and coalesce(length(stdout), 0) <= 65536 and coalesce(length(stderr), 0) <= 65536
  and coalesce(length(error), 0) <= 2000`;

/**
 * Cancelling a command, and the server's own expiry of commands no agent took in time.
 * - `cancelled` is a final status with who and when; `cancel_published_at` says the agent's notice reached
 *   JetStream (until then the API's sweep publishes it again), `cancel_idempotency_key` makes a repeated
 *   cancel with the same key a replay.
 * - `stream_seq` is the command's sequence in the COMMANDS stream, so a cancel can take it out of the stream
 *   before an offline agent ever gets it.
 * - Three definer functions for the API's cross-tenant housekeeping (the app role has no BYPASSRLS): expire
 *   the overdue commands, list the cancel notices not yet published, and tell which machines still exist
 *   (to remove the command consumers of deleted ones).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('machine_commands', (t) => {
    t.timestamp('cancelled_at', ts);
    t.uuid('cancelled_by');
    t.string('cancelled_by_name', 200);
    t.string('cancel_idempotency_key', 200);
    t.timestamp('cancel_published_at', ts);
    t.bigInteger('stream_seq');
  });
  await knex.raw('alter table machine_commands drop constraint machine_commands_values');
  await knex.raw(`alter table machine_commands add constraint machine_commands_values check (${VALUES_V2})`);
  await knex.raw(
    'create unique index machine_commands_cancel_idempotency on machine_commands (tenant_id, cancel_idempotency_key) where cancel_idempotency_key is not null',
  );
  // The sweeps read across tenants every 30 s: only the few rows they look for are indexed.
  await knex.raw(`create index machine_commands_awaiting on machine_commands (expires_at) where status in ('queued', 'sent')`);
  await knex.raw(`create index machine_commands_cancel_unpublished on machine_commands (cancelled_at) where status = 'cancelled' and cancel_published_at is null`);

  // The grace lets an agent's `running` report, sent just before the expiry, arrive before the row is closed.
  await knex.raw(`
    create function rmm_expire_commands(p_grace interval, p_limit int)
    returns table (tenant_id uuid, machine_id uuid, id uuid)
    language sql volatile security definer set search_path = public as $$
      with due as (
        select c.tenant_id, c.id from machine_commands c
        where c.status in ('queued', 'sent') and c.expires_at < now() - p_grace
        order by c.expires_at
        limit p_limit
        for update skip locked
      )
      update machine_commands c
      set status = 'expired', finished_at = now(),
          error = 'expired at ' || to_char(c.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || ': no agent took it in time; it will not run'
      from due
      where c.tenant_id = due.tenant_id and c.id = due.id and c.status in ('queued', 'sent')
      returning c.tenant_id, c.machine_id, c.id
    $$`);
  await knex.raw(`revoke all on function rmm_expire_commands(interval, int) from public`);
  await knex.raw(`grant execute on function rmm_expire_commands(interval, int) to ${APP_ROLE}`);

  // Past the COMMANDS stream's 7 days a notice is pointless: the command itself is gone from the stream.
  await knex.raw(`
    create function rmm_unpublished_command_cancels(p_limit int)
    returns table (tenant_id uuid, machine_id uuid, id uuid, stream_seq bigint)
    language sql stable security definer set search_path = public as $$
      select c.tenant_id, c.machine_id, c.id, c.stream_seq from machine_commands c
      where c.status = 'cancelled' and c.cancel_published_at is null and c.cancelled_at > now() - interval '7 days'
      order by c.cancelled_at
      limit p_limit
    $$`);
  await knex.raw(`revoke all on function rmm_unpublished_command_cancels(int) from public`);
  await knex.raw(`grant execute on function rmm_unpublished_command_cancels(int) to ${APP_ROLE}`);

  await knex.raw(`
    create function rmm_existing_machines(p_ids uuid[]) returns table (id uuid)
    language sql stable security definer set search_path = public as $$
      select m.id from machines m where m.id = any (p_ids)
    $$`);
  await knex.raw(`revoke all on function rmm_existing_machines(uuid[]) from public`);
  await knex.raw(`grant execute on function rmm_existing_machines(uuid[]) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists rmm_existing_machines(uuid[])');
  await knex.raw('drop function if exists rmm_unpublished_command_cancels(int)');
  await knex.raw('drop function if exists rmm_expire_commands(interval, int)');
  await knex.raw('drop index if exists machine_commands_cancel_unpublished');
  await knex.raw('drop index if exists machine_commands_awaiting');
  await knex.raw('drop index if exists machine_commands_cancel_idempotency');
  await knex.raw('alter table machine_commands drop constraint machine_commands_values');
  // Cancelled commands have no status in the old schema: they read as failed.
  await knex.raw(`update machine_commands set status = 'failed', error = coalesce(error, 'cancelled') where status = 'cancelled'`);
  await knex.raw(`alter table machine_commands add constraint machine_commands_values check (${VALUES_V1})`);
  await knex.schema.alterTable('machine_commands', (t) => {
    t.dropColumns('cancelled_at', 'cancelled_by', 'cancelled_by_name', 'cancel_idempotency_key', 'cancel_published_at', 'stream_seq');
  });
}
