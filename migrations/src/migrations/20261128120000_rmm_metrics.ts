import type { Knex } from 'knex';
import { APP_ROLE, CURRENT_TENANT, enableTenantRls } from '../lib/tenancy';

/**
 * RMM metrics: `machine_metrics` partitioned by day on `collected_at` (UTC days), an hourly roll-up kept by
 * ingest, and two functions ingest calls: one creating the coming days' partitions (at start and daily), one
 * dropping partitions past the retention. Both run as the owner (security definer): the app role owns nothing.
 */
export async function up(knex: Knex): Promise<void> {
  // The tenant expression inside a quoted plpgsql string literal.
  const quoted = CURRENT_TENANT.replace(/'/g, "''");
  await knex.raw(`
    create table machine_metrics (
      tenant_id uuid not null,
      machine_id uuid not null,
      seq bigint not null,
      collected_at timestamptz(3) not null,
      cpu_percent real not null,
      load1 real,
      mem_used_bytes bigint,
      mem_total_bytes bigint,
      swap_used_bytes bigint,
      swap_total_bytes bigint,
      disks jsonb not null default '[]',
      network jsonb not null default '[]',
      uptime_seconds bigint,
      received_at timestamptz(3) not null default now(),
      -- The partition key must be part of every unique key; a redelivered sample has the same collected_at.
      constraint machine_metrics_unique unique (tenant_id, machine_id, seq, collected_at),
      constraint machine_metrics_machine foreign key (tenant_id, machine_id) references machines (tenant_id, id) on delete cascade,
      constraint machine_metrics_values check (seq > 0 and cpu_percent between 0 and 100 and (load1 is null or load1 >= 0)
        and coalesce(mem_used_bytes, 0) >= 0 and coalesce(mem_total_bytes, 0) >= 0
        and coalesce(swap_used_bytes, 0) >= 0 and coalesce(swap_total_bytes, 0) >= 0)
    ) partition by range (collected_at)`);
  await knex.raw('create index machine_metrics_by_time on machine_metrics (tenant_id, machine_id, collected_at)');
  await enableTenantRls(knex, 'machine_metrics');

  // Partitions are tables with a tenant_id too: RLS is enabled and forced on each (the RLS guard checks them),
  // although the app only ever reads and writes through the parent, whose policy applies.
  await knex.raw(`
    create function vigie_ensure_metric_partitions(days_ahead int) returns int
    language plpgsql security definer set search_path = public as $$
    declare
      today date := (now() at time zone 'UTC')::date;
      d date;
      part text;
      created int := 0;
    begin
      perform pg_advisory_xact_lock(hashtext('vigie_metric_partitions'));
      for d in select generate_series(today - 1, today + greatest(days_ahead, 0), interval '1 day')::date loop
        part := 'machine_metrics_' || to_char(d, 'YYYYMMDD');
        continue when to_regclass(part) is not null;
        execute format('create table %I partition of machine_metrics for values from (%L) to (%L)',
          part, (d::timestamp at time zone 'UTC'), ((d + 1)::timestamp at time zone 'UTC'));
        execute format('alter table %I enable row level security', part);
        execute format('alter table %I force row level security', part);
        execute format('create policy tenant_isolation on %I using (tenant_id = ${quoted}) with check (tenant_id = ${quoted})', part);
        created := created + 1;
      end loop;
      return created;
    end $$`);
  await knex.raw(`
    create function vigie_drop_metric_partitions(keep_days int) returns int
    language plpgsql security definer set search_path = public as $$
    declare
      oldest date := (now() at time zone 'UTC')::date - greatest(keep_days, 1);
      part record;
      dropped int := 0;
    begin
      perform pg_advisory_xact_lock(hashtext('vigie_metric_partitions'));
      for part in
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = 'machine_metrics'::regclass and c.relname ~ '^machine_metrics_[0-9]{8}$'
      loop
        if to_date(substr(part.relname, 17), 'YYYYMMDD') < oldest then
          execute format('drop table %I', part.relname);
          dropped := dropped + 1;
        end if;
      end loop;
      return dropped;
    end $$`);
  for (const fn of ['vigie_ensure_metric_partitions(int)', 'vigie_drop_metric_partitions(int)']) {
    await knex.raw(`revoke all on function ${fn} from public`);
    await knex.raw(`grant execute on function ${fn} to ${APP_ROLE}`);
  }
  await knex.raw('select vigie_ensure_metric_partitions(7)');

  // Hourly roll-ups (7 d / 30 d charts), upserted by ingest from the rows each batch actually inserted.
  await knex.raw(`
    create table machine_metrics_hourly (
      tenant_id uuid not null,
      machine_id uuid not null,
      hour timestamptz not null,
      avg_cpu_percent real not null,
      max_cpu_percent real not null,
      avg_load1 real,
      avg_mem_used_bytes bigint,
      mem_total_bytes bigint,
      samples int not null,
      primary key (tenant_id, machine_id, hour),
      constraint machine_metrics_hourly_machine foreign key (tenant_id, machine_id) references machines (tenant_id, id) on delete cascade,
      constraint machine_metrics_hourly_values check (samples > 0)
    )`);
  await enableTenantRls(knex, 'machine_metrics_hourly');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop table if exists machine_metrics_hourly');
  await knex.raw('drop table if exists machine_metrics cascade');
  await knex.raw('drop function if exists vigie_ensure_metric_partitions(int)');
  await knex.raw('drop function if exists vigie_drop_metric_partitions(int)');
}
