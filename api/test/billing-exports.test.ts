import { addDays, endOfMonth, FEC_COLUMNS, QUICKBOOKS_JOURNAL_COLUMNS, XERO_MANUAL_JOURNAL_COLUMNS, XERO_SALES_INVOICE_COLUMNS } from '@vigie/core';
import { startTestWorker } from '../../worker/test/support/worker';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, type Session, type TestApi, startTestApi } from './support/harness';

/**
 * Accounting exports and profitability through the real API, Postgres and a worker: a month with two
 * invoices for one client (20 % and 5.5 % lines), a credit note, one payment settling both, an unpaid
 * invoice for a second client on a time-and-material contract, and approved technician time at a cost
 * rate. The FEC, Sage, QuickBooks and Xero files are read back line by line; another tenant's invoice of
 * the same days never shows.
 */
let api: TestApi;
let admin: Session;
let manager: Session;
let tech: Session;
let worker: { stop(): Promise<void> };

const siren = nextSiren();
const CUSTOMER = 'Boulangerie Dupain';
const OTHER_CUSTOMER = 'Garage Central';
const FOREIGN_CUSTOMER = 'Concurrent Secret SA';

/** What the month holds, filled by beforeAll. */
const m = {
  from: '',
  to: '',
  day: '',
  clientX: '',
  clientY: '',
  contractY: '',
  a: { id: '', number: '', dueDate: '' },
  b: { id: '', number: '', dueDate: '' },
  c: { id: '', number: '', dueDate: '' },
  note: { id: '', number: '' },
  foreignClient: '',
};

const call = (method: string, path: string, body?: unknown, token = admin.token) => api.call(method, `/api/v1${path}`, { token, ...(body !== undefined ? { body } : {}) });

async function download(path: string, token = admin.token) {
  const res = await fetch(`${api.url}/api/v1${path}`, { headers: { authorization: `Bearer ${token}` } });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, type: res.headers.get('content-type'), disposition: res.headers.get('content-disposition'), bytes, text: bytes.toString('utf8') };
}

const line = (description: string, quantity: number, unitPriceCents: number, vatRate = 20) => ({ description, quantity, unitPriceCents, vatRate });

async function newClient(session: Session, name: string): Promise<string> {
  const res = await api.call('POST', '/api/v1/clients', { token: session.token, body: { name, siren: nextSiren(), billingAddress: { line1: '1 place Bellecour', postalCode: '69002', city: 'Lyon', country: 'FR' } } });
  expect(res.status).toBe(201);
  const contact = await api.call('POST', `/api/v1/clients/${res.body.id}/contacts`, { token: session.token, body: { name: 'Compta', email: `compta-${res.body.id.slice(0, 8)}@client.test`, isPrimary: true } });
  expect(contact.status).toBe(201);
  return res.body.id;
}

async function issue(session: Session, body: Record<string, unknown>): Promise<{ id: string; number: string; issueDate: string; dueDate: string; totalCents: number }> {
  const draft = await api.call('POST', '/api/v1/invoices', { token: session.token, body });
  expect(draft.status).toBe(201);
  const validated = await api.call('POST', `/api/v1/invoices/${draft.body.id}/validate`, { token: session.token });
  expect(validated.status).toBe(200);
  return validated.body;
}

async function approvedTime(ticketId: string, date: string, minutes: number, billable = true): Promise<void> {
  const e = await call('POST', `/tickets/${ticketId}/time-entries`, { date, minutes, description: `Intervention ${minutes} min`, billable }, tech.token);
  expect(e.status).toBe(201);
  expect((await call('POST', `/time-entries/${e.body.id}/approve`, {}, manager.token)).status).toBe(200);
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  manager = await sessionAs(api, admin, 'manager');
  tech = await sessionAs(api, admin, 'technician');
  worker = await startTestWorker(['billing', 'crm', 'tickets', 'contracts']);
  const legal = { legalName: 'Infogérance Martin SARL', legalForm: 'SARL', siren, vatNumber: '', address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', country: 'FR' } };
  expect((await call('PATCH', '/settings', { legal, timezone: 'Europe/Paris' })).status).toBe(200);
  // 45 €/h internal cost: 90 min → 67.50 €.
  expect((await call('PATCH', `/users/${tech.user.id}`, { costRateCents: 4_500 })).status).toBe(200);

  m.clientX = await newClient(admin, CUSTOMER);
  m.clientY = await newClient(admin, OTHER_CUSTOMER);
  const tm = await call('POST', '/contracts', { type: 'time_material', clientId: m.clientY, name: 'Régie Garage', hourlyRateCents: 9_000 });
  expect(tm.status).toBe(201);
  m.contractY = tm.body.id;
  expect((await call('PATCH', `/contracts/${m.contractY}`, { status: 'active' })).status).toBe(200);

  // A: 1 000.00 at 20 % + 2 × 10.50 at 5.5 % (21.00 → 1.155 → 1.16) = 1 021.00 + 201.16 = 1 222.16.
  const a = await issue(admin, { clientId: m.clientX, lines: [line('Infogérance mensuelle', 1, 100_000), line('Documentation', 2, 1_050, 5.5)] });
  // B: 3 × 90.00 at 20 % = 270.00 + 54.00 = 324.00.
  const b = await issue(admin, { clientId: m.clientX, lines: [line('Intervention sur site', 3, 9_000)] });
  // C, unpaid, on Y's contract: 500.00 + 100.00 = 600.00.
  const c = await issue(admin, { clientId: m.clientY, contractId: m.contractY, lines: [line('Audit réseau', 1, 50_000)] });
  expect([a.totalCents, b.totalCents, c.totalCents]).toEqual([122_216, 32_400, 60_000]);
  m.a = a;
  m.b = b;
  m.c = c;
  m.day = a.issueDate;
  m.from = `${m.day.slice(0, 8)}01`;
  m.to = endOfMonth(m.day);
  // A quarter of A's first line credited: −250.00 − 50.00 = −300.00.
  const note = await call('POST', `/invoices/${a.id}/credit-notes`, { lines: [{ position: 1, quantity: 0.25 }], reason: 'Remise commerciale' });
  expect(note.status).toBe(201);
  expect(note.body.totalCents).toBe(-30_000);
  m.note = note.body;
  // One transfer settles what is left of A and all of B: 922.16 + 324.00 = 1 246.16.
  const paid = await call('POST', '/payments', { clientId: m.clientX, paidAt: m.day, method: 'transfer', reference: 'VIR-0042', amountCents: 124_616, invoiceIds: [a.id, b.id] });
  expect(paid.status).toBe(201);
  expect(paid.body.unallocatedCents).toBe(0);

  // Time: X 90 min billable + 30 min not billable; Y 60 min on the contract; not counted: Y's time of
  // the previous month and time still pending.
  const ticketX = (await call('POST', '/tickets', { clientId: m.clientX, subject: 'Caisse en panne' })).body;
  const ticketY = (await call('POST', '/tickets', { clientId: m.clientY, subject: 'Switch', contractId: m.contractY })).body;
  await approvedTime(ticketX.id, m.from, 90);
  await approvedTime(ticketX.id, m.from, 30, false);
  await approvedTime(ticketY.id, m.from, 60);
  await approvedTime(ticketY.id, addDays(m.from, -1), 120);
  expect((await call('POST', `/tickets/${ticketY.id}/time-entries`, { date: m.from, minutes: 240, description: 'En attente' }, tech.token)).status).toBe(201);
}, 120_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const ymd = (d: string) => d.replaceAll('-', '');
const dmy = (d: string) => `${d.slice(8, 10)}/${d.slice(5, 7)}/${d.slice(0, 4)}`;
const auxOf = (clientId: string) => `411${clientId.slice(0, 8).toUpperCase()}`;
const range = () => `from=${m.from}&to=${m.to}`;
const records = (text: string, end = '\r\n') => {
  expect(text.endsWith(end)).toBe(true);
  return text.slice(0, -end.length).split(end);
};

describe('FEC', () => {
  it('has the header and every journal line: 18 tab-separated fields, balanced, lettered, named after the SIREN', async () => {
    const res = await download(`/billing/exports/fec?${range()}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/plain; charset=utf-8');
    const name = `${siren}FEC${ymd(m.to)}.txt`;
    expect(res.disposition).toContain(`attachment; filename="${name}"`);
    const [header, ...lines] = records(res.text);
    expect(header).toBe(FEC_COLUMNS.join('\t'));
    const rows = lines.map((l) => l.split('\t'));
    for (const r of rows) expect(r).toHaveLength(18);
    const cents = (s: string) => Number(s.replace(',', ''));
    const debit = rows.reduce((s, r) => s + cents(r[11]!), 0);
    const credit = rows.reduce((s, r) => s + cents(r[12]!), 0);
    expect(debit).toBe(credit);
    expect(debit).toBe(124_616 + 30_000 + 122_216 + 32_400 + 60_000);

    const d = ymd(m.day);
    const X = [auxOf(m.clientX), CUSTOMER];
    const pay = `Règlement virement ${CUSTOMER} ${m.a.number} ${m.b.number}`;
    const lib = (word: string, n: string, who = CUSTOMER) => `${word} ${n} ${who}`;
    const ve = (num: number, account: string, label: string, aux: string[], piece: string, text: string, dr: string, cr: string, lettered: boolean) =>
      ['VE', 'Journal des ventes', String(num), d, account, label, ...aux, piece, d, text, dr, cr, lettered ? 'AA' : '', lettered ? d : '', d, '', ''];
    const none = ['', ''];
    // Same day: bank journal first; sales entries by piece number (the credit note AV-… before FA-…).
    expect(rows).toEqual([
      ['BQ', 'Journal de banque', '1', d, '512000', 'Banque', '', '', 'VIR-0042', d, pay, '1246,16', '0,00', '', '', d, '', ''],
      ['BQ', 'Journal de banque', '1', d, '411000', 'Clients', ...X, 'VIR-0042', d, pay, '0,00', '1246,16', 'AA', d, d, '', ''],
      ve(1, '411000', 'Clients', X, m.note.number, lib('Avoir', m.note.number), '0,00', '300,00', true),
      ve(1, '706000', 'Prestations de services', none, m.note.number, lib('Avoir', m.note.number), '250,00', '0,00', false),
      ve(1, '445712', 'TVA collectée 20 %', none, m.note.number, lib('Avoir', m.note.number), '50,00', '0,00', false),
      ve(2, '411000', 'Clients', X, m.a.number, lib('Facture', m.a.number), '1222,16', '0,00', true),
      ve(2, '706000', 'Prestations de services', none, m.a.number, lib('Facture', m.a.number), '0,00', '1000,00', false),
      ve(2, '706000', 'Prestations de services', none, m.a.number, lib('Facture', m.a.number), '0,00', '21,00', false),
      ve(2, '445712', 'TVA collectée 20 %', none, m.a.number, lib('Facture', m.a.number), '0,00', '200,00', false),
      ve(2, '445713', 'TVA collectée 5,5 %', none, m.a.number, lib('Facture', m.a.number), '0,00', '1,16', false),
      ve(3, '411000', 'Clients', X, m.b.number, lib('Facture', m.b.number), '324,00', '0,00', true),
      ve(3, '706000', 'Prestations de services', none, m.b.number, lib('Facture', m.b.number), '0,00', '270,00', false),
      ve(3, '445712', 'TVA collectée 20 %', none, m.b.number, lib('Facture', m.b.number), '0,00', '54,00', false),
      ve(4, '411000', 'Clients', [auxOf(m.clientY), OTHER_CUSTOMER], m.c.number, lib('Facture', m.c.number, OTHER_CUSTOMER), '600,00', '0,00', false),
      ve(4, '706000', 'Prestations de services', none, m.c.number, lib('Facture', m.c.number, OTHER_CUSTOMER), '0,00', '500,00', false),
      ve(4, '445712', 'TVA collectée 20 %', none, m.c.number, lib('Facture', m.c.number, OTHER_CUSTOMER), '0,00', '100,00', false),
    ]);
  });

  it('can be written in ISO-8859-15', async () => {
    const utf8 = await download(`/billing/exports/fec?${range()}`);
    const latin = await download(`/billing/exports/fec?${range()}&encoding=iso-8859-15`);
    expect(latin.status).toBe(200);
    expect(latin.type).toBe('text/plain; charset=iso-8859-15');
    expect(new TextDecoder('iso-8859-15').decode(latin.bytes)).toBe(utf8.text);
    expect(latin.bytes.includes(Buffer.from('collect\u00e9e', 'latin1'))).toBe(true);
    expect(latin.bytes.length).toBeLessThan(utf8.bytes.length);
  });

  it('of an empty range is the header alone', async () => {
    const res = await download('/billing/exports/fec?from=2020-01-01&to=2020-12-31');
    expect(res.status).toBe(200);
    expect(res.text).toBe(FEC_COLUMNS.join('\t') + '\r\n');
    expect(res.disposition).toContain(`filename="${siren}FEC20201231.txt"`);
  });
});

describe('Sage, QuickBooks and Xero', () => {
  it('Sage: ; separated journal lines in Windows-1252, header on request', async () => {
    const res = await download(`/billing/exports/sage?${range()}`, manager.token);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/csv; charset=windows-1252');
    expect(res.disposition).toContain(`filename="vigie-sage-${m.from}-${m.to}.csv"`);
    const rows = records(new TextDecoder('windows-1252').decode(res.bytes));
    expect(rows).toHaveLength(16);
    const d = dmy(m.day);
    expect(rows).toEqual(
      expect.arrayContaining([
        `BQ;${d};512000;;VIR-0042;Règlement virement ${CUSTOMER} ${m.a.number} ${m.b.number};1246,16;`,
        `VE;${d};411000;${auxOf(m.clientX)};${m.a.number};Facture ${m.a.number} ${CUSTOMER};1222,16;`,
        `VE;${d};445713;;${m.a.number};Facture ${m.a.number} ${CUSTOMER};;1,16`,
        `VE;${d};411000;${auxOf(m.clientX)};${m.b.number};Facture ${m.b.number} ${CUSTOMER};324,00;`,
        `VE;${d};706000;;${m.note.number};Avoir ${m.note.number} ${CUSTOMER};250,00;`,
      ]),
    );
    const withHeader = await download(`/billing/exports/sage?${range()}&header=true&encoding=utf-8`);
    expect(withHeader.type).toBe('text/csv; charset=utf-8');
    expect(records(withHeader.text)[0]).toBe('journal;date;compte;compte tiers;pièce;libellé;débit;crédit');
    expect((await download('/billing/exports/sage?from=2020-01-01&to=2020-01-31')).text).toBe('');
  });

  it('QuickBooks: journal entry import, one Journal No. per entry', async () => {
    const res = await download(`/billing/exports/quickbooks?${range()}`);
    expect(res.status).toBe(200);
    expect(res.type).toBe('text/csv; charset=utf-8');
    expect(res.disposition).toContain(`filename="vigie-quickbooks-${m.from}-${m.to}.csv"`);
    const [header, ...rows] = records(res.text);
    expect(header).toBe(QUICKBOOKS_JOURNAL_COLUMNS.join(','));
    expect(rows).toHaveLength(16);
    const d = dmy(m.day);
    expect(rows).toEqual(
      expect.arrayContaining([
        `VE-2,${d},Clients,1222.16,,Facture ${m.a.number} ${CUSTOMER},${CUSTOMER},EUR`,
        `VE-2,${d},"TVA collectée 5,5 %",,1.16,Facture ${m.a.number} ${CUSTOMER},,EUR`,
        `VE-3,${d},Clients,324.00,,Facture ${m.b.number} ${CUSTOMER},${CUSTOMER},EUR`,
        `VE-4,${d},Clients,600.00,,Facture ${m.c.number} ${OTHER_CUSTOMER},${OTHER_CUSTOMER},EUR`,
        `BQ-1,${d},Banque,1246.16,,Règlement virement ${CUSTOMER} ${m.a.number} ${m.b.number},,EUR`,
      ]),
    );
    const us = await download(`/billing/exports/quickbooks?${range()}&dateLayout=mm/dd/yyyy&account=number`);
    expect(records(us.text)).toContain(`VE-2,${m.day.slice(5, 7)}/${m.day.slice(8, 10)}/${m.day.slice(0, 4)},411000,1222.16,,Facture ${m.a.number} ${CUSTOMER},${CUSTOMER},EUR`);
    expect((await download('/billing/exports/quickbooks?from=2020-01-01&to=2020-01-31')).text).toBe(QUICKBOOKS_JOURNAL_COLUMNS.join(',') + '\r\n');
  });

  it('Xero: manual journal lines and sales invoice lines', async () => {
    const journal = await download(`/billing/exports/xero-journal?${range()}`);
    expect(journal.status).toBe(200);
    expect(journal.disposition).toContain(`filename="vigie-xero-journal-${m.from}-${m.to}.csv"`);
    const [jHeader, ...jRows] = records(journal.text);
    expect(jHeader).toBe(XERO_MANUAL_JOURNAL_COLUMNS.join(','));
    expect(jRows).toHaveLength(16);
    const d = dmy(m.day);
    expect(jRows).toEqual(
      expect.arrayContaining([
        `VE-2 Facture ${m.a.number} ${CUSTOMER},${d},${CUSTOMER},411000,Tax Exempt,1222.16,,,,`,
        `VE-2 Facture ${m.a.number} ${CUSTOMER},${d},Prestations de services,706000,Tax Exempt,-1000.00,,,,`,
        `VE-1 Avoir ${m.note.number} ${CUSTOMER},${d},${CUSTOMER},411000,Tax Exempt,-300.00,,,,`,
      ]),
    );

    const invoices = await download(`/billing/exports/xero-invoices?${range()}`);
    expect(invoices.status).toBe(200);
    expect(invoices.type).toBe('text/csv; charset=utf-8');
    expect(invoices.disposition).toContain(`filename="vigie-xero-invoices-${m.from}-${m.to}.csv"`);
    const [iHeader, ...iRows] = records(invoices.text);
    expect(iHeader).toBe(XERO_SALES_INVOICE_COLUMNS.join(','));
    // A's two lines, B, C and the credit note's line.
    expect(iRows).toHaveLength(5);
    const email = `compta-${m.clientX.slice(0, 8)}@client.test`;
    const address = '1 place Bellecour,,,,Lyon,,69002,FR';
    expect(iRows).toEqual(
      expect.arrayContaining([
        `${CUSTOMER},${email},${address},${m.a.number},,${d},${dmy(m.a.dueDate)},,Infogérance mensuelle,1,1000.00,,706000,20% (VAT on Income),,,,,EUR,`,
        `${CUSTOMER},${email},${address},${m.a.number},,${d},${dmy(m.a.dueDate)},,Documentation,2,10.50,,706000,5.5% (VAT on Income),,,,,EUR,`,
        `${CUSTOMER},${email},${address},${m.b.number},,${d},${dmy(m.b.dueDate)},,Intervention sur site,3,90.00,,706000,20% (VAT on Income),,,,,EUR,`,
      ]),
    );
    const noteRow = iRows.find((r) => r.includes(m.note.number))!;
    expect(noteRow).toContain(',Infogérance mensuelle,0.25,-1000.00,,706000,20% (VAT on Income),');
  });
});

describe('ranges, roles and tenants', () => {
  it('refuses a range that is not a range of at most one year, with field errors', async () => {
    const cases: [string, string][] = [
      ['from=2026-03-31&to=2026-03-01', 'query.to'],
      ['from=2026-01-01&to=2027-01-01', 'query.to'],
      ['from=2026-02-30&to=2026-03-31', 'query.from'],
      ['from=2026-01-01', 'query.to'],
      ['to=2026-01-31', 'query.from'],
    ];
    for (const path of ['fec', 'sage', 'quickbooks', 'xero-journal', 'xero-invoices']) {
      for (const [query, field] of cases) {
        const res = await call('GET', `/billing/exports/${path}?${query}`);
        expect([path, query, res.status]).toEqual([path, query, 400]);
        expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([field]);
      }
    }
    // A whole year is one range; so is a leap year.
    expect((await download('/billing/exports/fec?from=2026-01-01&to=2026-12-31')).status).toBe(200);
    expect((await download('/billing/exports/fec?from=2024-01-01&to=2024-12-31')).status).toBe(200);
    expect((await call('GET', '/billing/exports/fec?from=2026-01-01&to=2026-01-31&encoding=latin1')).status).toBe(400);
    expect((await call('GET', '/billing/profitability?from=2026-03-31&to=2026-03-01')).body.errors).toEqual([expect.objectContaining({ path: 'query.to' })]);
    expect((await call('GET', '/billing/profitability?from=2026-03-01')).status).toBe(400);
    expect((await call('GET', '/billing/profitability?groupBy=ticket')).status).toBe(400);
  });

  it('is for admins and managers only', async () => {
    for (const path of ['fec', 'sage', 'quickbooks', 'xero-journal', 'xero-invoices']) {
      expect([path, (await call('GET', `/billing/exports/${path}?${range()}`, undefined, tech.token)).status]).toEqual([path, 403]);
      expect([path, (await download(`/billing/exports/${path}?${range()}`, manager.token)).status]).toEqual([path, 200]);
    }
    expect((await call('GET', `/billing/profitability?${range()}`, undefined, tech.token)).status).toBe(403);
    expect((await call('GET', `/billing/exports/fec?${range()}`, undefined, '')).status).toBe(401);
  });

  it('never shows another tenant’s documents; a tenant without SIREN gets a clear 409 for the FEC', async () => {
    const other = await api.signup();
    const noSiren = await api.call('GET', `/api/v1/billing/exports/fec?${range()}`, { token: other.token });
    expect(noSiren.status).toBe(409);
    expect(noSiren.body.detail).toContain('SIREN');
    const otherSiren = nextSiren();
    const legal = { siren: otherSiren, address: { line1: '1 rue A', postalCode: '75001', city: 'Paris', country: 'FR' } };
    expect((await api.call('PATCH', '/api/v1/settings', { token: other.token, body: { legal, timezone: 'Europe/Paris' } })).status).toBe(200);
    m.foreignClient = await newClient(other, FOREIGN_CUSTOMER);
    // Numbers are per tenant: the other tenant issues until its number is not one of ours (FA-…-0004).
    const ours = [m.a.number, m.b.number, m.c.number];
    let foreign = await issue(other, { clientId: m.foreignClient, lines: [line('Prestation confidentielle', 1, 77_777)] });
    while (ours.includes(foreign.number)) foreign = await issue(other, { clientId: m.foreignClient, lines: [line('Prestation confidentielle', 1, 77_777)] });
    expect(foreign.issueDate).toBe(m.day);
    // 777.77 + 155.55 = 933.32 each, on the same days.
    const paid = await api.call('POST', '/api/v1/payments', { token: other.token, body: { clientId: m.foreignClient, paidAt: m.day, method: 'check', reference: 'CHQ-SECRET', amountCents: 93_332, invoiceIds: [foreign.id] } });
    expect(paid.status).toBe(201);

    const secrets = [foreign.number, FOREIGN_CUSTOMER, auxOf(m.foreignClient), 'Prestation confidentielle', '777,77', '777.77', '933,32', '933.32', 'CHQ-SECRET', otherSiren];
    for (const path of ['fec', 'sage?encoding=utf-8', 'quickbooks', 'xero-journal', 'xero-invoices']) {
      const text = (await download(`/billing/exports/${path}${path.includes('?') ? '&' : '?'}${range()}`)).text;
      for (const secret of secrets) expect([path, secret, text.includes(secret)]).toEqual([path, secret, false]);
    }
    const profit = JSON.stringify((await call('GET', `/billing/profitability?${range()}`)).body);
    expect(profit).not.toContain(m.foreignClient);
    expect(profit).not.toContain(FOREIGN_CUSTOMER);

    // Control: the other tenant's own FEC has its invoice and payment, and none of ours.
    const theirs = await download(`/billing/exports/fec?${range()}`, other.token);
    expect(theirs.disposition).toContain(`${otherSiren}FEC${ymd(m.to)}.txt`);
    expect(theirs.text).toContain(`${foreign.number}\t`);
    expect(theirs.text).toContain(FOREIGN_CUSTOMER);
    expect(theirs.text).toContain('CHQ-SECRET');
    expect(theirs.text).not.toContain(CUSTOMER);
    expect(theirs.text).not.toContain('VIR-0042');
  }, 60_000);
});

describe('profitability', () => {
  it('per client: revenue net of credit notes against the cost of approved time, by revenue', async () => {
    const res = await call('GET', `/billing/profitability?${range()}`, undefined, manager.token);
    expect(res.status).toBe(200);
    // X: 1 021.00 + 270.00 − 250.00 = 1 041.00 revenue; (90 + 30) min at 45 €/h = 90.00 cost; 90 billable minutes.
    // Y: 500.00 revenue; 60 min = 45.00 cost (the previous month's and the pending time do not count).
    expect(res.body).toEqual({
      from: m.from,
      to: m.to,
      groupBy: 'client',
      currency: 'EUR',
      items: [
        { id: m.clientX, name: CUSTOMER, revenueCents: 104_100, costCents: 9_000, marginCents: 95_100, marginRate: 91.35, minutes: 90 },
        { id: m.clientY, name: OTHER_CUSTOMER, revenueCents: 50_000, costCents: 4_500, marginCents: 45_500, marginRate: 91, minutes: 60 },
      ],
      totals: { revenueCents: 154_100, costCents: 13_500, marginCents: 140_600, marginRate: 91.24, minutes: 150 },
    });
  });

  it('per contract, with what is outside any contract on its own row; the same totals', async () => {
    const res = await call('GET', `/billing/profitability?${range()}&groupBy=contract`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      { id: null, name: null, clientId: m.clientX, clientName: CUSTOMER, revenueCents: 104_100, costCents: 9_000, marginCents: 95_100, marginRate: 91.35, minutes: 90 },
      { id: m.contractY, name: 'Régie Garage', clientId: m.clientY, clientName: OTHER_CUSTOMER, revenueCents: 50_000, costCents: 4_500, marginCents: 45_500, marginRate: 91, minutes: 60 },
    ]);
    expect(res.body.totals).toEqual({ revenueCents: 154_100, costCents: 13_500, marginCents: 140_600, marginRate: 91.24, minutes: 150 });
  });

  it('a month of cost without revenue has no margin rate; no range means this month', async () => {
    const previous = await call('GET', `/billing/profitability?from=${addDays(m.from, -1).slice(0, 8)}01&to=${addDays(m.from, -1)}`);
    expect(previous.body.items).toEqual([{ id: m.clientY, name: OTHER_CUSTOMER, revenueCents: 0, costCents: 9_000, marginCents: -9_000, marginRate: null, minutes: 120 }]);
    const empty = await call('GET', '/billing/profitability?from=2020-01-01&to=2020-01-31');
    expect(empty.body).toMatchObject({ items: [], totals: { revenueCents: 0, costCents: 0, marginCents: 0, marginRate: null, minutes: 0 } });
    const current = await call('GET', '/billing/profitability');
    expect(current.status).toBe(200);
    expect([current.body.from, current.body.to]).toEqual([m.from, m.to]);
  });
});
