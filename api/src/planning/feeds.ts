import { AppError, STAFF_ROLES, calendarFeedSchema, idParamsSchema } from '@vigie/core';
import { availabilityRepo, calendarFeedsRepo, interventionsRepo, withTenant } from '@vigie/db';
import { z } from 'zod';
import { hashOpaqueToken, newOpaqueToken } from '../auth/tokens';
import type { AppDeps } from '../deps';
import { BinaryResponse, publicRoute, route, type Actor, type AnyRoute } from '../http/route';
import { renderTechnicianFeed } from './ical';
import { technicianOr404, tenantCalendar } from './technician-calendars';

/**
 * A technician's secret iCalendar feed (Outlook, Google Calendar, Thunderbird subscribe to its URL). The
 * secret is an opaque token stored hashed; a new one revokes the previous one. The feed route is public and
 * takes the secret in the query (`/calendar-feed.ics?token=…`): it has no path parameter, so it stays out of
 * the cross-tenant walk of `:id` routes — its tenant comes from the secret alone.
 */
export const FEED_PATH = '/calendar-feed.ics';
const DAY = 86_400_000;
const PAST_DAYS = 30;
const FUTURE_DAYS = 180;

const baseUrl = (deps: AppDeps) => (deps.config.PUBLIC_URL ?? `http://${deps.config.HOST}:${deps.config.PORT}`).replace(/\/$/, '');

function selfOrAdmin(actor: Actor, technicianId: string): void {
  if (actor.role !== 'admin' && actor.userId !== technicianId) throw new AppError('forbidden', 'only the technician themself or an admin manages their calendar feed');
}

async function renderFeed(deps: AppDeps, token: string): Promise<string> {
  const target = await calendarFeedsRepo.findFeedTarget(deps.db, hashOpaqueToken(token));
  if (!target) throw AppError.notFound('calendar feed');
  const base = baseUrl(deps);
  return withTenant(deps.db, target.tenantId, async (tx) => {
    const owner = await calendarFeedsRepo.feedOwner(tx, target.tenantId, target.userId);
    if (!owner || owner.disabled) throw AppError.notFound('calendar feed');
    const now = Date.now();
    const from = new Date(now - PAST_DAYS * DAY).toISOString();
    const to = new Date(now + FUTURE_DAYS * DAY).toISOString();
    const calendar = await tenantCalendar(tx, target.tenantId);
    const interventions = await interventionsRepo.listInterventions(tx, { from, to, technicianId: target.userId });
    const absences = await availabilityRepo.absencesIn(tx, { technicianId: target.userId, statuses: ['approved'], from, to });
    return renderTechnicianFeed({
      technicianName: owner.name,
      tenantName: owner.tenantName,
      timeZone: calendar.timeZone,
      interventions: interventions.map((i) => ({
        id: i.id,
        start: i.startAt,
        durationMinutes: i.durationMinutes,
        status: i.status,
        mode: i.mode,
        ticketNumber: i.ticketNumber,
        subject: i.ticketSubject,
        clientName: i.clientName,
        address: i.address,
        url: `${base}/tickets/${i.ticketId}`,
        updatedAt: i.updatedAt,
      })),
      absences: absences.map((a) => ({ id: a.id, start: a.startAt, end: a.endAt, kind: a.kind, updatedAt: a.decidedAt ?? a.createdAt })),
    });
  });
}

export const feedRoutes: AnyRoute[] = [
  route({
    method: 'post',
    path: '/technicians/:id/calendar-feed',
    tag: 'planning',
    summary: 'A new secret iCalendar URL for the technician (themself or an admin); the previous one stops working. The URL is shown once',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    response: calendarFeedSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await technicianOr404(tx, ctx.params.id);
        selfOrAdmin(ctx.actor, ctx.params.id);
        const { token, hash } = newOpaqueToken();
        const feed = await calendarFeedsRepo.replaceFeed(tx, ctx.actor.tenantId, ctx.params.id, hash);
        await ctx.audit(tx, { action: 'calendar-feed.create', entity: 'user', entityId: ctx.params.id, after: { feedId: feed.id } });
        return { url: `${baseUrl(ctx.deps)}/api/v1${FEED_PATH}?token=${token}`, createdAt: feed.createdAt };
      }),
  }),
  route({
    method: 'delete',
    path: '/technicians/:id/calendar-feed',
    tag: 'planning',
    summary: 'Revoke the technician’s calendar URL (themself or an admin); nothing to revoke is not an error',
    auth: STAFF_ROLES,
    params: idParamsSchema,
    handler: (ctx) =>
      ctx.tx(async (tx) => {
        await technicianOr404(tx, ctx.params.id);
        selfOrAdmin(ctx.actor, ctx.params.id);
        const revoked = await calendarFeedsRepo.revokeFeeds(tx, ctx.params.id);
        if (revoked > 0) await ctx.audit(tx, { action: 'calendar-feed.revoke', entity: 'user', entityId: ctx.params.id });
      }),
  }),
  publicRoute({
    method: 'get',
    path: FEED_PATH,
    tag: 'planning',
    summary: 'A technician’s iCalendar feed (interventions from 30 days ago to 180 days ahead, approved absences); the secret token is the only credential. Unknown or revoked: 404',
    query: z.strictObject({ token: z.string().min(1).max(200) }),
    produces: 'text/calendar',
    handler: async ({ deps, query }) =>
      new BinaryResponse('text/calendar; charset=utf-8', Buffer.from(await renderFeed(deps, query.token), 'utf8'), 'private, max-age=300'),
  }),
];
