import { randomUUID } from 'node:crypto';
import { nkeys } from 'nats';
import { notificationsRepo, withTenant } from '@vigie/db';
import { uniqueEmail, type Session, type TestApi } from '../support/harness';

/**
 * How to make, in tenant A, an object that each `:id` route can address. Every route with a path
 * parameter must have an entry here (the cross-tenant test fails otherwise): later domains register
 * their routes by adding a fixture, not by copying the test.
 */
export interface CrossTenantFixture {
  /** Express path as registered, e.g. `/users/:id`. */
  path: string;
  /** Creates the object as tenant A's admin; returns the path parameters that address it. */
  create(api: TestApi, owner: Session): Promise<Record<string, string>>;
  /** A body that passes validation, per method, so the answer is about ownership, not input. */
  validBody?: Partial<Record<'post' | 'put' | 'patch' | 'delete', unknown>>;
  /** A query string that passes validation, per method (e.g. `filename=x.pdf`). */
  validQuery?: Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', string>>;
}

let sirenSeq = 100_000_00;
/** A fresh valid SIREN (Luhn) per call, so fixtures never collide on duplicate detection. */
export function nextSiren(): string {
  for (;;) {
    const base = String(sirenSeq++).padStart(8, '0');
    for (let check = 0; check < 10; check++) {
      const candidate = base + check;
      let sum = 0;
      for (let i = 0; i < 9; i++) {
        let d = Number(candidate[8 - i]);
        if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
        sum += d;
      }
      if (sum % 10 === 0) return candidate;
    }
  }
}

async function createClient(api: TestApi, owner: Session): Promise<string> {
  const res = await api.call('POST', '/api/v1/clients', { token: owner.token, body: { name: 'Victim Client', siren: nextSiren() } });
  if (res.status !== 201) throw new Error(`fixture client: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function createChild(api: TestApi, owner: Session, kind: 'sites' | 'contacts', body: unknown): Promise<string> {
  const clientId = await createClient(api, owner);
  const res = await api.call('POST', `/api/v1/clients/${clientId}/${kind}`, { token: owner.token, body });
  if (res.status !== 201) throw new Error(`fixture ${kind}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const clientScoped = (path: string, validPost?: unknown): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createClient(api, owner) }),
  ...(validPost ? { validBody: { post: validPost } } : {}),
});

export async function uploadDocument(api: TestApi, owner: Session, clientId?: string): Promise<string> {
  const cid = clientId ?? (await createClient(api, owner));
  const res = await fetch(`${api.url}/api/v1/clients/${cid}/documents?filename=secret.txt&category=contract`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
    body: 'Contrat confidentiel',
  });
  if (res.status !== 201) throw new Error(`fixture document: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

export async function createOpportunityFor(api: TestApi, owner: Session): Promise<string> {
  const clientId = await createClient(api, owner);
  const res = await api.call('POST', '/api/v1/opportunities', { token: owner.token, body: { clientId, title: 'Deal', amountCents: 100_00 } });
  if (res.status !== 201) throw new Error(`fixture opportunity: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

async function createReminder(api: TestApi, owner: Session): Promise<string> {
  const res = await api.call('POST', '/api/v1/reminders', {
    token: owner.token,
    body: { title: 'Relance', dueAt: new Date(Date.now() + 86_400_000).toISOString() },
  });
  if (res.status !== 201) throw new Error(`fixture reminder: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const reminderScoped = (path: string, validPost?: unknown): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createReminder(api, owner) }),
  ...(validPost ? { validBody: { post: validPost } } : {}),
});

export const crossTenantFixtures: CrossTenantFixture[] = [
  reminderScoped('/reminders/:id'),
  reminderScoped('/reminders/:id/snooze', { until: '2030-01-01T00:00:00Z' }),
  reminderScoped('/reminders/:id/done'),
  {
    // Notifications are made by workflows; the fixture writes one the way the activity does.
    path: '/notifications/:id/read',
    create: async (api, owner) => {
      const id = randomUUID();
      await withTenant(api.deps.db, owner.user.tenantId, async (tx) => {
        await notificationsRepo.notify(tx, { tenantId: owner.user.tenantId, userId: owner.user.id, kind: 'test', title: 'Secret', body: '', link: null, sourceKey: `fixture:${id}` });
        await tx('notifications').where({ source_key: `fixture:${id}` }).update({ id });
      });
      return { id };
    },
  },
  {
    path: '/pipeline/stages/:id',
    create: async (api, owner) => {
      const res = await api.call('POST', '/api/v1/pipeline/stages', { token: owner.token, body: { name: `Étape ${Date.now()}`, probability: 30 } });
      if (res.status !== 201) throw new Error(`fixture stage: ${res.status}`);
      return { id: res.body.id };
    },
    validBody: { patch: { name: 'Hijacked' } },
  },
  {
    path: '/opportunities/:id',
    create: async (api, owner) => ({ id: await createOpportunityFor(api, owner) }),
    validBody: { patch: { title: 'Hijacked' } },
  },
  {
    path: '/opportunities/:id/move',
    create: async (api, owner) => ({ id: await createOpportunityFor(api, owner) }),
    // B moves A's opportunity to one of B's own stages: still A's object, still 404.
    validBody: { post: { stageId: '00000000-0000-4000-8000-000000000000' } },
  },
  { ...clientScoped('/clients/:id'), validBody: { patch: { name: 'Hijacked' } } },
  clientScoped('/clients/:id/sites', { name: 'Siège', address: { city: 'Lyon' } }),
  clientScoped('/clients/:id/contacts', { name: 'Eve' }),
  clientScoped('/clients/:id/interactions', { kind: 'note', subject: 'Intrusion' }),
  clientScoped('/clients/:id/timeline'),
  { ...clientScoped('/clients/:id/documents', 'not really a file'), validQuery: { post: 'filename=x.txt' } },
  {
    path: '/documents/:id',
    create: async (api, owner) => ({ id: await uploadDocument(api, owner) }),
  },
  {
    path: '/documents/:id/content',
    create: async (api, owner) => ({ id: await uploadDocument(api, owner) }),
  },
  {
    path: '/sites/:id',
    create: async (api, owner) => ({ id: await createChild(api, owner, 'sites', { name: 'Agence', address: { city: 'Nantes' } }) }),
    validBody: { patch: { name: 'Hijacked' } },
  },
  {
    path: '/contacts/:id',
    create: async (api, owner) => ({ id: await createChild(api, owner, 'contacts', { name: 'Claire' }) }),
    validBody: { patch: { name: 'Hijacked' } },
  },
  {
    path: '/users/:id',
    async create(api, owner) {
      const res = await api.call('POST', '/api/v1/users', {
        token: owner.token,
        body: { email: uniqueEmail('victim'), name: 'Victim', role: 'technician', password: 'a long victim password' },
      });
      if (res.status !== 201) throw new Error(`fixture /users/:id: ${res.status}`);
      return { id: res.body.id };
    },
    validBody: { patch: { name: 'Hijacked' } },
  },
  { path: '/enrollment-tokens/:id', create: async (api, owner) => ({ id: (await createEnrollmentToken(api, owner)).id }) },
  {
    path: '/machines/:id',
    async create(api, owner) {
      const { token } = await createEnrollmentToken(api, owner);
      const nkeyPublic = nkeys.createUser().getPublicKey();
      const res = await api.call('POST', '/api/v1/agents/enroll', { body: { token, hostname: 'victim-pc', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic } });
      if (res.status !== 201) throw new Error(`fixture machine: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.machineId };
    },
  },
  {
    path: '/machines/:id/metrics',
    async create(api, owner) {
      const { token } = await createEnrollmentToken(api, owner);
      const nkeyPublic = nkeys.createUser().getPublicKey();
      const res = await api.call('POST', '/api/v1/agents/enroll', { body: { token, hostname: 'victim-pc', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic } });
      if (res.status !== 201) throw new Error(`fixture machine: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.machineId };
    },
  },
];

async function createEnrollmentToken(api: TestApi, owner: Session): Promise<{ id: string; token: string }> {
  const clientId = await createClient(api, owner);
  const res = await api.call('POST', '/api/v1/enrollment-tokens', { token: owner.token, body: { clientId } });
  if (res.status !== 201) throw new Error(`fixture enrollment token: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function createQuote(api: TestApi, owner: Session): Promise<string> {
  const opportunityId = await createOpportunityFor(api, owner);
  const res = await api.call('POST', `/api/v1/opportunities/${opportunityId}/quote`, {
    token: owner.token,
    body: { lines: [{ description: 'Audit', quantity: 1, unitPriceCents: 100_00, vatRate: 20 }] },
  });
  if (res.status !== 201) throw new Error(`fixture quote: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const quoteScoped = (path: string): CrossTenantFixture => ({ path, create: async (api, owner) => ({ id: await createQuote(api, owner) }) });

crossTenantFixtures.push(
  {
    path: '/opportunities/:id/quote',
    create: async (api, owner) => ({ id: await createOpportunityFor(api, owner) }),
    validBody: { post: { lines: [{ description: 'Intrusion', quantity: 1, unitPriceCents: 1, vatRate: 20 }] } },
  },
  { ...quoteScoped('/quotes/:id'), validBody: { patch: { notes: 'Hijacked' } } },
  quoteScoped('/quotes/:id/send'),
  quoteScoped('/quotes/:id/accept'),
  quoteScoped('/quotes/:id/decline'),
  quoteScoped('/quotes/:id/pdf'),
);

crossTenantFixtures.push({
  path: '/contacts/:id/invite',
  create: async (api, owner) => {
    const clientId = await createClient(api, owner);
    const res = await api.call('POST', `/api/v1/clients/${clientId}/contacts`, {
      token: owner.token,
      body: { name: 'Invitée', email: `invitee-${Date.now()}-${Math.random().toString(36).slice(2)}@client.test` },
    });
    return { id: res.body.id };
  },
});

export async function createHourBankContract(api: TestApi, owner: Session, clientId?: string): Promise<string> {
  const res = await api.call('POST', '/api/v1/contracts', {
    token: owner.token,
    body: { type: 'hour_bank', clientId: clientId ?? (await createClient(api, owner)), name: 'Banque confidentielle', hourBank: {} },
  });
  if (res.status !== 201) throw new Error(`fixture contract: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const contractScoped = (path: string, validBody?: CrossTenantFixture['validBody']): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createHourBankContract(api, owner) }),
  ...(validBody ? { validBody } : {}),
});

crossTenantFixtures.push(
  contractScoped('/contracts/:id', { patch: { name: 'Hijacked' } }),
  contractScoped('/contracts/:id/blocks', { post: { minutes: 600, priceCents: 0 } }),
  contractScoped('/contracts/:id/adjustments', { post: { minutes: 60, reason: 'intrusion' } }),
  contractScoped('/contracts/:id/ledger'),
  contractScoped('/contracts/:id/burndown'),
);

export async function createTicket(api: TestApi, owner: Session): Promise<string> {
  const res = await api.call('POST', '/api/v1/tickets', { token: owner.token, body: { clientId: await createClient(api, owner), subject: 'Imprimante en panne' } });
  if (res.status !== 201) throw new Error(`fixture ticket: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const ticketScoped = (path: string, extra: Omit<CrossTenantFixture, 'path' | 'create'> = {}): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createTicket(api, owner) }),
  ...extra,
});

crossTenantFixtures.push(
  ticketScoped('/tickets/:id', { validBody: { patch: { subject: 'Hijacked' } } }),
  ticketScoped('/tickets/:id/assign', { validBody: { post: { technicianId: null } } }),
  ticketScoped('/tickets/:id/status', { validBody: { post: { status: 'in_progress' } } }),
  ticketScoped('/tickets/:id/comments', { validBody: { post: { body: 'Intrusion' } } }),
  ticketScoped('/tickets/:id/timeline'),
  ticketScoped('/tickets/:id/attachments', { validBody: { post: 'not really a file' }, validQuery: { post: 'filename=x.txt' } }),
  {
    path: '/tickets/:id/attachments/:documentId/content',
    create: async (api, owner) => {
      const id = await createTicket(api, owner);
      const res = await fetch(`${api.url}/api/v1/tickets/${id}/attachments?filename=log.txt`, {
        method: 'POST',
        headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'text/plain' },
        body: 'journal confidentiel',
      });
      if (res.status !== 201) throw new Error(`fixture attachment: ${res.status} ${await res.text()}`);
      return { id, documentId: ((await res.json()) as { id: string }).id };
    },
  },
  {
    path: '/ticket-views/:id',
    create: async (api, owner) => {
      const res = await api.call('POST', '/api/v1/ticket-views', { token: owner.token, body: { name: `Vue ${randomUUID()}`, filters: { status: 'open' } } });
      if (res.status !== 201) throw new Error(`fixture view: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id };
    },
  },
);

async function createTimeEntry(api: TestApi, owner: Session): Promise<string> {
  const ticketId = await createTicket(api, owner);
  const res = await api.call('POST', `/api/v1/tickets/${ticketId}/time-entries`, {
    token: owner.token,
    body: { date: '2026-11-02', minutes: 45, description: 'Diagnostic confidentiel' },
  });
  if (res.status !== 201) throw new Error(`fixture time entry: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const timeEntryScoped = (path: string, validBody?: CrossTenantFixture['validBody']): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createTimeEntry(api, owner) }),
  ...(validBody ? { validBody } : {}),
});

crossTenantFixtures.push(
  ticketScoped('/tickets/:id/time-entries', { validBody: { post: { date: '2026-11-02', minutes: 30, description: 'Intrusion' } } }),
  ticketScoped('/tickets/:id/timer/start'),
  timeEntryScoped('/time-entries/:id', { patch: { minutes: 5 } }),
  timeEntryScoped('/time-entries/:id/approve', { post: {} }),
  timeEntryScoped('/time-entries/:id/reject', { post: { comment: 'Intrusion' } }),
);

crossTenantFixtures.push({
  path: '/sla-policies/:id',
  create: async (api, owner) => {
    const targets = { firstResponseMinutes: 60, resolutionMinutes: 240 };
    const res = await api.call('POST', '/api/v1/sla-policies', {
      token: owner.token,
      body: { name: 'Contrat or confidentiel', targets: { low: targets, normal: targets, high: targets, critical: targets } },
    });
    if (res.status !== 201) throw new Error(`fixture SLA policy: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id };
  },
  validBody: { patch: { name: 'Hijacked' } },
});

crossTenantFixtures.push({
  path: '/teams/:id',
  create: async (api, owner) => {
    const res = await api.call('POST', '/api/v1/teams', { token: owner.token, body: { name: `Équipe ${randomUUID()}`, memberIds: [owner.user.id] } });
    if (res.status !== 201) throw new Error(`fixture team: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id };
  },
  validBody: { patch: { name: 'Hijacked' } },
});

// Planning availability: tenant A's absences; tenant A's admin as the technician whose schedule,
// calendar and calendar feed are addressed.
const absenceScoped = (path: string, validBody?: CrossTenantFixture['validBody']): CrossTenantFixture => ({
  path,
  create: async (api, owner) => {
    const res = await api.call('POST', '/api/v1/absences', {
      token: owner.token,
      body: { kind: 'sick', startAt: '2027-05-10T07:00:00Z', endAt: '2027-05-10T16:00:00Z', reason: 'Absence confidentielle' },
    });
    if (res.status !== 201) throw new Error(`fixture absence: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.id };
  },
  ...(validBody ? { validBody } : {}),
});
const technicianScoped = (path: string, extra: Omit<CrossTenantFixture, 'path' | 'create'> = {}): CrossTenantFixture => ({
  path,
  create: async (_api, owner) => ({ id: owner.user.id }),
  ...extra,
});
crossTenantFixtures.push(
  absenceScoped('/absences/:id'),
  absenceScoped('/absences/:id/approve', { post: { comment: 'Intrusion' } }),
  absenceScoped('/absences/:id/reject', { post: { comment: 'Intrusion' } }),
  technicianScoped('/technicians/:id/schedule', { validBody: { put: { week: null } } }),
  technicianScoped('/technicians/:id/calendar', { validQuery: { get: 'from=2027-05-10T00:00:00Z&to=2027-05-17T00:00:00Z' } }),
  technicianScoped('/technicians/:id/calendar-feed'),
);

async function createIntervention(api: TestApi, owner: Session): Promise<string> {
  const ticketId = await createTicket(api, owner);
  const res = await api.call('POST', '/api/v1/interventions', {
    token: owner.token,
    body: { ticketId, mode: 'onsite', startAt: '2030-06-03T07:00:00Z', durationMinutes: 60, technicianIds: [owner.user.id], force: true },
  });
  if (res.status !== 201) throw new Error(`fixture intervention: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

const interventionScoped = (path: string, validBody?: CrossTenantFixture['validBody']): CrossTenantFixture => ({
  path,
  create: async (api, owner) => ({ id: await createIntervention(api, owner) }),
  ...(validBody ? { validBody } : {}),
});

crossTenantFixtures.push(
  interventionScoped('/interventions/:id', { patch: { notes: 'Intrusion', startAt: '2030-06-04T07:00:00Z', force: true } }),
  interventionScoped('/interventions/:id/cancel'),
  interventionScoped('/interventions/:id/complete', { post: {} }),
);

// Billing: tenant A's draft invoice (lines addressable), issued invoice and payment.
async function createInvoice(api: TestApi, owner: Session, issued: boolean): Promise<{ id: string; lineId: string }> {
  const clientId = await createClient(api, owner);
  const res = await api.call('POST', '/api/v1/invoices', { token: owner.token, body: { clientId, lines: [{ description: 'Secret', quantity: 1, unitPriceCents: 10_000, vatRate: 20 }] } });
  if (res.status !== 201) throw new Error(`fixture invoice: ${res.status} ${JSON.stringify(res.body)}`);
  if (issued) {
    const legal = { siren: nextSiren(), address: { line1: '1 rue A', postalCode: '75001', city: 'Paris', country: 'FR' } };
    await api.call('PATCH', '/api/v1/settings', { token: owner.token, body: { legal } });
    const validated = await api.call('POST', `/api/v1/invoices/${res.body.id}/validate`, { token: owner.token });
    if (validated.status !== 200) throw new Error(`fixture invoice validation: ${validated.status} ${JSON.stringify(validated.body)}`);
  }
  return { id: res.body.id, lineId: res.body.lines[0].id };
}

const invoiceScoped = (path: string, issued: boolean, validBody?: CrossTenantFixture['validBody']): CrossTenantFixture => ({
  path,
  create: async (api, owner): Promise<Record<string, string>> => {
    const { id, lineId } = await createInvoice(api, owner, issued);
    return path.includes(':lineId') ? { id, lineId } : { id };
  },
  ...(validBody ? { validBody } : {}),
});

crossTenantFixtures.push(
  invoiceScoped('/invoices/:id', false, { patch: { notes: 'Intrusion' } }),
  invoiceScoped('/invoices/:id/merge-lines', false, { post: { lineIds: [randomUUID(), randomUUID()] } }),
  invoiceScoped('/invoices/:id/lines/:lineId/defer', false),
  invoiceScoped('/invoices/:id/validate', false),
  invoiceScoped('/invoices/:id/credit-notes', true, { post: { reason: 'Intrusion' } }),
  invoiceScoped('/invoices/:id/workflow', true),
  invoiceScoped('/invoices/:id/payment-link', true),
  {
    path: '/billing/runs/:id',
    create: async (api, owner) => {
      const res = await api.call('POST', '/api/v1/billing/runs', { token: owner.token, body: { frequency: 'yearly', periodStart: '2031-01-01' } });
      if (res.status !== 202) throw new Error(`fixture billing run: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id };
    },
  },
  {
    path: '/payments/:id',
    create: async (api, owner) => {
      const { id } = await createInvoice(api, owner, true);
      const invoice = await api.call('GET', `/api/v1/invoices/${id}`, { token: owner.token });
      const res = await api.call('POST', '/api/v1/payments', { token: owner.token, body: { clientId: invoice.body.clientId, paidAt: '2026-11-20', method: 'transfer', amountCents: 1_000 } });
      if (res.status !== 201) throw new Error(`fixture payment: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: res.body.id };
    },
  },
);

/** Query strings that list routes with required filters need (path → query), so tenant B's list is really read. */
export const crossTenantListQueries: Record<string, string> = {
  '/interventions': 'from=2030-06-01T00:00:00Z&to=2030-06-30T00:00:00Z',
};

async function enrollMachine(api: TestApi, owner: Session): Promise<string> {
  const { token } = await createEnrollmentToken(api, owner);
  const nkeyPublic = nkeys.createUser().getPublicKey();
  const res = await api.call('POST', '/api/v1/agents/enroll', { body: { token, hostname: 'victim-pc', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic } });
  if (res.status !== 201) throw new Error(`fixture machine: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.machineId;
}

async function createCommand(api: TestApi, owner: Session): Promise<Record<string, string>> {
  const machineId = await enrollMachine(api, owner);
  const res = await api.call('POST', `/api/v1/machines/${machineId}/commands`, { token: owner.token, body: { name: 'ping' } });
  if (res.status !== 201) throw new Error(`fixture command: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id };
}

crossTenantFixtures.push(
  { path: '/machines/:id/commands', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }), validBody: { post: { name: 'ping' } } },
  { path: '/commands/:id', create: createCommand },
  // Tenant A's command, still sent: tenant B may not cancel it.
  { path: '/commands/:id/cancel', create: createCommand },
);

// RMM alerting: tenant A's alert rule, an alert of it on A's machine, and A's machine tags.
async function enrollVictimMachine(api: TestApi, owner: Session): Promise<string> {
  const { token } = await createEnrollmentToken(api, owner);
  const nkeyPublic = nkeys.createUser().getPublicKey();
  const res = await api.call('POST', '/api/v1/agents/enroll', { body: { token, hostname: 'victim-srv', os: { name: 'Debian' }, agentVersion: '0.1.0', nkeyPublic } });
  if (res.status !== 201) throw new Error(`fixture machine: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.machineId;
}

async function createAlertRule(api: TestApi, owner: Session): Promise<string> {
  const res = await api.call('POST', '/api/v1/alert-rules', { token: owner.token, body: { name: 'Victim CPU', kind: 'metric_threshold', condition: { metric: 'cpu', threshold: 90 } } });
  if (res.status !== 201) throw new Error(`fixture alert rule: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

crossTenantFixtures.push(
  { path: '/alert-rules/:id', create: async (api, owner) => ({ id: await createAlertRule(api, owner) }), validBody: { patch: { name: 'Hijacked' } } },
  {
    path: '/alerts/:id',
    async create(api, owner) {
      const [machineId, ruleId] = [await enrollVictimMachine(api, owner), await createAlertRule(api, owner)];
      const id = randomUUID();
      const tenantId = owner.user.tenantId;
      const at = new Date().toISOString();
      await withTenant(api.deps.db, tenantId, (tx) => tx('alerts').insert({ tenant_id: tenantId, id, rule_id: ruleId, machine_id: machineId, opened_at: at, last_observed_at: at }));
      return { id };
    },
  },
  { path: '/machines/:id/tags', create: async (api, owner) => ({ id: await enrollVictimMachine(api, owner) }), validBody: { put: { tags: ['hijacked'] } } },
);

// Agent credentials: disabling or enabling tenant A's machine.
crossTenantFixtures.push(
  { path: '/machines/:id/disable', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
  { path: '/machines/:id/enable', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
);

// Machine state: tenant A's machine's services, security products and system events.
crossTenantFixtures.push(
  { path: '/machines/:id/services', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
  { path: '/machines/:id/security', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
  { path: '/machines/:id/events', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
);

// Agent policies: tenant A's policy, and the policy tenant A's machine follows.
async function createAgentPolicy(api: TestApi, owner: Session): Promise<string> {
  const res = await api.call('POST', '/api/v1/agent-policies', { token: owner.token, body: { name: 'Victim policy', watchServices: ['nginx'] } });
  if (res.status !== 201) throw new Error(`fixture agent policy: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id;
}

crossTenantFixtures.push(
  { path: '/agent-policies/:id', create: async (api, owner) => ({ id: await createAgentPolicy(api, owner) }), validBody: { patch: { name: 'Hijacked', metricsIntervalSeconds: 300 } } },
  { path: '/machines/:id/policy', create: async (api, owner) => ({ id: await enrollMachine(api, owner) }) },
);
