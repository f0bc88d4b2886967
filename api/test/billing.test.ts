import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withTenant } from '@vigie/db';
import { startTestWorker } from '../../worker/test/support/worker';
import { nextSiren } from './cross-tenant/fixtures';
import { sessionAs, type Session, type TestApi, startTestApi } from './support/harness';
import { until } from './support/until';

/**
 * Invoicing through the real API, Postgres and Temporal worker: drafts (by hand and from pre-billing),
 * validation with a gap-free number sequence under concurrency, frozen content, credit notes, payments
 * settling several invoices, and the invoice workflow rendering and e-mailing the PDF.
 */
let api: TestApi;
let admin: Session;
let manager: Session;
let tech: Session;
let worker: { stop(): Promise<void> };
const year = new Date().getUTCFullYear();

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
  manager = await sessionAs(api, admin, 'manager');
  tech = await sessionAs(api, admin, 'technician');
  worker = await startTestWorker(['billing', 'crm', 'tickets', 'contracts']);
  const legal = { legalName: 'Infogérance Martin SARL', legalForm: 'SARL', siren: '443061841', vatNumber: 'FR44443061841', address: { line1: '3 rue des Lilas', postalCode: '69003', city: 'Lyon', country: 'FR' } };
  expect((await call('PATCH', '/settings', { legal, timezone: 'Europe/Paris' })).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await api?.close();
});

const call = (method: string, path: string, body?: unknown, token = admin.token, headers: Record<string, string> = {}) =>
  api.call(method, `/api/v1${path}`, { token, headers, ...(body !== undefined ? { body } : {}) });

async function newClient(name: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call('POST', '/clients', { name, billingAddress: { line1: '1 place Bellecour', postalCode: '69002', city: 'Lyon', country: 'FR' }, ...extra });
  expect(res.status).toBe(201);
  const contact = await call('POST', `/clients/${res.body.id}/contacts`, { name: 'Compta', email: `compta-${res.body.id.slice(0, 8)}@client.test`, isPrimary: true });
  expect(contact.status).toBe(201);
  return res.body.id;
}

const line = (description: string, quantity: number, unitPriceCents: number, vatRate = 20, extra: Record<string, unknown> = {}) => ({ description, quantity, unitPriceCents, vatRate, ...extra });

async function draft(clientId: string, lines = [line('Infogérance novembre', 1, 50_000)]): Promise<string> {
  const res = await call('POST', '/invoices', { clientId, lines });
  expect(res.status).toBe(201);
  return res.body.id;
}

it('a draft has live totals per VAT rate and the French exemption mention; only drafts change', async () => {
  const clientId = await newClient('Boulangerie Dupain', { siren: nextSiren() });
  const bad = await call('POST', '/invoices', { clientId, lines: [line('Export', 1, 1_000, 0)] });
  expect(bad.status).toBe(400);
  expect(bad.body.errors).toEqual([expect.objectContaining({ path: 'lines.0.vatExemption' })]);
  const res = await call('POST', '/invoices', {
    clientId,
    lines: [line('Maintenance', 3, 3_333), line('Livres', 2, 1_050, 5.5), line('Formation (franchise)', 1, 20_000, 0, { vatExemption: 'franchise' })],
  });
  expect(res.status).toBe(201);
  // 99.99 € at 20 % → 20.00; 21.00 € at 5.5 % → 1.155 → 1.16 (per rate, half up); 200 € at 0 %.
  expect(res.body).toMatchObject({ status: 'draft', number: null, totalExclTaxCents: 9_999 + 2_100 + 20_000, totalTaxCents: 2_000 + 116, balanceCents: 0 });
  expect(res.body.vat).toEqual([
    { vatRate: 20, baseCents: 9_999, taxCents: 2_000 },
    { vatRate: 5.5, baseCents: 2_100, taxCents: 116 },
    { vatRate: 0, baseCents: 20_000, taxCents: 0 },
  ]);
  expect(res.body.mentions).toEqual(['TVA non applicable, art. 293 B du CGI']);
  const edited = await call('PATCH', `/invoices/${res.body.id}`, { lines: [line('Maintenance', 1, 10_000)], notes: 'Merci' });
  expect(edited.body).toMatchObject({ totalCents: 12_000, notes: 'Merci' });
  expect((await call('GET', '/invoices?status=draft&clientId=' + clientId)).body.items.map((i: { id: string }) => i.id)).toEqual([res.body.id]);
  expect((await call('POST', '/invoices', { clientId, lines: [] })).status).toBe(400);
  expect((await call('POST', '/invoices', { clientId, lines: [line('x', 1, 100)] }, tech.token)).status).toBe(403);
});

it('validation numbers without gaps under concurrent validations and freezes the invoice', async () => {
  const clientId = await newClient('Garage Central', { siren: nextSiren() });
  const ids = await Promise.all(Array.from({ length: 8 }, (_, i) => draft(clientId, [line(`Prestation ${i}`, 1, 10_000 + i)])));
  const results = await Promise.all(ids.map((id) => call('POST', `/invoices/${id}/validate`, undefined, manager.token)));
  expect(results.map((r) => r.status)).toEqual(ids.map(() => 200));
  const numbers = results.map((r) => r.body.number as string).sort();
  const first = Number(numbers[0]!.slice(-4));
  expect(numbers).toEqual(numbers.map((_, i) => `FA-${year}-${String(first + i).padStart(4, '0')}`));
  // Numbers follow validation order: ordered by number, validation times never go back.
  const byNumber = await Promise.all(numbers.map(async (n) => (await call('GET', `/invoices?q=${n}`)).body.items[0]));
  const validated = await Promise.all(byNumber.map(async (i: { id: string }) => (await call('GET', `/invoices/${i.id}`)).body.validatedAt as string));
  expect([...validated].sort()).toEqual(validated);

  const one = results[0]!.body;
  expect(one).toMatchObject({ status: 'validated', issueDate: expect.any(String), dueDate: expect.any(String) });
  expect(one.mentions).toEqual(expect.arrayContaining([expect.stringContaining('indemnité forfaitaire pour frais de recouvrement de 40 €')]));
  expect((await call('POST', `/invoices/${one.id}/validate`)).status).toBe(409);
  expect((await call('PATCH', `/invoices/${one.id}`, { notes: 'changed' })).status).toBe(409);
  expect((await call('DELETE', `/invoices/${one.id}`)).status).toBe(409);
  // Even the database refuses to change an issued invoice.
  await expect(withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('invoices').where({ id: one.id }).update({ total_cents: 1 }))).rejects.toThrow(/only a credit note can correct it/);
  await expect(withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('invoice_lines').where({ invoice_id: one.id }).update({ description: 'x' }))).rejects.toThrow(/cannot change/);
});

it('a refused validation takes no number: missing seller or buyer details are listed', async () => {
  const other = await api.signup();
  const c = await api.call('POST', '/api/v1/clients', { token: other.token, body: { name: 'Sans adresse', billingAddress: { line1: '', postalCode: '', city: '', country: 'FR' } } });
  const d = await api.call('POST', '/api/v1/invoices', { token: other.token, body: { clientId: c.body.id, lines: [line('x', 1, 1_000)] } });
  const refused = await api.call('POST', `/api/v1/invoices/${d.body.id}/validate`, { token: other.token });
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['seller.siren', 'seller.address']);
  await api.call('PATCH', '/api/v1/settings', { token: other.token, body: { legal: { siren: nextSiren(), address: { line1: '1 rue A', postalCode: '75001', city: 'Paris', country: 'FR' } } } });
  const ok = await api.call('POST', `/api/v1/invoices/${d.body.id}/validate`, { token: other.token });
  expect(ok.status).toBe(200);
  expect(ok.body.number).toBe(`FA-${year}-0001`);
});

it('the invoice workflow renders the PDF, e-mails it with the PDF attached and marks it sent', async () => {
  const clientId = await newClient('Cabinet Leroy', { siren: nextSiren() });
  const id = await draft(clientId);
  expect((await call('POST', `/invoices/${id}/validate`)).status).toBe(200);
  const sent = await until('the invoice to be sent', async () => {
    const inv = (await call('GET', `/invoices/${id}`)).body;
    return inv.status === 'sent' && inv.pdfDocumentId ? inv : undefined;
  }, 90_000);
  expect(sent.events.map((e: { kind: string }) => e.kind)).toEqual(['validated', 'sent']);
  expect(sent.events[1]).toMatchObject({ emailStatus: 'pending', detail: { level: 'invoice', to: expect.stringContaining('@client.test') } });
  const outbox = await withTenant(api.deps.db, admin.user.tenantId, (tx) => tx('email_outbox').where({ invoice_id: id }).first());
  expect(outbox.subject).toBe(`Facture ${sent.number} — Infogérance Martin SARL`);
  expect(outbox.attachment_document_ids).toEqual([sent.pdfDocumentId]);
  const pdf = await fetch(`${api.url}/api/v1/documents/${sent.pdfDocumentId}/content`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(pdf.status).toBe(200);
  expect(pdf.headers.get('content-type')).toBe('application/pdf');
  expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  const state = await until('the workflow to wait for payment', async () => {
    const s = (await call('GET', `/invoices/${id}/workflow`)).body;
    return s.phase === 'awaiting_payment' ? s : undefined;
  });
  expect(state).toMatchObject({ workflowId: `invoice:${admin.user.tenantId}:${id}`, running: true, nextStep: null });
});

it('payments settle several invoices oldest first; a fully paid invoice is paid and its workflow stops dunning', async () => {
  const clientId = await newClient('Pharmacie du Parc', { siren: nextSiren() });
  const a = await draft(clientId, [line('A', 1, 10_000)]);
  const b = await draft(clientId, [line('B', 1, 20_000)]);
  for (const id of [a, b]) expect((await call('POST', `/invoices/${id}/validate`)).status).toBe(200);
  const partial = await call('POST', '/payments', { clientId, paidAt: '2026-11-20', method: 'transfer', reference: 'VIR 1', amountCents: 5_000 });
  expect(partial.status).toBe(201);
  expect(partial.body.allocations).toEqual([expect.objectContaining({ invoiceId: a, amountCents: 5_000 })]);
  expect((await call('GET', `/invoices/${a}`)).body).toMatchObject({ paidCents: 5_000, balanceCents: 7_000 });

  // 7 000 + 24 000 = 31 000 settles both; 1 000 more stays unallocated on the payment.
  const both = await call('POST', '/payments', { clientId, paidAt: '2026-11-21', method: 'check', reference: 'CHQ 42', amountCents: 32_000 });
  expect(both.body).toMatchObject({ unallocatedCents: 1_000, allocations: [expect.objectContaining({ invoiceId: a, amountCents: 7_000 }), expect.objectContaining({ invoiceId: b, amountCents: 24_000 })] });
  for (const id of [a, b]) {
    const inv = (await call('GET', `/invoices/${id}`)).body;
    expect(inv).toMatchObject({ status: 'paid', balanceCents: 0, paidAt: expect.any(String) });
    // The workflow stops dunning at once (it ends once its e-mails are out; this worker has no SMTP server).
    await until('the workflow to know it is paid', async () => {
      const state = (await call('GET', `/invoices/${id}/workflow`)).body;
      return state.phase === 'paid' && state.nextStep === null ? state : undefined;
    });
  }
  // Nothing left to pay: naming a paid invoice is refused, and nothing is written.
  const refused = await call('POST', '/payments', { clientId, paidAt: '2026-11-22', method: 'cash', amountCents: 100, invoiceIds: [a] });
  expect(refused.status).toBe(400);
  expect((await call('GET', `/payments?clientId=${clientId}`)).body.items).toHaveLength(2);
}, 120_000);

it('a credit note is numbered in its own sequence and lowers what is owed; never more than what is left', async () => {
  const clientId = await newClient('Mairie de Saint-Just', { siren: nextSiren() });
  const id = await draft(clientId, [line('Heures', 4, 9_000), line('Licence', 1, 12_000)]);
  const inv = (await call('POST', `/invoices/${id}/validate`)).body;
  expect(inv.totalCents).toBe(57_600);
  const note = await call('POST', `/invoices/${id}/credit-notes`, { lines: [{ position: 1, quantity: 1.5 }], reason: 'Heures facturées en double' });
  expect(note.status).toBe(201);
  expect(note.body).toMatchObject({ kind: 'credit_note', number: expect.stringMatching(new RegExp(`^AV-${year}-\\d{4}$`)), creditsInvoiceId: id, totalExclTaxCents: -13_500, totalTaxCents: -2_700, totalCents: -16_200 });
  expect(note.body.mentions[0]).toContain(`Avoir sur la facture n° ${inv.number}`);
  expect((await call('GET', `/invoices/${id}`)).body).toMatchObject({ creditedCents: 16_200, balanceCents: 41_400, creditNotes: [expect.objectContaining({ id: note.body.id })] });
  const tooMuch = await call('POST', `/invoices/${id}/credit-notes`, { lines: [{ position: 1, quantity: 3 }], reason: 'Encore' });
  expect(tooMuch.status).toBe(409);
  expect(tooMuch.body.detail).toContain('only 2.5 can still be credited');
  // Crediting the rest settles the invoice: it is paid (by credit) and its dunning stops.
  const rest = await call('POST', `/invoices/${id}/credit-notes`, { reason: 'Annulation' });
  expect(rest.status).toBe(201);
  expect(rest.body.totalCents).toBe(-41_400);
  expect((await call('GET', `/invoices/${id}`)).body).toMatchObject({ status: 'paid', balanceCents: 0 });
  expect((await call('POST', `/invoices/${id}/credit-notes`, { reason: 'Rien' })).status).toBe(409);
});

it('drafts from pre-billing: one per client, lines merged or deferred; drafted time cannot be rejected', async () => {
  const clientId = await newClient('Atelier Bois', { siren: nextSiren(), hourlyRateCents: 6_000 });
  const ticket = (await call('POST', '/tickets', { clientId, subject: 'Poste lent' })).body;
  const entries: string[] = [];
  for (const minutes of [30, 45, 7]) {
    const e = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: '2026-11-20', minutes, description: `Intervention ${minutes} min` }, tech.token);
    expect(e.status).toBe(201);
    entries.push(e.body.id);
    expect((await call('POST', `/time-entries/${e.body.id}/approve`, {}, manager.token)).status).toBe(200);
  }
  expect((await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'Réglé.' })).status).toBe(200);
  await until('the time to reach pre-billing', async () => {
    const items = (await call('GET', `/billing/pre-billing?clientId=${clientId}`)).body.items;
    return items.length === 3 ? items : undefined;
  });
  const made = await call('POST', '/invoices/from-pre-billing', { clientIds: [clientId] });
  expect(made.status).toBe(201);
  expect(made.body.invoices).toHaveLength(1);
  const inv = made.body.invoices[0];
  // 30 min = 0.5 h and 45 min = 0.75 h at 60 €/h; 7 min is not a whole thousandth of an hour: one unit of 7.00 €.
  expect(inv.lines.map((l: Record<string, unknown>) => [l.quantity, l.unitCode, l.unitPriceCents, l.totalExclTaxCents])).toEqual([
    [0.5, 'HUR', 6_000, 3_000],
    [0.75, 'HUR', 6_000, 4_500],
    [1, 'C62', 700, 700],
  ]);
  expect((await call('POST', '/invoices/from-pre-billing', { clientIds: [clientId] })).body.invoices).toEqual([]);
  expect((await call('POST', `/time-entries/${entries[0]}/reject`, { comment: 'non' }, manager.token)).status).toBe(409);

  const merged = await call('POST', `/invoices/${inv.id}/merge-lines`, { lineIds: [inv.lines[0].id, inv.lines[1].id], description: 'Intervention poste lent' });
  expect(merged.body.lines.map((l: Record<string, unknown>) => [l.description, l.quantity, l.totalExclTaxCents, l.preBillingItemCount])).toEqual([
    ['Intervention poste lent', 1.25, 7_500, 2],
    [`${ticket.number} — Intervention 7 min (0 h 07)`, 1, 700, 1],
  ]);
  // Editing a line keeps its ticket time when the line keeps its id; a rounding change too.
  const kept = merged.body.lines;
  const edited = await call('PATCH', `/invoices/${inv.id}`, {
    lines: kept.map((l: Record<string, unknown>) => ({ id: l.id, description: `${String(l.description)} (revu)`, quantity: l.quantity, unitCode: l.unitCode, unitPriceCents: l.unitPriceCents, vatRate: l.vatRate })),
    vatRounding: 'per_line',
  });
  expect(edited.status).toBe(200);
  expect(edited.body.lines.map((l: { preBillingItemCount: number }) => l.preBillingItemCount)).toEqual([2, 1]);
  expect((await call('PATCH', `/invoices/${inv.id}`, { vatRounding: 'per_rate' })).body.lines.map((l: { preBillingItemCount: number }) => l.preBillingItemCount)).toEqual([2, 1]);
  expect((await call('POST', '/invoices/from-pre-billing', { clientIds: [clientId] })).body.invoices).toEqual([]);
  expect((await call('PATCH', `/invoices/${inv.id}`, { lines: [{ id: inv.id, description: 'x', quantity: 1, unitPriceCents: 1, vatRate: 20 }] })).status).toBe(400);

  const deferred = await call('POST', `/invoices/${inv.id}/lines/${inv.lines[2].id}/defer`);
  expect(deferred.body.lines).toHaveLength(1);
  expect(deferred.body.totalExclTaxCents).toBe(7_500);
  const items = (await call('GET', `/billing/pre-billing?clientId=${clientId}&status=deferred`)).body.items;
  expect(items.map((i: { timeEntryId: string }) => i.timeEntryId)).toEqual([entries[2]]);

  expect((await call('POST', `/invoices/${inv.id}/validate`)).status).toBe(200);
  const invoiced = (await call('GET', `/billing/pre-billing?clientId=${clientId}&status=invoiced`)).body.items;
  expect(invoiced.map((i: { timeEntryId: string }) => i.timeEntryId).sort()).toEqual([entries[0], entries[1]].sort());
  expect((await call('POST', `/time-entries/${entries[0]}/reject`, { comment: 'non' }, manager.token)).status).toBe(409);
});

it('deleting a draft gives its ticket time back to the queue', async () => {
  const clientId = await newClient('Fleuriste', { hourlyRateCents: 6_000 });
  const ticket = (await call('POST', '/tickets', { clientId, subject: 'Imprimante' })).body;
  const e = await call('POST', `/tickets/${ticket.id}/time-entries`, { date: '2026-11-20', minutes: 60, description: 'Pilote' }, tech.token);
  await call('POST', `/time-entries/${e.body.id}/approve`, {}, manager.token);
  await call('POST', `/tickets/${ticket.id}/status`, { status: 'closed', note: 'OK' });
  await until('pre-billing', async () => ((await call('GET', `/billing/pre-billing?clientId=${clientId}`)).body.items.length === 1 ? true : undefined));
  const made = (await call('POST', '/invoices/from-pre-billing', { clientIds: [clientId] })).body.invoices[0];
  expect((await call('DELETE', `/invoices/${made.id}`)).status).toBe(204);
  const again = (await call('POST', '/invoices/from-pre-billing', { clientIds: [clientId] })).body.invoices;
  expect(again).toHaveLength(1);
  expect(again[0].totalExclTaxCents).toBe(6_000);
});

it('billing settings: defaults, validation, admin only', async () => {
  const defaults = (await call('GET', '/billing/settings')).body;
  expect(defaults).toMatchObject({ paymentTerms: { kind: 'net', days: 30 }, dunningSteps: [{ offsetDays: 7, kind: 'reminder' }, { offsetDays: 15, kind: 'second_reminder' }, { offsetDays: 30, kind: 'formal_notice' }], template: null });
  expect((await call('PATCH', '/billing/settings', { dunningSteps: [{ offsetDays: 15, kind: 'reminder' }, { offsetDays: 7, kind: 'second_reminder' }] })).status).toBe(400);
  expect((await call('PATCH', '/billing/settings', { iban: 'not an iban' })).status).toBe(400);
  const saved = await call('PATCH', '/billing/settings', { iban: 'FR76 3000 6000 0112 3456 7890 189', bic: 'AGRIFRPP', paymentTerms: { kind: 'end_of_month', days: 45 } });
  expect(saved.body).toMatchObject({ iban: 'FR7630006000011234567890189', bic: 'AGRIFRPP', paymentTerms: { kind: 'end_of_month', days: 45 } });
  expect((await call('PATCH', '/billing/settings', { footer: 'x' }, manager.token)).status).toBe(403);
  await call('PATCH', '/billing/settings', { paymentTerms: { kind: 'net', days: 30 } });
});

it('an uploaded invoice template is checked by rendering, previewed, and can be removed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigie-template-'));
  const fixture = path.resolve(__dirname, '../../activities/test/billing/fixtures/invoice/custom.fodt');
  execFileSync('soffice', [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'odt', '--outdir', dir, fixture], { stdio: 'pipe' });
  const odt = fs.readFileSync(path.join(dir, 'custom.odt'));
  const upload = (body: Buffer, token = admin.token) =>
    fetch(`${api.url}/api/v1/billing/settings/template?filename=maison.odt`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/vnd.oasis.opendocument.text' }, body: new Uint8Array(body) });
  const junk = await upload(Buffer.from('not an odt at all'));
  expect(junk.status).toBe(400);
  expect(((await junk.json()) as { detail: string }).detail).toContain('.odt');
  expect((await upload(odt, manager.token)).status).toBe(403);
  const ok = await upload(odt);
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { template: { name: string } }).template.name).toBe('maison.odt');

  const preview = await fetch(`${api.url}/api/v1/billing/settings/template/preview`, { headers: { authorization: `Bearer ${manager.token}` } });
  expect(preview.status).toBe(200);
  const pdf = path.join(dir, 'preview.pdf');
  fs.writeFileSync(pdf, Buffer.from(await preview.arrayBuffer()));
  expect(execFileSync('pdftotext', [pdf, '-'], { encoding: 'utf8' })).toContain('Modèle maison');

  expect((await call('DELETE', '/billing/settings/template')).status).toBe(204);
  expect((await call('GET', '/billing/settings')).body.template).toBeNull();
  fs.rmSync(dir, { recursive: true, force: true });
}, 120_000);
