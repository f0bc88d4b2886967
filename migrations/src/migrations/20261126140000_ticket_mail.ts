import type { Knex } from 'knex';
import { enableTenantRls } from '../lib/tenancy';

const ts = { useTz: true, precision: 3 } as const;

/**
 * Tickets by e-mail: threading headers on outgoing ticket mail, the tenant's own notice templates, and
 * the placeholder client that holds mail from unknown senders until someone triages it.
 */
export async function up(knex: Knex): Promise<void> {
  // An outgoing ticket mail carries a Message-ID we choose and the IDs it answers, so the contact's
  // reply (In-Reply-To / References) finds its ticket again.
  await knex.schema.alterTable('email_outbox', (t) => {
    t.uuid('ticket_id');
    t.string('message_id_header', 998);
    t.string('in_reply_to', 998);
    t.text('references_header');
    t.string('reply_to', 254);
  });
  await knex.raw(
    `alter table email_outbox add constraint email_outbox_ticket_fk foreign key (tenant_id, ticket_id) references tickets (tenant_id, id) on delete set null (ticket_id)`,
  );
  await knex.raw(`create unique index email_outbox_message_header on email_outbox (tenant_id, message_id_header) where message_id_header is not null`);
  await knex.raw(`create index email_outbox_ticket on email_outbox (tenant_id, ticket_id, created_at) where ticket_id is not null`);
  // Without a support address the mailer picks the Message-ID at sending (message_id); it threads too.
  await knex.raw(`create index email_outbox_ticket_message on email_outbox (tenant_id, message_id) where ticket_id is not null and message_id is not null`);

  // A sender is matched to a contact by address, whatever its case.
  await knex.raw(`create index contacts_email_lower on contacts (tenant_id, lower(email)) where email is not null`);

  // The client that holds tickets from unknown senders: made once per tenant, remembered here, so
  // renaming it changes nothing and deleting it only means a new one next time.
  await knex.schema.alterTable('tenant_settings', (t) => t.uuid('unknown_sender_client_id'));
  await knex.raw(
    `alter table tenant_settings add constraint tenant_settings_unknown_sender_fk foreign key (tenant_id, unknown_sender_client_id) references clients (tenant_id, id) on delete set null (unknown_sender_client_id)`,
  );

  // The tenant's own wording of the created / replied / resolved notices; none → the built-in French text.
  await knex.schema.createTable('ticket_mail_templates', (t) => {
    t.uuid('tenant_id').notNullable().references('tenants.id').onDelete('cascade');
    t.string('kind', 10).notNullable();
    t.string('subject', 300).notNullable();
    t.text('body').notNullable();
    t.timestamp('updated_at', ts).notNullable().defaultTo(knex.fn.now());
    t.primary(['tenant_id', 'kind']);
  });
  await knex.raw(`alter table ticket_mail_templates add constraint ticket_mail_templates_kind check (kind in ('created', 'replied', 'resolved'))`);
  await knex.raw(`alter table ticket_mail_templates add constraint ticket_mail_templates_size check (length(subject) > 0 and length(body) between 1 and 20000)`);
  await enableTenantRls(knex, 'ticket_mail_templates');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('ticket_mail_templates');
  await knex.schema.alterTable('tenant_settings', (t) => t.dropColumn('unknown_sender_client_id'));
  await knex.raw('drop index if exists contacts_email_lower');
  await knex.schema.alterTable('email_outbox', (t) => {
    t.dropColumn('ticket_id');
    t.dropColumn('message_id_header');
    t.dropColumn('in_reply_to');
    t.dropColumn('references_header');
    t.dropColumn('reply_to');
  });
}
