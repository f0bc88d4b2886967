import {
  AppError,
  frenchPublicHolidays,
  validateCalendar,
  type BusinessCalendar,
  type SlaPolicy,
  type SlaPolicyBody,
} from '@vigie/core';
import { slaRepo, tenantsRepo, type TenantTx } from '@vigie/db';
import { signalTicket } from '@vigie/workflows/client';
import type { AuthedContext } from '../http/route';

type Ctx = AuthedContext<unknown, unknown, unknown>;

/** Tenants from before SLA policies (or whose onboarding is late) get the standard one on first use. */
export async function policies(ctx: Ctx, tx: TenantTx): Promise<SlaPolicy[]> {
  await slaRepo.ensureDefaultPolicy(tx, ctx.actor.tenantId);
  return slaRepo.listPolicies(tx);
}

async function policyOr404(tx: TenantTx, id: string): Promise<SlaPolicy> {
  const policy = await slaRepo.findPolicy(tx, id);
  if (!policy) throw AppError.notFound('SLA policy');
  return policy;
}

export const getPolicy = (ctx: Ctx, id: string) => ctx.tx((tx) => policyOr404(tx, id));

export async function createPolicy(ctx: Ctx, body: SlaPolicyBody): Promise<SlaPolicy> {
  const policy = await ctx.tx(async (tx) => {
    await slaRepo.ensureDefaultPolicy(tx, ctx.actor.tenantId);
    const created = await slaRepo.insertPolicy(tx, ctx.actor.tenantId, body);
    await ctx.audit(tx, { action: 'sla-policy.create', entity: 'sla_policy', entityId: created.id, after: created });
    return created;
  });
  // A new default changes the targets of every ticket without a policy of its own.
  if (policy.isDefault) await reloadOpenTickets(ctx);
  return policy;
}

export async function updatePolicy(ctx: Ctx, id: string, patch: Partial<SlaPolicyBody>): Promise<SlaPolicy> {
  const policy = await ctx.tx(async (tx) => {
    const before = await policyOr404(tx, id);
    if (patch.isDefault === false && before.isDefault) throw AppError.conflict('a tenant always has one default SLA policy: make another policy the default instead');
    const after = await slaRepo.updatePolicy(tx, ctx.actor.tenantId, id, patch);
    await ctx.audit(tx, { action: 'sla-policy.update', entity: 'sla_policy', entityId: id, before, after });
    return after;
  });
  await reloadOpenTickets(ctx);
  return policy;
}

/** The calendar SLAs are counted on: the tenant's own, else Monday–Friday office hours in its time zone. */
export async function calendar(ctx: Ctx, tx: TenantTx): Promise<BusinessCalendar> {
  await tenantsRepo.ensureTenantSettings(tx, ctx.actor.tenantId);
  return slaRepo.effectiveCalendar(tx, ctx.actor.tenantId);
}

function checkCalendar(c: BusinessCalendar): void {
  const reasons = validateCalendar(c);
  if (reasons.length > 0) throw AppError.invalid(`invalid business calendar: ${reasons.join('; ')}`, reasons.map((message) => ({ path: '', message })));
}

async function saveCalendar(ctx: Ctx, change: (current: BusinessCalendar) => BusinessCalendar): Promise<BusinessCalendar> {
  const saved = await ctx.tx(async (tx) => {
    const before = await calendar(ctx, tx);
    const after = change(before);
    checkCalendar(after);
    await slaRepo.setBusinessCalendar(tx, ctx.actor.tenantId, after);
    await ctx.audit(tx, { action: 'business-calendar.update', entity: 'tenant', entityId: ctx.actor.tenantId, before: { ...before }, after: { ...after } });
    return after;
  });
  await reloadOpenTickets(ctx);
  return saved;
}

export const putCalendar = (ctx: Ctx, body: BusinessCalendar) =>
  saveCalendar(ctx, () => ({ ...body, holidays: [...new Set(body.holidays)].sort() }));

/** Adds a year's French public holidays to the calendar (dates already there stay once). */
export const addFrenchHolidays = (ctx: Ctx, year: number) =>
  saveCalendar(ctx, (current) => ({ ...current, holidays: [...new Set([...current.holidays, ...frenchPublicHolidays(year)])].sort() }));

/**
 * Tells every ticket still open that its policy or calendar may have changed, a few at a time. The change
 * is committed already: a ticket Temporal cannot be told about now is logged, not an error for the caller.
 */
async function reloadOpenTickets(ctx: Ctx): Promise<void> {
  const { tenantId } = ctx.actor;
  const ids = await ctx.tx((tx) => slaRepo.openTicketIds(tx));
  const at = new Date().toISOString();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const ticketId = ids[next++]!;
      await signalTicket(ctx.deps.temporal, { tenantId, ticketId }, { kind: 'reload', at }).catch((err: unknown) =>
        ctx.deps.log.warn({ err, tenantId, ticketId }, 'ticket workflow not told of the SLA change'),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, ids.length) }, worker));
}
