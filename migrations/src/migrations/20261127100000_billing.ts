import type { Knex } from 'knex';
import { APP_ROLE, enableTenantRls, makeAppendOnly } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Invoices and credit notes (avoirs), their lines, payments and how they settle invoices, billing runs
 * and each invoice's history.
 *
 * Integrity the database keeps on its own:
 * - a draft has no number and no frozen document; anything else has both (CHECK);
 * - once validated, an invoice's content (number, dates, totals, frozen document, lines) cannot change:
 *   triggers refuse it; only status, dates of sending/payment, paid and credited amounts move;
 * - numbers are unique per tenant; they come from `number_sequences` under a row lock in the validating
 *   transaction, so they are gap-free and in validation order;
 * - `paid_cents` is the sum of the allocations (trigger), never above the total minus credit notes.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('billing_settings', (t) => {
    t.uuid('tenant_id').primary().references('tenants.id').onDelete('cascade');
    t.jsonb('payment_terms').notNullable().defaultTo(JSON.stringify({ kind: 'net', days: 30 }));
    t.jsonb('penalty_rate').notNullable().defaultTo(JSON.stringify({ kind: 'ecb_plus_10' }));
    t.jsonb('dunning_steps').notNullable();
    t.string('iban', 34).notNullable().defaultTo('');
    t.string('bic', 11).notNullable().defaultTo('');
    t.string('early_payment_discount', 300);
    t.text('footer').notNullable().defaultTo('');
    // The tenant's own ODT invoice template (small; kept here like the logo), null: the built-in one.
    t.binary('template_odt');
    t.string('template_name', 200);
    t.timestamp('template_uploaded_at', ts);
    t.string('run_frequency', 10).notNullable().defaultTo('monthly');
    t.boolean('auto_validate').notNullable().defaultTo(false);
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
  });
  await knex.raw(`alter table billing_settings add constraint billing_settings_frequency check (run_frequency in ('monthly', 'quarterly', 'yearly'))`);
  await enableTenantRls(knex, 'billing_settings');

  await knex.schema.createTable('billing_runs', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.string('frequency', 10).notNullable();
    t.date('period_start').notNullable();
    t.date('period_end').notNullable();
    t.string('status', 10).notNullable().defaultTo('running');
    t.integer('invoice_count').notNullable().defaultTo(0);
    t.bigInteger('total_cents').notNullable().defaultTo(0);
    t.text('error');
    t.timestamp('started_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('finished_at', ts);
    t.primary(['tenant_id', 'id']);
    // A period is run once per tenant and frequency: a second run finds this row.
    t.unique(['tenant_id', 'frequency', 'period_start']);
  });
  await knex.raw(`alter table billing_runs add constraint billing_runs_values check (
    status in ('running', 'done', 'failed') and period_end >= period_start and frequency in ('monthly', 'quarterly', 'yearly'))`);
  await enableTenantRls(knex, 'billing_runs');

  await knex.schema.createTable('invoices', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.string('kind', 12).notNullable().defaultTo('invoice');
    t.string('number', 30);
    t.string('status', 10).notNullable().defaultTo('draft');
    t.uuid('client_id').notNullable();
    t.uuid('contract_id');
    t.uuid('credits_invoice_id');
    t.uuid('billing_run_id');
    t.string('source', 12).notNullable().defaultTo('manual');
    // What a generator made this draft for (e.g. subscription:<contract>:<period start>): made once.
    t.string('source_key', 200);
    t.date('issue_date');
    t.date('due_date');
    t.date('period_start');
    t.date('period_end');
    t.string('currency', 3).notNullable().defaultTo('EUR');
    t.string('vat_rounding', 10).notNullable().defaultTo('per_rate');
    t.string('buyer_reference', 100).notNullable().defaultTo('');
    t.text('notes').notNullable().defaultTo('');
    t.bigInteger('total_excl_tax_cents').notNullable().defaultTo(0);
    t.bigInteger('total_tax_cents').notNullable().defaultTo(0);
    t.bigInteger('total_cents').notNullable().defaultTo(0);
    t.bigInteger('paid_cents').notNullable().defaultTo(0);
    t.bigInteger('credited_cents').notNullable().defaultTo(0);
    t.jsonb('document');
    t.uuid('pdf_document_id');
    t.string('dunning_level', 20);
    t.string('payment_url', 1000);
    t.uuid('created_by');
    t.timestamp('validated_at', ts);
    t.timestamp('sent_at', ts);
    t.timestamp('paid_at', ts);
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'number']);
    t.unique(['tenant_id', 'source_key']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients');
    t.foreign(['tenant_id', 'contract_id']).references(['tenant_id', 'id']).inTable('contracts');
    t.foreign(['tenant_id', 'credits_invoice_id']).references(['tenant_id', 'id']).inTable('invoices');
    t.foreign(['tenant_id', 'billing_run_id']).references(['tenant_id', 'id']).inTable('billing_runs');
    t.index(['tenant_id', 'status', 'due_date']);
    t.index(['tenant_id', 'client_id', 'created_at']);
  });
  await knex.raw(`alter table invoices add constraint invoices_values check (
    kind in ('invoice', 'credit_note')
    and status in ('draft', 'validated', 'sent', 'paid', 'overdue', 'unpaid')
    and (kind = 'invoice' or status in ('draft', 'validated', 'sent'))
    and (kind = 'credit_note') = (credits_invoice_id is not null)
    and source in ('manual', 'pre_billing', 'subscription', 'hour_block', 'credit_note')
    and vat_rounding in ('per_rate', 'per_line')
    and total_cents = total_excl_tax_cents + total_tax_cents
    and (status = 'draft') = (number is null)
    and (status = 'draft') = (document is null)
    and (status = 'draft' or (issue_date is not null and due_date is not null and validated_at is not null))
    and paid_cents >= 0 and credited_cents >= 0
    and (kind = 'credit_note' or paid_cents + credited_cents <= total_cents)
    and (period_start is null) = (period_end is null) and (period_end is null or period_end >= period_start))`);
  await knex.raw(
    `alter table invoices add constraint invoices_pdf_fk foreign key (tenant_id, pdf_document_id) references documents (tenant_id, id) on delete set null (pdf_document_id)`,
  );
  await knex.raw(`create index invoices_credits on invoices (tenant_id, credits_invoice_id) where credits_invoice_id is not null`);
  await enableTenantRls(knex, 'invoices');

  // An issued invoice is frozen: its content never changes, and it is never deleted.
  await knex.raw(`
    create function vigie_invoice_frozen() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then
        if old.status <> 'draft' then raise exception 'invoice % is issued and cannot be deleted', old.number using errcode = 'P0001'; end if;
        return old;
      end if;
      if old.status <> 'draft' and (
        new.number is distinct from old.number or new.kind is distinct from old.kind or new.client_id is distinct from old.client_id
        or new.issue_date is distinct from old.issue_date or new.due_date is distinct from old.due_date
        or new.currency is distinct from old.currency or new.total_cents is distinct from old.total_cents
        or new.total_excl_tax_cents is distinct from old.total_excl_tax_cents or new.total_tax_cents is distinct from old.total_tax_cents
        or new.document is distinct from old.document or new.credits_invoice_id is distinct from old.credits_invoice_id
        or new.status = 'draft'
      ) then
        raise exception 'invoice % is issued: only a credit note can correct it', old.number using errcode = 'P0001';
      end if;
      return new;
    end $$`);
  await knex.raw(`create trigger invoices_frozen before update or delete on invoices for each row execute function vigie_invoice_frozen()`);

  await knex.schema.createTable('invoice_lines', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('invoice_id').notNullable();
    t.integer('position').notNullable();
    t.string('description', 500).notNullable();
    t.integer('quantity_milli').notNullable();
    t.string('unit_code', 3).notNullable().defaultTo('C62');
    t.bigInteger('unit_price_cents').notNullable();
    t.integer('vat_rate_bp').notNullable();
    t.string('vat_exemption', 20);
    t.bigInteger('total_excl_tax_cents').notNullable();
    // A credit note's line: which line of the credited invoice it credits.
    t.integer('credits_line_position');
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'invoice_id', 'position'], { deferrable: 'deferred' });
    t.foreign(['tenant_id', 'invoice_id']).references(['tenant_id', 'id']).inTable('invoices').onDelete('cascade');
  });
  await knex.raw(`alter table invoice_lines add constraint invoice_lines_values check (
    quantity_milli > 0 and unit_price_cents >= 0 and vat_rate_bp between 0 and 10000
    and (vat_rate_bp = 0) = (vat_exemption is not null)
    and (vat_exemption is null or vat_exemption in ('franchise', 'reverse_charge', 'intra_eu_supply', 'export')))`);
  await enableTenantRls(knex, 'invoice_lines');
  await knex.raw(`
    create function vigie_invoice_line_frozen() returns trigger language plpgsql as $$
    declare
      target uuid := coalesce(new.invoice_id, old.invoice_id);
      target_tenant uuid := coalesce(new.tenant_id, old.tenant_id);
      state text;
    begin
      select status into state from invoices where tenant_id = target_tenant and id = target;
      -- state is null when the invoice itself is being deleted (a draft: the cascade is allowed).
      if state is not null and state <> 'draft' then
        raise exception 'the lines of an issued invoice cannot change' using errcode = 'P0001';
      end if;
      return coalesce(new, old);
    end $$`);
  await knex.raw(`create trigger invoice_lines_frozen before insert or update or delete on invoice_lines for each row execute function vigie_invoice_line_frozen()`);

  // Pre-billing items and sold hour blocks point at the invoice (draft or issued) that bills them.
  await knex.schema.alterTable('pre_billing_items', (t) => {
    t.uuid('invoice_id');
    t.uuid('invoice_line_id');
  });
  await knex.raw(`alter table pre_billing_items add constraint pre_billing_invoice_fk foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete set null (invoice_id)`);
  await knex.raw(
    `alter table pre_billing_items add constraint pre_billing_line_fk foreign key (tenant_id, invoice_line_id) references invoice_lines (tenant_id, id) on delete set null (invoice_line_id)`,
  );
  await knex.schema.alterTable('hour_blocks', (t) => {
    t.uuid('invoice_id');
  });
  await knex.raw(`alter table hour_blocks add constraint hour_blocks_invoice_fk foreign key (tenant_id, invoice_id) references invoices (tenant_id, id) on delete set null (invoice_id)`);

  await knex.schema.createTable('payments', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('client_id').notNullable();
    t.date('paid_on').notNullable();
    t.string('method', 15).notNullable();
    t.string('reference', 200).notNullable().defaultTo('');
    t.bigInteger('amount_cents').notNullable();
    t.string('currency', 3).notNullable();
    t.bigInteger('unallocated_cents').notNullable().defaultTo(0);
    // A provider's payment (Stripe checkout session): recorded once.
    t.string('provider_ref', 200);
    t.uuid('created_by');
    t.timestamp('created_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'provider_ref']);
    t.foreign(['tenant_id', 'client_id']).references(['tenant_id', 'id']).inTable('clients');
    t.index(['tenant_id', 'client_id', 'paid_on']);
  });
  await knex.raw(`alter table payments add constraint payments_values check (
    amount_cents > 0 and unallocated_cents between 0 and amount_cents
    and method in ('transfer', 'card', 'check', 'cash', 'direct_debit', 'stripe'))`);
  await enableTenantRls(knex, 'payments');
  await makeAppendOnly(knex, 'payments');

  await knex.schema.createTable('payment_allocations', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('payment_id').notNullable();
    t.uuid('invoice_id').notNullable();
    t.bigInteger('amount_cents').notNullable();
    t.primary(['tenant_id', 'payment_id', 'invoice_id']);
    t.foreign(['tenant_id', 'payment_id']).references(['tenant_id', 'id']).inTable('payments');
    t.foreign(['tenant_id', 'invoice_id']).references(['tenant_id', 'id']).inTable('invoices');
    t.index(['tenant_id', 'invoice_id']);
  });
  await knex.raw(`alter table payment_allocations add constraint payment_allocations_values check (amount_cents > 0)`);
  await enableTenantRls(knex, 'payment_allocations');
  await makeAppendOnly(knex, 'payment_allocations');
  // What an invoice has been paid is the sum of its allocations (the invoices CHECK caps it).
  await knex.raw(`
    create function vigie_allocation_paid() returns trigger language plpgsql as $$
    begin
      update invoices set paid_cents = paid_cents + new.amount_cents, updated_at = now()
       where tenant_id = new.tenant_id and id = new.invoice_id and kind = 'invoice' and status <> 'draft';
      if not found then raise exception 'a payment can only settle an issued invoice' using errcode = 'P0001'; end if;
      return new;
    end $$`);
  await knex.raw(`create trigger payment_allocations_paid after insert on payment_allocations for each row execute function vigie_allocation_paid()`);

  await knex.schema.createTable('invoice_events', (t) => {
    t.uuid('tenant_id').notNullable();
    t.uuid('id').notNullable();
    t.uuid('invoice_id').notNullable();
    t.string('kind', 30).notNullable();
    t.jsonb('detail').notNullable().defaultTo('{}');
    t.uuid('actor_id');
    t.uuid('email_id');
    // Each workflow step is recorded once (e.g. dunning:reminder).
    t.string('step_key', 100);
    t.timestamp('at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'id']);
    t.unique(['tenant_id', 'invoice_id', 'step_key']);
    t.foreign(['tenant_id', 'invoice_id']).references(['tenant_id', 'id']).inTable('invoices').onDelete('cascade');
    t.index(['tenant_id', 'invoice_id', 'at']);
  });
  await enableTenantRls(knex, 'invoice_events');

  // Invoice e-mails carry their PDF; a permanent SMTP refusal is a bounce.
  await knex.schema.alterTable('email_outbox', (t) => {
    t.specificType('attachment_document_ids', 'uuid[]').notNullable().defaultTo('{}');
    t.uuid('invoice_id');
  });
  await knex.raw(`alter table email_outbox drop constraint email_outbox_status`);
  await knex.raw(`alter table email_outbox add constraint email_outbox_status check (status in ('pending', 'sent', 'failed', 'bounced'))`);
  await knex.raw(`create index email_outbox_invoice on email_outbox (tenant_id, invoice_id, created_at) where invoice_id is not null`);

  // Cross-tenant, for the worker's sweep: issued invoices whose workflow never sent them (Temporal was
  // unreachable when they were validated). Returns ids only.
  await knex.raw(`
    create function invoices_awaiting_workflow(p_older_than interval) returns table (tenant_id uuid, invoice_id uuid)
    language sql stable security definer set search_path = public as $$
      select i.tenant_id, i.id from invoices i where i.status = 'validated' and i.sent_at is null and i.validated_at < now() - p_older_than
    $$`);
  // Cross-tenant, for the worker: each tenant's zone and run frequency, to keep its billing Schedule.
  await knex.raw(`
    create function tenants_billing_schedules() returns table (tenant_id uuid, timezone text, run_frequency text)
    language sql stable security definer set search_path = public as $$
      select t.id, coalesce(s.timezone, 'Europe/Paris'), coalesce(b.run_frequency, 'monthly')
        from tenants t left join tenant_settings s on s.tenant_id = t.id left join billing_settings b on b.tenant_id = t.id
    $$`);
  await knex.raw(`revoke all on function tenants_billing_schedules() from public`);
  await knex.raw(`grant execute on function tenants_billing_schedules() to ${APP_ROLE}`);
  await knex.raw(`revoke all on function invoices_awaiting_workflow(interval) from public`);
  await knex.raw(`grant execute on function invoices_awaiting_workflow(interval) to ${APP_ROLE}`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`drop function if exists invoices_awaiting_workflow(interval)`);
  await knex.raw(`drop function if exists tenants_billing_schedules()`);
  await knex.raw(`drop index if exists email_outbox_invoice`);
  await knex.raw(`alter table email_outbox drop constraint email_outbox_status`);
  await knex.raw(`update email_outbox set status = 'failed' where status = 'bounced'`);
  await knex.raw(`alter table email_outbox add constraint email_outbox_status check (status in ('pending', 'sent', 'failed'))`);
  await knex.schema.alterTable('email_outbox', (t) => {
    t.dropColumn('attachment_document_ids');
    t.dropColumn('invoice_id');
  });
  await knex.schema.alterTable('hour_blocks', (t) => t.dropColumn('invoice_id'));
  await knex.schema.alterTable('pre_billing_items', (t) => {
    t.dropColumn('invoice_line_id');
    t.dropColumn('invoice_id');
  });
  for (const table of ['invoice_events', 'payment_allocations', 'payments', 'invoice_lines', 'invoices', 'billing_runs', 'billing_settings']) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.raw(`drop function if exists vigie_allocation_paid()`);
  await knex.raw(`drop function if exists vigie_invoice_line_frozen()`);
  await knex.raw(`drop function if exists vigie_invoice_frozen()`);
}
