import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/** The SQL twin of core's ruleApplies (r: alert_rules, m: machines), for the cross-tenant offline sweep. */
const RULE_APPLIES = `(r.scope_kind = 'all'
  or (r.scope_kind = 'client' and r.scope_id = m.client_id)
  or (r.scope_kind = 'site' and r.scope_id = m.site_id)
  or (r.scope_kind = 'machine' and r.scope_id = m.id)
  or (r.scope_kind = 'tag' and r.scope_tag = any (m.tags)))`;

/** Seconds without heartbeat after which a machine is offline for rule r: the rule's own, else the tenant's. */
const OFFLINE_AFTER = `coalesce((r.condition ->> 'afterSeconds')::int, s.offline_after_seconds, 150)`;

/**
 * RMM alerting: rules per tenant (kind + typed condition, scope, severity), alerts (one open per machine and
 * rule, with the ticket it opened), machine tags for tag scopes, the tenant's offline threshold, and the
 * function the offline sweep reads every tenant through.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('machines', (t) => t.specificType('tags', 'text[]').notNullable().defaultTo('{}'));
  await knex.schema.alterTable('tenant_settings', (t) => t.integer('offline_after_seconds').notNullable().defaultTo(150));
  await knex.raw(`alter table tenant_settings add constraint tenant_settings_offline_after check (offline_after_seconds between 30 and 86400)`);

  await knex.schema.createTable('alert_rules', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.string('name', 200).notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    t.string('kind', 30).notNullable();
    t.jsonb('condition').notNullable().defaultTo('{}');
    t.string('scope_kind', 10).notNullable().defaultTo('all');
    // A client, site or machine; not a foreign key (three tables): a rule whose target is gone matches nothing.
    t.uuid('scope_id');
    t.string('scope_tag', 50);
    t.string('severity', 10).notNullable().defaultTo('warning');
    t.boolean('auto_resolve_ticket').notNullable().defaultTo(false);
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.index(['tenant_id', 'kind', 'enabled']);
    t.index(['tenant_id', 'name', 'id']);
  });
  await knex.raw(`alter table alert_rules add constraint alert_rules_values check (
    kind in ('metric_threshold', 'disk_free', 'offline', 'service_stopped', 'antivirus', 'event_pattern')
    and severity in ('info', 'warning', 'critical')
    and jsonb_typeof(condition) = 'object'
    and ((scope_kind = 'all' and scope_id is null and scope_tag is null)
      or (scope_kind in ('client', 'site', 'machine') and scope_id is not null and scope_tag is null)
      or (scope_kind = 'tag' and scope_tag is not null and scope_id is null)))`);
  await enableTenantRls(knex, 'alert_rules');

  await knex.schema.createTable('alerts', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('rule_id').notNullable();
    t.uuid('machine_id').notNullable();
    t.string('status', 10).notNullable().defaultTo('open');
    t.timestamp('opened_at', ts).notNullable();
    t.timestamp('resolved_at', ts);
    // Last breach the workflow recorded: the offline sweep repeats from it, the list shows it.
    t.timestamp('last_observed_at', ts).notNullable();
    t.jsonb('last_value');
    t.integer('occurrences').notNullable().defaultTo(1);
    t.uuid('ticket_id');
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'rule_id']).references(['tenant_id', 'id']).inTable('alert_rules').onDelete('cascade');
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
    t.index(['tenant_id', 'opened_at', 'id']);
    t.index(['tenant_id', 'machine_id', 'opened_at']);
    t.index(['tenant_id', 'rule_id']);
  });
  await knex.raw(`alter table alerts add constraint alerts_ticket_fk foreign key (tenant_id, ticket_id) references tickets (tenant_id, id) on delete set null (ticket_id)`);
  await knex.raw(`alter table alerts add constraint alerts_values check (
    status in ('open', 'resolved') and occurrences >= 1 and ((status = 'resolved') = (resolved_at is not null)))`);
  // One open alert per machine and rule: a flapping or repeated breach joins it instead of opening another.
  await knex.raw(`create unique index alerts_one_open on alerts (tenant_id, machine_id, rule_id) where status = 'open'`);
  await enableTenantRls(knex, 'alerts');

  // Cross-tenant, for the offline sweep: which offline rules change state now. `breach`: a machine silent
  // past its threshold without an open alert; `repeat`: still silent and not told for p_repeat; `clear`:
  // an open offline alert whose machine spoke again, was disabled, or left the rule (disabled, out of scope).
  await knex.raw(`
    create function rmm_offline_transitions(p_repeat interval)
    returns table (tenant_id uuid, machine_id uuid, rule_id uuid, transition text, last_seen_at timestamptz, offline_after_seconds int)
    language sql stable security definer set search_path = public as $$
      with watched as (
        select m.tenant_id, m.id as machine_id, r.id as rule_id, coalesce(m.last_seen_at, m.created_at) as seen, ${OFFLINE_AFTER} as after
        from alert_rules r
        join machines m on m.tenant_id = r.tenant_id and m.disabled_at is null and ${RULE_APPLIES}
        left join tenant_settings s on s.tenant_id = r.tenant_id
        where r.kind = 'offline' and r.enabled
      )
      select w.tenant_id, w.machine_id, w.rule_id, case when a.id is null then 'breach' else 'repeat' end, w.seen, w.after
      from watched w
      left join alerts a on a.tenant_id = w.tenant_id and a.machine_id = w.machine_id and a.rule_id = w.rule_id and a.status = 'open'
      where w.seen < now() - make_interval(secs => w.after)
        and (a.id is null or a.last_observed_at < now() - p_repeat)
      union all
      select a.tenant_id, a.machine_id, a.rule_id, 'clear', coalesce(m.last_seen_at, m.created_at), ${OFFLINE_AFTER}
      from alerts a
      join alert_rules r on r.tenant_id = a.tenant_id and r.id = a.rule_id and r.kind = 'offline'
      join machines m on m.tenant_id = a.tenant_id and m.id = a.machine_id
      left join tenant_settings s on s.tenant_id = a.tenant_id
      where a.status = 'open'
        and (m.disabled_at is not null or not r.enabled or not ${RULE_APPLIES}
          or coalesce(m.last_seen_at, m.created_at) >= now() - make_interval(secs => ${OFFLINE_AFTER}))
    $$`);
  await knex.raw(`revoke all on function rmm_offline_transitions(interval) from public`);
  await knex.raw(`grant execute on function rmm_offline_transitions(interval) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('drop function if exists rmm_offline_transitions(interval)');
  await knex.schema.dropTableIfExists('alerts');
  await knex.schema.dropTableIfExists('alert_rules');
  await knex.raw('alter table tenant_settings drop constraint if exists tenant_settings_offline_after');
  await knex.schema.alterTable('tenant_settings', (t) => t.dropColumn('offline_after_seconds'));
  await knex.schema.alterTable('machines', (t) => t.dropColumn('tags'));
}
