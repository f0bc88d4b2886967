import type passport from 'passport';
import type { AppDeps } from './deps';
import type { AnyRoute } from './http/route';
import { authRoutes } from './auth/routes';
import { userRoutes } from './users/routes';
import { tenantRoutes } from './tenants/routes';
import { auditRoutes } from './audit/routes';
import { clientRoutes } from './clients/routes';
import { pipelineRoutes } from './pipeline/routes';
import { documentRoutes } from './documents/routes';
import { reminderRoutes } from './reminders/routes';
import { quoteRoutes } from './quotes/routes';
import { contractRoutes } from './contracts/routes';
import { timeRoutes } from './time/routes';
import { ticketRoutes } from './tickets/routes';
import { staffRoutes } from './staff/routes';
import { teamRoutes } from './teams/routes';
import { slaRoutes } from './sla/routes';
import { ticketMailRoutes } from './ticket-mail/routes';
import { availabilityRoutes } from './planning/availability';
import { interventionRoutes } from './planning/interventions';
import { billingRoutes } from './billing/routes';
import { invoiceTemplateRoutes } from './billing/template';
import { exportRoutes } from './billing/exports';
import { onlinePaymentRoutes } from './billing/online-payments';
import { agentRoutes } from './agents/routes';
import { alertRoutes } from './alerts/routes';
// Before agentRoutes: /machines/stream must not match /machines/:id.
import { fleetStreamRoutes } from './agents/fleet-stream';
import { commandRoutes } from './agents/commands';
import { agentCredentialRoutes } from './agents/credential-routes';
import { agentInstallRoutes } from './agents/install-routes';
import { machineStateRoutes } from './agents/state-routes';
import { agentPolicyRoutes } from './agents/policy-routes';

/** Every API route, in one list: mounted on Express, documented in OpenAPI, walked by the cross-tenant test. */
export function allRoutes(deps: AppDeps, passportInstance: passport.PassportStatic): AnyRoute[] {
  return [...authRoutes(deps, passportInstance), ...userRoutes, ...tenantRoutes, ...auditRoutes, ...clientRoutes, ...documentRoutes(deps), ...pipelineRoutes, ...quoteRoutes, ...reminderRoutes, ...contractRoutes, ...ticketRoutes(deps), ...staffRoutes, ...teamRoutes, ...timeRoutes, ...slaRoutes, ...ticketMailRoutes, ...availabilityRoutes, ...interventionRoutes, ...billingRoutes, ...exportRoutes, ...invoiceTemplateRoutes, ...onlinePaymentRoutes(deps), ...fleetStreamRoutes(deps), ...agentRoutes(deps), ...alertRoutes, ...commandRoutes(deps), ...agentCredentialRoutes(deps), ...agentInstallRoutes, ...machineStateRoutes, ...agentPolicyRoutes];
}
