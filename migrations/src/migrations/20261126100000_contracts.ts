import type { Knex } from 'knex';
import { enableTenantRls, makeAppendOnly } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Contracts and hour banks. The balance of an hour bank lives on the contract row but only the ledger
 * moves it: each ledger insert must carry `balance_after = balance + minutes` (checked by a trigger,
 * which then stores it on the contract), and a direct change of the balance is refused.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('contracts', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.string('type', 20).notNullable();
    t.string('name', 200).notNullable();
    t.string('status', 10).notNullable().defaultTo('draft');
    t.boolean('is_default').notNullable().defaultTo(false);
    t.date('start_date').notNullable();
    t.date('end_date');
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.bigInteger('hourly_rate_cents');
    t.uuid('account_manager_id');
    t.uuid('notify_contact_id');
    t.uuid('quote_id');
    t.text('notes').notNullable().defaultTo('');
    // Hour bank terms.
    t.integer('rounding_minutes');
    t.integer('minimum_minutes');
    t.integer('overdraft_limit_minutes');
    t.jsonb('thresholds');
    t.integer('usual_pack_minutes');
    t.bigInteger('usual_pack_price_cents');
    // Hour bank state, moved by the ledger (balance, seq) and the contract workflow's activity.
    t.integer('balance_minutes').notNullable().defaultTo(0);
    t.integer('ledger_seq').notNullable().defaultTo(0);
    t.integer('overdraft_used_minutes').notNullable().defaultTo(0);
    t.specificType('thresholds_crossed', 'text[]').notNullable().defaultTo('{}');
    // Subscription terms.
    t.string('billing_basis', 20);
    t.bigInteger('unit_price_cents');
    t.string('billing_period', 10);
    t.integer('included_minutes');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients').onDelete('cascade');
    t.index(['tenant_id', 'client_id']);
  });
  await knex.raw(`alter table contracts add constraint contracts_type check (type in ('hour_bank', 'subscription', 'time_material'))`);
  await knex.raw(`alter table contracts add constraint contracts_status check (status in ('draft', 'active', 'suspended', 'ended'))`);
  await knex.raw(`alter table contracts add constraint contracts_dates check (end_date is null or end_date >= start_date)`);
  await knex.raw(`alter table contracts add constraint contracts_rate check (hourly_rate_cents is null or hourly_rate_cents >= 0)`);
  // Each type carries its own terms and no other type's.
  await knex.raw(`alter table contracts add constraint contracts_hour_bank_terms check (
    (type = 'hour_bank') = (rounding_minutes is not null and minimum_minutes is not null and thresholds is not null))`);
  await knex.raw(`alter table contracts add constraint contracts_subscription_terms check (
    (type = 'subscription') = (billing_basis is not null and unit_price_cents is not null and billing_period is not null))`);
  await knex.raw(`alter table contracts add constraint contracts_time_material_rate check (type <> 'time_material' or hourly_rate_cents is not null)`);
  await knex.raw(`alter table contracts add constraint contracts_balance check (
    type = 'hour_bank' or (balance_minutes = 0 and ledger_seq = 0))`);
  await knex.raw(`alter table contracts add constraint contracts_overdraft check (
    balance_minutes >= -coalesce(overdraft_limit_minutes, 0) and overdraft_used_minutes >= 0)`);
  await knex.raw(`alter table contracts add constraint contracts_hour_bank_values check (
    rounding_minutes >= 0 and minimum_minutes >= 0 and overdraft_limit_minutes >= 0 and usual_pack_minutes > 0 and usual_pack_price_cents >= 0)`);
  await knex.raw(`alter table contracts add constraint contracts_subscription_values check (
    billing_basis in ('per_machine', 'per_user', 'per_site', 'flat') and billing_period in ('monthly', 'quarterly', 'yearly')
    and unit_price_cents >= 0 and included_minutes >= 0)`);
  await knex.raw(`create unique index contracts_one_default on contracts (tenant_id, client_id) where is_default`);
  await knex.raw(`create unique index contracts_quote on contracts (tenant_id, quote_id) where quote_id is not null`);
  await knex.raw(`alter table contracts add constraint contracts_manager_fk foreign key (tenant_id, account_manager_id) references users (tenant_id, id) on delete set null (account_manager_id)`);
  await knex.raw(`alter table contracts add constraint contracts_contact_fk foreign key (tenant_id, notify_contact_id) references contacts (tenant_id, id) on delete set null (notify_contact_id)`);
  await knex.raw(`alter table contracts add constraint contracts_quote_fk foreign key (tenant_id, quote_id) references quotes (tenant_id, id) on delete set null (quote_id)`);
  await knex.raw(`
    create function vigie_contract_balance_guard() returns trigger language plpgsql as $$
    begin
      if (new.balance_minutes, new.ledger_seq) is distinct from (old.balance_minutes, old.ledger_seq) and pg_trigger_depth() < 2 then
        raise exception 'the balance of an hour bank changes only through its ledger' using errcode = 'check_violation';
      end if;
      return new;
    end $$`);
  await knex.raw(`create trigger contracts_balance_guard before update on contracts for each row execute function vigie_contract_balance_guard()`);
  await enableTenantRls(knex, 'contracts');

  await knex.schema.createTable('hour_blocks', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('contract_id').notNullable();
    t.string('source', 12).notNullable();
    t.integer('minutes').notNullable();
    t.integer('remaining_minutes').notNullable();
    t.bigInteger('price_cents').notNullable().defaultTo(0);
    t.timestamp('purchased_at', ts).notNullable();
    t.timestamp('expires_at', ts);
    t.uuid('created_by');
    t.primary(['tenant_id', 'id']);
    t.foreign(['tenant_id', 'contract_id']).references(['tenant_id', 'id']).inTable('contracts').onDelete('cascade');
    t.index(['tenant_id', 'contract_id', 'purchased_at']);
  });
  await knex.raw(`alter table hour_blocks add constraint hour_blocks_values check (
    source in ('sale', 'adjustment') and minutes > 0 and remaining_minutes between 0 and minutes and price_cents >= 0)`);
  await enableTenantRls(knex, 'hour_blocks');

  await knex.schema.createTable('hour_ledger', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('contract_id').notNullable();
    t.integer('seq').notNullable();
    t.string('kind', 12).notNullable();
    t.integer('minutes').notNullable();
    t.integer('balance_after').notNullable();
    t.uuid('time_entry_id');
    t.uuid('block_id');
    t.string('reason', 500);
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'contract_id', 'seq']);
    t.foreign(['tenant_id', 'contract_id']).references(['tenant_id', 'id']).inTable('contracts');
  });
  await knex.raw(`alter table hour_ledger add constraint hour_ledger_sign check (
    (kind = 'purchase' and minutes > 0) or (kind = 'consumption' and minutes < 0) or (kind = 'reversal' and minutes > 0)
    or (kind = 'expiry' and minutes < 0) or (kind = 'adjustment' and minutes <> 0 and reason is not null))`);
  // One consumption and one reversal per time entry, ever.
  await knex.raw(`create unique index hour_ledger_entry on hour_ledger (tenant_id, time_entry_id, kind) where time_entry_id is not null`);
  await knex.raw(`
    create function vigie_hour_ledger_append() returns trigger language plpgsql as $$
    declare
      current_balance integer;
      current_seq integer;
    begin
      select balance_minutes, ledger_seq into current_balance, current_seq from contracts
        where tenant_id = new.tenant_id and id = new.contract_id and type = 'hour_bank' for update;
      if not found then
        raise exception 'no hour-bank contract %', new.contract_id using errcode = 'foreign_key_violation';
      end if;
      if new.balance_after <> current_balance + new.minutes then
        raise exception 'ledger row out of step: balance % + % <> %', current_balance, new.minutes, new.balance_after
          using errcode = 'check_violation';
      end if;
      new.seq := current_seq + 1;
      update contracts set balance_minutes = new.balance_after, ledger_seq = new.seq
        where tenant_id = new.tenant_id and id = new.contract_id;
      return new;
    end $$`);
  await knex.raw(`create trigger hour_ledger_append before insert on hour_ledger for each row execute function vigie_hour_ledger_append()`);
  await enableTenantRls(knex, 'hour_ledger');
  await makeAppendOnly(knex, 'hour_ledger');

  // What each approved time entry consumed (the tickets module links its entries here).
  await knex.schema.createTable('time_consumptions', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('time_entry_id').notNullable();
    t.uuid('contract_id').notNullable();
    t.integer('raw_minutes').notNullable();
    t.integer('charged_minutes').notNullable();
    t.integer('block_minutes').notNullable();
    t.integer('overdraft_minutes').notNullable();
    t.integer('out_of_contract_minutes').notNullable();
    t.jsonb('from_blocks').notNullable();
    t.timestamp('reversed_at', ts);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'time_entry_id']);
    t.foreign(['tenant_id', 'contract_id']).references(['tenant_id', 'id']).inTable('contracts');
    t.index(['tenant_id', 'contract_id']);
  });
  await knex.raw(`alter table time_consumptions add constraint time_consumptions_split check (
    charged_minutes = block_minutes + overdraft_minutes + out_of_contract_minutes
    and block_minutes >= 0 and overdraft_minutes >= 0 and out_of_contract_minutes >= 0 and raw_minutes > 0)`);
  await enableTenantRls(knex, 'time_consumptions');

  // A renewal proposal is an opportunity (with its draft quote) that renews a contract with a pack.
  await knex.schema.alterTable('opportunities', (t) => {
    t.uuid('renews_contract_id');
    t.integer('renewal_minutes');
  });
  await knex.raw(`alter table opportunities add constraint opportunities_renewal check ((renews_contract_id is null) = (renewal_minutes is null) and renewal_minutes > 0)`);
  await knex.raw(
    `alter table opportunities add constraint opportunities_renews_fk foreign key (tenant_id, renews_contract_id) references contracts (tenant_id, id) on delete set null (renews_contract_id)`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('opportunities', (t) => {
    t.dropColumn('renews_contract_id');
    t.dropColumn('renewal_minutes');
  });
  for (const table of ['time_consumptions', 'hour_ledger', 'hour_blocks', 'contracts']) await knex.schema.dropTableIfExists(table);
  await knex.raw('drop function if exists vigie_hour_ledger_append()');
  await knex.raw('drop function if exists vigie_contract_balance_guard()');
}
