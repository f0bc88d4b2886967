import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Remote commands to agents. A row is written (queued) and committed before the command goes to NATS, so every
 * command that can reach a machine has its row and its audit entry; the agent's result (telemetry kind `result`)
 * fills the rest. Statuses: queued (saved, not yet accepted by JetStream) → sent (in the COMMANDS stream) →
 * running (the agent started it) → succeeded | failed | expired (the agent got it after expires_at: not run).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('machine_commands', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.uuid('id').notNullable();
    t.uuid('machine_id').notNullable();
    t.string('name', 40).notNullable();
    t.jsonb('params').notNullable().defaultTo('{}');
    t.string('status', 20).notNullable().defaultTo('queued');
    t.uuid('requested_by');
    t.string('requested_by_name', 200).notNullable();
    // A repeated POST with the same key (and the same request) is the same command.
    t.string('idempotency_key', 200);
    t.string('request_hash', 64);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('sent_at', ts);
    t.timestamp('expires_at', ts).notNullable();
    t.timestamp('started_at', ts);
    t.timestamp('finished_at', ts);
    t.integer('exit_code');
    t.text('stdout');
    t.text('stderr');
    t.integer('duration_ms');
    t.text('error');
    t.jsonb('result');
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'machine_id']).references(['tenant_id', 'id']).inTable('machines').onDelete('cascade');
  });
  await knex.raw('create index machine_commands_by_machine on machine_commands (tenant_id, machine_id, created_at desc, id desc)');
  await knex.raw('create unique index machine_commands_idempotency on machine_commands (tenant_id, idempotency_key) where idempotency_key is not null');
  await knex.raw(`
    alter table machine_commands add constraint machine_commands_values check (
      name in ('run-script', 'restart-service', 'reboot', 'ping')
      and status in ('queued', 'sent', 'running', 'succeeded', 'failed', 'expired')
      and expires_at > created_at and expires_at <= created_at + interval '7 days'
      and (finished_at is null) = (status in ('queued', 'sent', 'running'))
      and (duration_ms is null or duration_ms >= 0)
      and coalesce(length(stdout), 0) <= 65536 and coalesce(length(stderr), 0) <= 65536
      and coalesce(length(error), 0) <= 2000
    )`);
  await enableTenantRls(knex, 'machine_commands');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('machine_commands');
}
