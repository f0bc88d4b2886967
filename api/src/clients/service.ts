import { randomUUID } from 'node:crypto';
import {
  AppError,
  type Client,
  type Contact,
  type CreateClientBody,
  type CreateContactBody,
  type CreateInteractionBody,
  type Interaction,
  type Site,
  type SiteBody,
  type UpdateClientBody,
  type UpdateContactBody,
  type UpdateSiteBody,
} from '@vigie/core';
import { clientsRepo, usersRepo, type TenantTx } from '@vigie/db';
import { deliverInvitation, inviteUser, NO_PASSWORD } from '../users/invitations';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

export async function findClientOr404(tx: TenantTx, id: string): Promise<Client> {
  const client = await clientsRepo.findClient(tx, id);
  if (!client) throw AppError.notFound('client');
  return client;
}

/** Duplicate detection on SIREN/SIRET, naming the client that already holds it. */
async function assertNoDuplicate(tx: TenantTx, body: UpdateClientBody, exceptId?: string): Promise<void> {
  const siren = body.siren ?? body.siret?.slice(0, 9);
  const existing = await clientsRepo.findClientByIdentifiers(tx, { siren, siret: body.siret }, exceptId);
  if (existing)
    throw new AppError('conflict', `client "${existing.name}" (${existing.id}) already has this SIREN/SIRET`, [
      { path: body.siret && existing.siret === body.siret ? 'siret' : 'siren', message: `already used by ${existing.name}`, code: 'duplicate' },
    ]);
}

export async function createClient(ctx: Ctx, body: CreateClientBody): Promise<Client> {
  return ctx.tx(async (tx) => {
    await assertNoDuplicate(tx, body);
    const client = await clientsRepo.insertClient(tx, ctx.actor.tenantId, randomUUID(), body);
    await ctx.audit(tx, { action: 'client.create', entity: 'client', entityId: client.id, after: client });
    return client;
  });
}

export async function updateClient(ctx: Ctx, id: string, body: UpdateClientBody): Promise<Client> {
  return ctx.tx(async (tx) => {
    const before = await findClientOr404(tx, id);
    await assertNoDuplicate(tx, body, id);
    const after = await clientsRepo.updateClient(tx, id, body);
    await ctx.audit(tx, { action: 'client.update', entity: 'client', entityId: id, before, after });
    return after;
  });
}

// ---------------------------------------------------------------- sites

async function findSiteOr404(tx: TenantTx, id: string): Promise<Site> {
  const site = await clientsRepo.findSite(tx, id);
  if (!site) throw AppError.notFound('site');
  return site;
}

export async function createSite(ctx: Ctx, clientId: string, body: SiteBody): Promise<Site> {
  return ctx.tx(async (tx) => {
    await findClientOr404(tx, clientId);
    const site = await clientsRepo.insertSite(tx, ctx.actor.tenantId, clientId, randomUUID(), body);
    await ctx.audit(tx, { action: 'site.create', entity: 'site', entityId: site.id, after: site });
    return site;
  });
}

export async function updateSite(ctx: Ctx, id: string, body: UpdateSiteBody): Promise<Site> {
  return ctx.tx(async (tx) => {
    const before = await findSiteOr404(tx, id);
    const after = await clientsRepo.updateSite(tx, id, body);
    await ctx.audit(tx, { action: 'site.update', entity: 'site', entityId: id, before, after });
    return after;
  });
}

export async function deleteSite(ctx: Ctx, id: string): Promise<void> {
  await ctx.tx(async (tx) => {
    const before = await findSiteOr404(tx, id);
    await clientsRepo.deleteSite(tx, id);
    await ctx.audit(tx, { action: 'site.delete', entity: 'site', entityId: id, before });
  });
}

export async function getSite(ctx: Ctx, id: string): Promise<Site> {
  return ctx.tx((tx) => findSiteOr404(tx, id));
}

// ---------------------------------------------------------------- contacts

async function findContactOr404(tx: TenantTx, id: string): Promise<Contact> {
  const contact = await clientsRepo.findContact(tx, id);
  if (!contact) throw AppError.notFound('contact');
  return contact;
}

export async function createContact(ctx: Ctx, clientId: string, body: CreateContactBody): Promise<Contact> {
  return ctx.tx(async (tx) => {
    await findClientOr404(tx, clientId);
    const contact = await clientsRepo.insertContact(tx, ctx.actor.tenantId, clientId, randomUUID(), body);
    await ctx.audit(tx, { action: 'contact.create', entity: 'contact', entityId: contact.id, after: contact });
    return contact;
  });
}

export async function getContact(ctx: Ctx, id: string): Promise<Contact> {
  return ctx.tx((tx) => findContactOr404(tx, id));
}

export async function updateContact(ctx: Ctx, id: string, body: UpdateContactBody): Promise<Contact> {
  return ctx.tx(async (tx) => {
    const before = await findContactOr404(tx, id);
    const after = await clientsRepo.updateContact(tx, before, body);
    await ctx.audit(tx, { action: 'contact.update', entity: 'contact', entityId: id, before, after });
    return after;
  });
}

export async function deleteContact(ctx: Ctx, id: string): Promise<void> {
  await ctx.tx(async (tx) => {
    const before = await findContactOr404(tx, id);
    await clientsRepo.deleteContact(tx, id);
    await ctx.audit(tx, { action: 'contact.delete', entity: 'contact', entityId: id, before });
  });
}

// ---------------------------------------------------------------- interactions

export async function createInteraction(ctx: Ctx, clientId: string, body: CreateInteractionBody): Promise<Interaction> {
  return ctx.tx(async (tx) => {
    await findClientOr404(tx, clientId);
    if (body.contactId) {
      const contact = await clientsRepo.findContact(tx, body.contactId);
      if (!contact || contact.clientId !== clientId)
        throw AppError.invalid('contactId is not a contact of this client', [{ path: 'contactId', message: 'unknown contact for this client' }]);
    }
    const interaction = await clientsRepo.insertInteraction(
      tx,
      { tenantId: ctx.actor.tenantId, clientId, id: randomUUID(), authorId: ctx.actor.userId, authorName: ctx.actor.name },
      body,
    );
    await ctx.audit(tx, { action: 'interaction.create', entity: 'interaction', entityId: interaction.id, after: { clientId, kind: body.kind, subject: body.subject } });
    return interaction;
  });
}

/**
 * Portal access for a contact: a `client` user tied to the contact's client. Inviting again re-sends the
 * link while it has not been accepted; an account already in use answers 409.
 */
export async function inviteContact(ctx: Ctx, contactId: string) {
  const pending = await ctx.tx(async (tx) => {
    const contact = await findContactOr404(tx, contactId);
    if (!contact.email) throw AppError.invalid('this contact has no e-mail address', [{ path: 'email', message: 'required to invite' }]);
    const linked = await tx('contacts').where({ id: contactId }).first('portal_user_id');
    let user = linked?.portal_user_id ? await usersRepo.findUserById(tx, linked.portal_user_id as string) : undefined;
    if (user && user.password_hash !== NO_PASSWORD) throw AppError.conflict('this contact already has portal access');
    if (!user) {
      const taken = await usersRepo.findLoginTarget(ctx.deps.db, contact.email);
      if (taken) throw AppError.conflict('an account with this e-mail already exists');
      user = await usersRepo.insertUser(tx, ctx.actor.tenantId, {
        id: randomUUID(),
        email: contact.email,
        name: contact.name,
        role: 'client',
        clientId: contact.clientId,
        passwordHash: NO_PASSWORD,
      });
      await tx('contacts').where({ id: contactId }).update({ portal_user_id: user.id });
    }
    const invitation = await inviteUser(ctx.deps, tx, ctx.actor, user);
    await ctx.audit(tx, { action: 'contact.invite', entity: 'contact', entityId: contactId, after: { userId: user.id, email: user.email } });
    return invitation;
  });
  return deliverInvitation(ctx.deps, ctx.actor.tenantId, pending);
}
