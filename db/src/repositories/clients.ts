import type {
  Client,
  ClientListQuery,
  Contact,
  CreateClientBody,
  CreateContactBody,
  CreateInteractionBody,
  Interaction,
  InteractionListQuery,
  Page,
  Site,
  SiteBody,
  TimelineEntry,
  UpdateClientBody,
  UpdateContactBody,
  UpdateSiteBody,
  Address,
  ListQuery,
} from '@vigie/core';
import { paginate } from '../pagination';
import { definedOnly, likePattern } from '../query-helpers';
import type { TenantTx } from '../tenancy';

const EMPTY_ADDRESS: Address = { line1: '', line2: '', postalCode: '', city: '', country: 'FR' };

// ---------------------------------------------------------------- clients

interface ClientRow {
  id: string;
  name: string;
  siren: string | null;
  siret: string | null;
  vat_number: string | null;
  status: Client['status'];
  payment_terms_days: number;
  payment_terms_end_of_month: boolean;
  currency: string;
  billing_address: Partial<Address>;
  tags: string[];
  notes: string;
  hourly_rate_cents: number | null;
  created_at: Date;
  updated_at: Date;
}

export function toClient(row: ClientRow): Client {
  return {
    id: row.id,
    name: row.name,
    siren: row.siren,
    siret: row.siret,
    vatNumber: row.vat_number,
    status: row.status,
    paymentTermsDays: row.payment_terms_days,
    paymentTermsEndOfMonth: row.payment_terms_end_of_month,
    currency: row.currency,
    billingAddress: { ...EMPTY_ADDRESS, ...row.billing_address },
    tags: row.tags,
    notes: row.notes,
    hourlyRateCents: row.hourly_rate_cents,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function clientColumns(body: UpdateClientBody): Record<string, unknown> {
  return definedOnly({
    name: body.name,
    siren: body.siren ?? (body.siret ? body.siret.slice(0, 9) : body.siren),
    siret: body.siret,
    vat_number: body.vatNumber,
    status: body.status,
    payment_terms_days: body.paymentTermsDays,
    payment_terms_end_of_month: body.paymentTermsEndOfMonth,
    currency: body.currency,
    billing_address: body.billingAddress ? JSON.stringify(body.billingAddress) : undefined,
    tags: body.tags,
    notes: body.notes,
    hourly_rate_cents: body.hourlyRateCents,
  });
}

export async function insertClient(tx: TenantTx, tenantId: string, id: string, body: CreateClientBody): Promise<Client> {
  const [row] = await tx('clients').insert({ tenant_id: tenantId, id, ...clientColumns(body) }).returning('*');
  return toClient(row as ClientRow);
}

export async function findClient(tx: TenantTx, id: string): Promise<Client | undefined> {
  const row = await tx('clients').where({ id }).first();
  return row ? toClient(row as ClientRow) : undefined;
}

/** The client already holding this SIREN or SIRET, to name it in the duplicate error. */
export async function findClientByIdentifiers(
  tx: TenantTx,
  ids: { siren?: string | null | undefined; siret?: string | null | undefined },
  exceptId?: string,
): Promise<Client | undefined> {
  if (!ids.siren && !ids.siret) return undefined;
  const q = tx('clients').where((w) => {
    if (ids.siren) w.orWhere('siren', ids.siren);
    if (ids.siret) w.orWhere('siret', ids.siret);
  });
  if (exceptId) q.whereNot('id', exceptId);
  const row = await q.first();
  return row ? toClient(row as ClientRow) : undefined;
}

export async function updateClient(tx: TenantTx, id: string, body: UpdateClientBody): Promise<Client> {
  const [row] = await tx('clients')
    .where({ id })
    .update({ ...clientColumns(body), updated_at: tx.fn.now() })
    .returning('*');
  return toClient(row as ClientRow);
}

export async function listClients(tx: TenantTx, query: ClientListQuery): Promise<Page<Client>> {
  const q = tx('clients').select('*');
  if (query.status) q.where('status', query.status);
  else q.whereNot('status', 'archived');
  if (query.tag) q.whereRaw('? = any(tags)', [query.tag]);
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('name', like).orWhereILike('siren', like).orWhereILike('siret', like));
  }
  return paginate<ClientRow, Client>(
    q,
    { sortable: { name: 'name', createdAt: 'created_at', status: 'status' }, defaultSort: 'name', ...pageOpts(query) },
    toClient,
  );
}

function pageOpts(query: ListQuery) {
  return { limit: query.limit, cursor: query.cursor, sort: query.sort };
}

// ---------------------------------------------------------------- sites

interface SiteRow {
  id: string;
  client_id: string;
  name: string;
  address: Partial<Address>;
  notes: string;
  created_at: Date;
}

const toSite = (row: SiteRow): Site => ({
  id: row.id,
  clientId: row.client_id,
  name: row.name,
  address: { ...EMPTY_ADDRESS, ...row.address },
  notes: row.notes,
  createdAt: row.created_at.toISOString(),
});

export async function insertSite(tx: TenantTx, tenantId: string, clientId: string, id: string, body: SiteBody): Promise<Site> {
  const [row] = await tx('client_sites')
    .insert({ tenant_id: tenantId, id, client_id: clientId, name: body.name, address: JSON.stringify(body.address), notes: body.notes ?? '' })
    .returning('*');
  return toSite(row as SiteRow);
}

export async function findSite(tx: TenantTx, id: string): Promise<Site | undefined> {
  const row = await tx('client_sites').where({ id }).first();
  return row ? toSite(row as SiteRow) : undefined;
}

export async function updateSite(tx: TenantTx, id: string, body: UpdateSiteBody): Promise<Site> {
  const [row] = await tx('client_sites')
    .where({ id })
    .update(definedOnly({ name: body.name, address: body.address ? JSON.stringify(body.address) : undefined, notes: body.notes }))
    .returning('*');
  return toSite(row as SiteRow);
}

export async function deleteSite(tx: TenantTx, id: string): Promise<void> {
  await tx('client_sites').where({ id }).delete();
}

export async function listSites(tx: TenantTx, clientId: string, query: ListQuery): Promise<Page<Site>> {
  const q = tx('client_sites').select('*').where({ client_id: clientId });
  if (query.q) q.whereILike('name', likePattern(query.q));
  return paginate<SiteRow, Site>(q, { sortable: { name: 'name', createdAt: 'created_at' }, defaultSort: 'name', ...pageOpts(query) }, toSite);
}

// ---------------------------------------------------------------- contacts

interface ContactRow {
  id: string;
  client_id: string;
  name: string;
  email: string | null;
  phone: string | null;
  role: string;
  availability: string;
  is_primary: boolean;
  created_at: Date;
  updated_at: Date;
}

const toContact = (row: ContactRow): Contact => ({
  id: row.id,
  clientId: row.client_id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  role: row.role,
  availability: row.availability,
  isPrimary: row.is_primary,
  createdAt: row.created_at.toISOString(),
  updatedAt: row.updated_at.toISOString(),
});

function contactColumns(body: UpdateContactBody): Record<string, unknown> {
  return definedOnly({
    name: body.name,
    email: body.email,
    phone: body.phone,
    role: body.role,
    availability: body.availability,
    is_primary: body.isPrimary,
  });
}

/** Only one primary contact per client: making one primary demotes the others first. */
async function demotePrimary(tx: TenantTx, clientId: string): Promise<void> {
  await tx('contacts').where({ client_id: clientId, is_primary: true }).update({ is_primary: false });
}

export async function insertContact(tx: TenantTx, tenantId: string, clientId: string, id: string, body: CreateContactBody): Promise<Contact> {
  if (body.isPrimary) await demotePrimary(tx, clientId);
  const [row] = await tx('contacts').insert({ tenant_id: tenantId, id, client_id: clientId, ...contactColumns(body) }).returning('*');
  return toContact(row as ContactRow);
}

export async function findContact(tx: TenantTx, id: string): Promise<Contact | undefined> {
  const row = await tx('contacts').where({ id }).first();
  return row ? toContact(row as ContactRow) : undefined;
}

export async function updateContact(tx: TenantTx, contact: Contact, body: UpdateContactBody): Promise<Contact> {
  if (body.isPrimary && !contact.isPrimary) await demotePrimary(tx, contact.clientId);
  const [row] = await tx('contacts')
    .where({ id: contact.id })
    .update({ ...contactColumns(body), updated_at: tx.fn.now() })
    .returning('*');
  return toContact(row as ContactRow);
}

export async function deleteContact(tx: TenantTx, id: string): Promise<void> {
  await tx('contacts').where({ id }).delete();
}

export async function listContacts(tx: TenantTx, clientId: string, query: ListQuery): Promise<Page<Contact>> {
  const q = tx('contacts').select('*').where({ client_id: clientId });
  if (query.q) {
    const like = likePattern(query.q);
    q.where((w) => w.whereILike('name', like).orWhereILike('email', like).orWhereILike('role', like));
  }
  return paginate<ContactRow, Contact>(q, { sortable: { name: 'name', createdAt: 'created_at' }, defaultSort: 'name', ...pageOpts(query) }, toContact);
}

// ---------------------------------------------------------------- interactions and timeline

interface InteractionRow {
  id: string;
  client_id: string;
  kind: Interaction['kind'];
  occurred_at: Date;
  subject: string;
  body: string;
  outcome: string;
  contact_id: string | null;
  author_id: string | null;
  author_name: string | null;
  created_at: Date;
}

const toInteraction = (row: InteractionRow): Interaction => ({
  id: row.id,
  clientId: row.client_id,
  kind: row.kind,
  occurredAt: row.occurred_at.toISOString(),
  subject: row.subject,
  body: row.body,
  outcome: row.outcome,
  contactId: row.contact_id,
  authorId: row.author_id,
  authorName: row.author_name,
  createdAt: row.created_at.toISOString(),
});

export async function insertInteraction(
  tx: TenantTx,
  ids: { tenantId: string; clientId: string; id: string; authorId: string; authorName: string },
  body: CreateInteractionBody,
): Promise<Interaction> {
  const [row] = await tx('interactions')
    .insert({
      tenant_id: ids.tenantId,
      id: ids.id,
      client_id: ids.clientId,
      kind: body.kind,
      occurred_at: body.occurredAt ?? tx.fn.now(),
      subject: body.subject,
      body: body.body ?? '',
      outcome: body.outcome ?? '',
      contact_id: body.contactId ?? null,
      author_id: ids.authorId,
      author_name: ids.authorName,
    })
    .returning('*');
  return toInteraction(row as InteractionRow);
}

export async function listInteractions(tx: TenantTx, clientId: string, query: InteractionListQuery): Promise<Page<Interaction>> {
  const q = tx('interactions').select('*').where({ client_id: clientId });
  if (query.kind) q.where('kind', query.kind);
  if (query.q) q.where((w) => w.whereILike('subject', likePattern(query.q!)).orWhereILike('body', likePattern(query.q!)));
  return paginate<InteractionRow, Interaction>(
    q,
    { sortable: { occurredAt: 'occurred_at' }, defaultSort: '-occurredAt', ...pageOpts(query) },
    toInteraction,
  );
}

interface TimelineRow {
  id: string;
  source: TimelineEntry['source'];
  kind: string;
  at: Date;
  title: string;
  detail: string;
  actor_name: string | null;
  ref_id: string;
}

/**
 * One timeline merged from every source, newest first, with keyset pagination over the union. Later
 * domains (tickets, invoices) add a `union all` branch here.
 */
export async function listTimeline(tx: TenantTx, clientId: string, query: ListQuery): Promise<Page<TimelineEntry>> {
  const union = tx
    .select(
      tx.raw(`'interaction:' || i.id::text as id`),
      tx.raw(`'interaction' as source`),
      'i.kind',
      tx.raw('i.occurred_at as at'),
      tx.raw('i.subject as title'),
      tx.raw('i.outcome as detail'),
      tx.raw('i.author_name as actor_name'),
      tx.raw('i.id::text as ref_id'),
    )
    .from('interactions as i')
    .where('i.client_id', clientId)
    .unionAll((u) =>
      u
        .select(
          tx.raw(`'client:' || c.id::text`),
          tx.raw(`'client'`),
          tx.raw(`'created'`),
          'c.created_at',
          'c.name',
          tx.raw(`''`),
          tx.raw('null'),
          tx.raw('c.id::text'),
        )
        .from('clients as c')
        .where('c.id', clientId),
    )
    .unionAll((u) =>
      u
        .select(
          tx.raw(`'opportunity:' || o.id::text`),
          tx.raw(`'opportunity'`),
          's.kind',
          'o.created_at',
          'o.title',
          tx.raw(`coalesce(o.lost_reason, '')`),
          tx.raw('null'),
          tx.raw('o.id::text'),
        )
        .from('opportunities as o')
        .join('pipeline_stages as s', function () {
          this.on('s.tenant_id', 'o.tenant_id').andOn('s.id', 'o.stage_id');
        })
        .where('o.client_id', clientId),
    )
    .unionAll((u) =>
      u
        .select(
          tx.raw(`'quote:' || q.id::text`),
          tx.raw(`'quote'`),
          'q.status',
          'q.created_at',
          'q.number',
          tx.raw(`''`),
          tx.raw('null'),
          tx.raw('q.id::text'),
        )
        .from('quotes as q')
        .where('q.client_id', clientId),
    )
    .unionAll((u) =>
      u
        .select(
          tx.raw(`'contract:' || k.id::text`),
          tx.raw(`'contract'`),
          'k.status',
          'k.created_at',
          'k.name',
          'k.type',
          tx.raw('null'),
          tx.raw('k.id::text'),
        )
        .from('contracts as k')
        .where('k.client_id', clientId),
    );
  const q = tx.select('*').from(union.as('timeline'));
  return paginate<TimelineRow, TimelineEntry>(
    q,
    { sortable: { at: 'at' }, defaultSort: '-at', ...pageOpts(query) },
    (row) => ({
      id: row.id,
      source: row.source,
      kind: row.kind,
      at: row.at.toISOString(),
      title: row.title,
      detail: row.detail,
      actorName: row.actor_name,
      refId: row.ref_id,
    }),
  );
}
