import { STAFF_ROLES, type Role } from '@vigie/core';

export type NavKey =
  | 'dashboard'
  | 'crm'
  | 'contracts'
  | 'tickets'
  | 'planning'
  | 'billing'
  | 'assets'
  | 'playbooks'
  | 'settings'
  | 'support'
  | 'billingSettings'
  | 'users'
  | 'teams'
  | 'audit';

/** A page inside a module (CRM → Clients, Pipeline): shown under its module in the drawer, same roles. */
export interface NavChild {
  /** i18n key under `nav.` and data-test `nav-<testKey>`. */
  key: string;
  testKey: string;
  icon: string;
  path: string;
  /** Narrower than the module's (Tickets → Approbations is for managers); absent: the module's roles. */
  roles?: readonly Role[];
}

export interface NavEntry {
  key: NavKey;
  /** Material icon name (bundled font from @quasar/extras). */
  icon: string;
  /** Where the entry leads (a module with pages leads to its first page). */
  path: string;
  roles: readonly Role[];
  /** Entries of the "Paramètres" section of the drawer. */
  admin?: boolean;
  /** The entry is highlighted on every path under this prefix (its sub-pages included). */
  section?: string;
  children?: readonly NavChild[];
}

const ADMIN: readonly Role[] = ['admin'];
const FINANCE: readonly Role[] = ['admin', 'manager'];

/** The staff navigation: the drawer, the global search and the routes' roles all come from here. */
export const STAFF_NAV: readonly NavEntry[] = [
  { key: 'dashboard', icon: 'space_dashboard', path: '/', roles: STAFF_ROLES },
  {
    key: 'crm',
    icon: 'business',
    path: '/crm/clients',
    section: '/crm',
    roles: STAFF_ROLES,
    children: [
      { key: 'crmClients', testKey: 'crm-clients', icon: 'domain', path: '/crm/clients' },
      { key: 'crmPipeline', testKey: 'crm-pipeline', icon: 'view_kanban', path: '/crm/pipeline' },
      { key: 'crmReminders', testKey: 'crm-reminders', icon: 'alarm', path: '/crm/reminders' },
    ],
  },
  { key: 'contracts', icon: 'description', path: '/contracts', roles: STAFF_ROLES },
  {
    key: 'tickets',
    icon: 'confirmation_number',
    path: '/tickets',
    section: '/tickets',
    roles: STAFF_ROLES,
    children: [
      { key: 'ticketsList', testKey: 'tickets-list', icon: 'list', path: '/tickets' },
      { key: 'ticketApprovals', testKey: 'ticket-approvals', icon: 'fact_check', path: '/tickets/approvals', roles: FINANCE },
    ],
  },
  { key: 'planning', icon: 'event', path: '/planning', roles: STAFF_ROLES },
  {
    key: 'billing',
    icon: 'receipt_long',
    path: '/billing/pre-billing',
    section: '/billing',
    roles: FINANCE,
    children: [
      { key: 'billingPreBilling', testKey: 'billing-pre-billing', icon: 'pending_actions', path: '/billing/pre-billing' },
      { key: 'billingInvoices', testKey: 'billing-invoices', icon: 'receipt', path: '/billing/invoices' },
      { key: 'billingPayments', testKey: 'billing-payments', icon: 'payments', path: '/billing/payments' },
      { key: 'billingRuns', testKey: 'billing-runs', icon: 'event_repeat', path: '/billing/runs' },
      { key: 'billingProfitability', testKey: 'billing-profitability', icon: 'query_stats', path: '/billing/profitability' },
      { key: 'billingExports', testKey: 'billing-exports', icon: 'file_download', path: '/billing/exports' },
    ],
  },
  {
    key: 'assets',
    icon: 'devices',
    path: '/fleet',
    section: '/fleet',
    roles: STAFF_ROLES,
    children: [
      { key: 'fleetMachines', testKey: 'fleet-machines', icon: 'computer', path: '/fleet' },
      { key: 'fleetAlerts', testKey: 'fleet-alerts', icon: 'notifications_active', path: '/fleet/alerts' },
      { key: 'fleetAlertRules', testKey: 'fleet-alert-rules', icon: 'rule', path: '/fleet/alert-rules' },
      { key: 'fleetPolicies', testKey: 'fleet-policies', icon: 'policy', path: '/fleet/policies' },
      { key: 'fleetEnrollment', testKey: 'fleet-enrollment', icon: 'key', path: '/fleet/enrollment', roles: FINANCE },
    ],
  },
  { key: 'playbooks', icon: 'terminal', path: '/playbooks', roles: STAFF_ROLES },
  { key: 'settings', icon: 'tune', path: '/settings', roles: ADMIN, admin: true },
  // Every staff role reads the SLA policies and business hours (they explain the SLA clocks); admins change them.
  { key: 'support', icon: 'support_agent', path: '/settings/support', roles: STAFF_ROLES, admin: true },
  // Managers read the billing settings (terms, dunning ladder); admins change them.
  { key: 'billingSettings', icon: 'request_quote', path: '/settings/billing', roles: FINANCE, admin: true },
  { key: 'users', icon: 'group', path: '/users', roles: ADMIN, admin: true },
  { key: 'teams', icon: 'groups', path: '/settings/teams', roles: ADMIN, admin: true },
  { key: 'audit', icon: 'history', path: '/audit', roles: ADMIN, admin: true },
];

/** The entries a role sees, each with the children it sees. */
export function navFor(role: Role | null): NavEntry[] {
  if (!role) return [];
  return STAFF_NAV.filter((entry) => entry.roles.includes(role)).map((entry) =>
    entry.children ? { ...entry, children: entry.children.filter((child) => !child.roles || child.roles.includes(role)) } : entry,
  );
}

export function rolesOf(key: NavKey, childKey?: string): readonly Role[] {
  const entry = STAFF_NAV.find((e) => e.key === key)!;
  return (childKey && entry.children?.find((c) => c.key === childKey)?.roles) || entry.roles;
}

export interface PortalEntry {
  key: 'tickets' | 'invoices' | 'hours' | 'machines';
  icon: string;
}

export const PORTAL_NAV: readonly PortalEntry[] = [
  { key: 'tickets', icon: 'confirmation_number' },
  { key: 'invoices', icon: 'receipt_long' },
  { key: 'hours', icon: 'hourglass_bottom' },
  { key: 'machines', icon: 'devices' },
];
