import type { RouteRecordRaw } from 'vue-router';
import { STAFF_ROLES } from '@vigie/core';
import { PORTAL_NAV, STAFF_NAV, rolesOf, type NavEntry, type NavKey, type PortalEntry } from './navigation';

const MainLayout = () => import('@/layouts/MainLayout.vue');
const PortalLayout = () => import('@/layouts/PortalLayout.vue');
const AuthLayout = () => import('@/layouts/AuthLayout.vue');
const PlaceholderPage = () => import('@/pages/PlaceholderPage.vue');

/** Modules still to come: each has its route and roles now, and an empty state saying what will be there. */
const FUTURE_MODULES: NavKey[] = ['playbooks'];

const modulePage = ({ key, icon, roles }: NavEntry): RouteRecordRaw => ({
  path: key,
  name: key,
  component: PlaceholderPage,
  props: { icon, titleKey: `nav.${key}`, textKey: `modules.${key}`, module: true },
  meta: { roles, titleKey: `nav.${key}` },
});

/** CRM: clients (list and record), the sales pipeline and quotes; /crm alone opens the client list. */
const crmRoutes: RouteRecordRaw = {
  path: 'crm',
  meta: { roles: rolesOf('crm') },
  children: [
    { path: '', name: 'crm', redirect: { name: 'crm-clients' } },
    { path: 'clients', name: 'crm-clients', component: () => import('@/pages/CrmClientsPage.vue'), meta: { titleKey: 'nav.crmClients' } },
    {
      path: 'clients/:id',
      name: 'crm-client',
      component: () => import('@/pages/CrmClientPage.vue'),
      props: true,
      meta: { titleKey: 'crm.client.title' },
    },
    {
      path: 'quotes/new/:opportunityId',
      name: 'crm-quote-new',
      component: () => import('@/pages/CrmQuotePage.vue'),
      props: true,
      meta: { titleKey: 'quotes.new' },
    },
    { path: 'quotes/:id', name: 'crm-quote', component: () => import('@/pages/CrmQuotePage.vue'), props: true, meta: { titleKey: 'quotes.title' } },
    { path: 'reminders', name: 'crm-reminders', component: () => import('@/pages/CrmRemindersPage.vue'), meta: { titleKey: 'nav.crmReminders' } },
    { path: 'pipeline', name: 'crm-pipeline', component: () => import('@/pages/CrmPipelinePage.vue'), meta: { titleKey: 'nav.crmPipeline' } },
  ],
};

/** Contracts: the list, then one contract (hour bank balance, packs, ledger). */
const contractRoutes: RouteRecordRaw = {
  path: 'contracts',
  meta: { roles: rolesOf('contracts') },
  children: [
    { path: '', name: 'contracts', component: () => import('@/pages/ContractsPage.vue'), meta: { titleKey: 'nav.contracts' } },
    { path: ':id', name: 'contract', component: () => import('@/pages/ContractPage.vue'), props: true, meta: { titleKey: 'contracts.contract' } },
  ],
};

/** Tickets: the list, time approval (managers), then one ticket (timeline, SLA, time). */
const ticketRoutes: RouteRecordRaw = {
  path: 'tickets',
  meta: { roles: rolesOf('tickets') },
  children: [
    { path: '', name: 'tickets', component: () => import('@/pages/TicketsPage.vue'), meta: { titleKey: 'nav.tickets' } },
    {
      path: 'approvals',
      name: 'ticket-approvals',
      component: () => import('@/pages/TicketApprovalsPage.vue'),
      meta: { roles: rolesOf('tickets', 'ticketApprovals'), titleKey: 'nav.ticketApprovals' },
    },
    { path: ':id', name: 'ticket', component: () => import('@/pages/TicketPage.vue'), props: true, meta: { titleKey: 'nav.tickets' } },
  ],
};

/**
 * Billing: the pre-billing queue first (what waits to be invoiced; /billing alone opens it), invoices and
 * credit notes, payments, billing runs, profitability and the accounting exports.
 */
const billingRoutes: RouteRecordRaw = {
  path: 'billing',
  meta: { roles: rolesOf('billing') },
  children: [
    { path: '', name: 'billing', redirect: { name: 'billing-pre-billing' } },
    {
      path: 'pre-billing',
      name: 'billing-pre-billing',
      component: () => import('@/pages/PreBillingPage.vue'),
      meta: { roles: rolesOf('billing', 'billingPreBilling'), titleKey: 'nav.billingPreBilling' },
    },
    { path: 'invoices', name: 'billing-invoices', component: () => import('@/pages/InvoicesPage.vue'), meta: { titleKey: 'nav.billingInvoices' } },
    { path: 'invoices/:id', name: 'billing-invoice', component: () => import('@/pages/InvoicePage.vue'), props: true, meta: { titleKey: 'nav.billingInvoices' } },
    { path: 'payments', name: 'billing-payments', component: () => import('@/pages/PaymentsPage.vue'), meta: { titleKey: 'nav.billingPayments' } },
    { path: 'runs', name: 'billing-runs', component: () => import('@/pages/BillingRunsPage.vue'), meta: { titleKey: 'nav.billingRuns' } },
    {
      path: 'profitability',
      name: 'billing-profitability',
      component: () => import('@/pages/ProfitabilityPage.vue'),
      meta: { titleKey: 'nav.billingProfitability' },
    },
    { path: 'exports', name: 'billing-exports', component: () => import('@/pages/AccountingExportsPage.vue'), meta: { titleKey: 'nav.billingExports' } },
  ],
};

/**
 * Parc (fleet): the machines, one machine (live state, metrics, commands, alerts), the alerts and their rules,
 * the agent policies, the enrollment tokens (admins, managers).
 */
const fleetRoutes: RouteRecordRaw = {
  path: 'fleet',
  meta: { roles: rolesOf('assets') },
  children: [
    { path: '', name: 'fleet', component: () => import('@/pages/FleetPage.vue'), meta: { titleKey: 'nav.assets' } },
    {
      path: 'enrollment',
      name: 'fleet-enrollment',
      component: () => import('@/pages/EnrollmentTokensPage.vue'),
      meta: { roles: rolesOf('assets', 'fleetEnrollment'), titleKey: 'nav.fleetEnrollment' },
    },
    { path: 'alerts', name: 'fleet-alerts', component: () => import('@/pages/AlertsPage.vue'), meta: { titleKey: 'nav.fleetAlerts' } },
    { path: 'alert-rules', name: 'fleet-alert-rules', component: () => import('@/pages/AlertRulesPage.vue'), meta: { titleKey: 'nav.fleetAlertRules' } },
    { path: 'policies', name: 'fleet-policies', component: () => import('@/pages/AgentPoliciesPage.vue'), meta: { titleKey: 'nav.fleetPolicies' } },
    { path: ':id', name: 'fleet-machine', component: () => import('@/pages/MachinePage.vue'), props: true, meta: { titleKey: 'nav.assets' } },
  ],
};

/** The portal pages built so far; the others still say what will be there. */
const PORTAL_PAGES: Partial<Record<PortalEntry['key'], () => Promise<unknown>>> = {
  tickets: () => import('@/pages/PortalTicketsPage.vue'),
  hours: () => import('@/pages/PortalHoursPage.vue'),
};

const authPage = (name: 'login' | 'signup', page: () => Promise<unknown>): RouteRecordRaw => ({
  path: `/${name}`,
  component: AuthLayout,
  meta: { public: true, guestOnly: true },
  children: [{ path: '', name, component: page, meta: { titleKey: `auth.${name}.title` } }],
});

export const routes: RouteRecordRaw[] = [
  authPage('login', () => import('@/pages/LoginPage.vue')),
  authPage('signup', () => import('@/pages/SignupPage.vue')),
  // The e-mailed invitation link: public, and open even with a session (someone may invite themselves a second account).
  {
    path: '/invitation',
    component: AuthLayout,
    meta: { public: true },
    children: [{ path: '', name: 'invitation', component: () => import('@/pages/InvitationPage.vue'), meta: { titleKey: 'auth.invitation.title' } }],
  },
  {
    path: '/',
    component: MainLayout,
    meta: { roles: STAFF_ROLES },
    children: [
      { path: '', name: 'dashboard', component: () => import('@/pages/DashboardPage.vue'), meta: { titleKey: 'nav.dashboard' } },
      crmRoutes,
      contractRoutes,
      ticketRoutes,
      billingRoutes,
      fleetRoutes,
      // The former address of the fleet.
      { path: 'assets', redirect: { name: 'fleet' } },
      { path: 'planning', name: 'planning', component: () => import('@/pages/PlanningPage.vue'), meta: { roles: rolesOf('planning'), titleKey: 'nav.planning' } },
      ...STAFF_NAV.filter((entry) => FUTURE_MODULES.includes(entry.key)).map(modulePage),
      { path: 'settings', name: 'settings', component: () => import('@/pages/SettingsPage.vue'), meta: { roles: rolesOf('settings'), titleKey: 'nav.settings' } },
      {
        path: 'settings/support',
        name: 'settings-support',
        component: () => import('@/pages/SupportSettingsPage.vue'),
        meta: { roles: rolesOf('support'), titleKey: 'nav.support' },
      },
      {
        path: 'settings/billing',
        name: 'settings-billing',
        component: () => import('@/pages/BillingSettingsPage.vue'),
        meta: { roles: rolesOf('billingSettings'), titleKey: 'nav.billingSettings' },
      },
      {
        path: 'settings/teams',
        name: 'settings-teams',
        component: () => import('@/pages/TeamsPage.vue'),
        meta: { roles: rolesOf('teams'), titleKey: 'nav.teams' },
      },
      { path: 'users', name: 'users', component: () => import('@/pages/UsersPage.vue'), meta: { roles: rolesOf('users'), titleKey: 'nav.users' } },
      { path: 'audit', name: 'audit', component: () => import('@/pages/AuditLogPage.vue'), meta: { roles: rolesOf('audit'), titleKey: 'nav.audit' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('@/pages/ForbiddenPage.vue'), meta: { titleKey: 'forbidden.title' } },
    ],
  },
  {
    path: '/portal',
    component: PortalLayout,
    meta: { roles: ['client'], portal: true },
    children: [
      { path: '', name: 'portal', redirect: { name: 'portal-tickets' } },
      ...PORTAL_NAV.map(({ key, icon }): RouteRecordRaw => {
        const page = PORTAL_PAGES[key];
        return page
          ? { path: key, name: `portal-${key}`, component: page, meta: { titleKey: `portal.${key}` } }
          : {
              path: key,
              name: `portal-${key}`,
              component: PlaceholderPage,
              props: { icon, titleKey: `portal.${key}`, textKey: `portal.${key}Empty` },
              meta: { titleKey: `portal.${key}` },
            };
      }),
      { path: 'tickets/:id', name: 'portal-ticket', component: () => import('@/pages/PortalTicketPage.vue'), props: true, meta: { titleKey: 'portal.tickets' } },
      // The portal's contracts are its hour banks: the former address leads there.
      { path: 'contracts', redirect: { name: 'portal-hours' } },
    ],
  },
  { path: '/:pathMatch(.*)*', name: 'not-found', component: () => import('@/pages/NotFoundPage.vue'), meta: { public: true, titleKey: 'notFound.title' } },
];
