import {
  DEFAULT_TICKET_MAIL_TEMPLATES,
  TICKET_MAIL_KINDS,
  fillPlaceholders,
  type TicketMailKind,
  type TicketMailPlaceholder,
  type TicketMailTemplate,
  type UpdateTicketMailTemplateBody,
} from '@vigie/core';
import type { Knex } from 'knex';
import type { TenantTx } from '../tenancy';

interface TemplateRow {
  kind: TicketMailKind;
  subject: string;
  body: string;
  updated_at: Date;
}

const toTemplate = (kind: TicketMailKind, row: TemplateRow | undefined): TicketMailTemplate =>
  row
    ? { kind, subject: row.subject, body: row.body, isDefault: false, updatedAt: row.updated_at.toISOString() }
    : { kind, ...DEFAULT_TICKET_MAIL_TEMPLATES[kind], isDefault: true, updatedAt: null };

/** The three templates as the tenant's notices use them: its own text, or the built-in one. */
export async function listTemplates(tx: TenantTx): Promise<TicketMailTemplate[]> {
  const rows = (await tx('ticket_mail_templates').select('*')) as TemplateRow[];
  return TICKET_MAIL_KINDS.map((kind) => toTemplate(kind, rows.find((r) => r.kind === kind)));
}

export async function getTemplate(tx: TenantTx, kind: TicketMailKind): Promise<TicketMailTemplate> {
  return toTemplate(kind, (await tx('ticket_mail_templates').where({ kind }).first()) as TemplateRow | undefined);
}

export async function saveTemplate(tx: TenantTx, tenantId: string, kind: TicketMailKind, text: UpdateTicketMailTemplateBody): Promise<TicketMailTemplate> {
  const [row] = await tx('ticket_mail_templates')
    .insert({ tenant_id: tenantId, kind, subject: text.subject, body: text.body })
    .onConflict(['tenant_id', 'kind'])
    .merge({ subject: text.subject, body: text.body, updated_at: tx.fn.now() })
    .returning('*');
  return toTemplate(kind, row as TemplateRow);
}

/** Back to the built-in text. */
export async function resetTemplate(tx: TenantTx, kind: TicketMailKind): Promise<TicketMailTemplate> {
  await tx('ticket_mail_templates').where({ kind }).delete();
  return toTemplate(kind, undefined);
}

/**
 * Fills a template. The subject is one line of at most 300 characters and always carries the ticket's
 * `[#number]` tag (added at the end when the tenant's text leaves it out), so a reply written from
 * scratch still finds its ticket.
 */
export function renderTemplate(
  template: { subject: string; body: string },
  values: Record<TicketMailPlaceholder, string>,
): { subject: string; text: string } {
  let subject = fillPlaceholders(template.subject, { ...values, subject: values.subject.replace(/[\r\n]+/g, ' ') })
    .replace(/[\r\n]+/g, ' ')
    .trim();
  const tag = `[#${values.number}]`;
  if (!subject.includes(tag)) subject = `${subject.slice(0, 300 - tag.length - 1)} ${tag}`.trim();
  return { subject: subject.slice(0, 300), text: fillPlaceholders(template.body, values) };
}

/** The tenant's name and support address, as its ticket e-mails show them. */
export async function mailIdentity(tx: TenantTx, tenantId: string): Promise<{ tenantName: string; supportEmail: string | null }> {
  const row = (await tx('tenants as t')
    .leftJoin('tenant_settings as s', 's.tenant_id', 't.id')
    .where('t.id', tenantId)
    .first('t.name', 's.support_email')) as { name: string; support_email: string | null } | undefined;
  return { tenantName: row?.name ?? '', supportEmail: row?.support_email ?? null };
}

/**
 * Cross-tenant (SECURITY DEFINER): the tenant whose support address this is. Inbound mail arrives before
 * any tenant is known; this narrow lookup is all it may read outside one.
 */
export async function findTenantBySupportAddress(db: Knex, address: string): Promise<string | undefined> {
  const { rows } = await db.raw(`select mail_find_tenant_by_address(?) as tenant_id`, [address]);
  return (rows[0] as { tenant_id: string | null } | undefined)?.tenant_id ?? undefined;
}
