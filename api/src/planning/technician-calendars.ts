import { addDays, AppError, startOfLocalDate, validateCalendar, type BusinessCalendar } from '@vigie/core';
import { availabilityRepo, schedulesRepo, slaRepo, type TenantTx } from '@vigie/db';

/**
 * How a technician's working calendar is made: the tenant's business calendar (its time zone and public
 * holidays, else the default office hours in the tenant's zone), with the technician's own working week
 * when one is set.
 */
export const tenantCalendar = (tx: TenantTx, tenantId: string): Promise<BusinessCalendar> => slaRepo.effectiveCalendar(tx, tenantId);

export const withWeek = (tenant: BusinessCalendar, week: BusinessCalendar['week'] | null | undefined): BusinessCalendar => (week ? { ...tenant, week } : tenant);

export async function technicianCalendar(tx: TenantTx, tenantId: string, userId: string): Promise<{ calendar: BusinessCalendar; custom: boolean }> {
  const tenant = await tenantCalendar(tx, tenantId);
  const week = await schedulesRepo.findWeek(tx, userId);
  return { calendar: withWeek(tenant, week), custom: week !== null };
}

/** Throws 400 with each reason when the week is not a valid working week in the tenant's zone. */
export function checkWeek(tenant: BusinessCalendar, week: BusinessCalendar['week']): void {
  const reasons = validateCalendar({ ...tenant, week });
  if (reasons.length > 0) throw AppError.invalid(`invalid working week: ${reasons.join('; ')}`, reasons.map((message) => ({ path: 'week', message })));
}

/** A staff member of the tenant (a client user, another tenant's user or nobody: 404). */
export async function technicianOr404(tx: TenantTx, id: string) {
  const user = await availabilityRepo.findStaffMember(tx, id);
  if (!user) throw AppError.notFound('technician');
  return user;
}

export const coreAbsence = availabilityRepo.asPlanningAbsence;

/** The instants [start, end) covering the local dates fromDate … toDate included. */
export function dateSpan(fromDate: string, toDate: string, timeZone: string): { from: string; to: string } {
  return { from: startOfLocalDate(fromDate, timeZone), to: startOfLocalDate(addDays(toDate, 1), timeZone) };
}

/** The Monday 'YYYY-MM-DD' of the week holding a date. */
export function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay(); // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7));
}
