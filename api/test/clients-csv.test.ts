import { startTestApi, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
beforeAll(async () => {
  api = await startTestApi();
  admin = await api.signup();
});
afterAll(() => api.close());

async function importCsv(csv: string, dryRun: boolean, token = admin.token) {
  const res = await fetch(`${api.url}/api/v1/clients/import?dryRun=${dryRun}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: csv,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const clientNames = async () =>
  (await api.call('GET', '/api/v1/clients?limit=200&status=prospect', { token: admin.token })).body.items.map((c: { name: string }) => c.name);

// A French Excel export: BOM, ';', French headers, one bad SIRET, one duplicate SIREN within the file.
const FRENCH = [
  '\ufeffRaison sociale;SIREN;SIRET;TVA;Ville;Contact;E-mail;Téléphone;Étiquettes',
  'Boulangerie Dupont;380129866;;FR89380129866;Lyon;Jean Dupont;jean@dupont.fr;+33 4 78 00 00 00;tpe|artisan',
  'Cabinet Martin;;44306184100048;;Paris;;;;',
  'Doublon;380129866;;;Nice;;;;',
  ';;;;;;;;',
].join('\r\n');

it('reports every row and field error in a dry run, and writes nothing', async () => {
  const res = await importCsv(FRENCH, true);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    dryRun: true,
    rows: 4,
    valid: 1,
    clientsCreated: 0,
    contactsCreated: 0,
    errors: [
      { row: 3, field: 'siret', message: 'not a valid SIRET (14 digits with a check digit)' },
      { row: 4, field: 'siren', message: 'same SIREN as row 2' },
      { row: 5, field: 'name', message: expect.any(String) },
    ],
  });
  expect(await clientNames()).toEqual([]);
});

it('refuses the real import while errors remain, and imports everything once the file is fixed', async () => {
  const refused = await importCsv(FRENCH, false);
  expect(refused.status).toBe(400);
  expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['row 3.siret', 'row 4.siren', 'row 5.name']);
  expect(await clientNames()).toEqual([]);

  const fixed = FRENCH.replace('44306184100048', '44306184100047').replace('Doublon;380129866', 'Doublon;732829320').replace('\r\n;;;;;;;;', '');
  const dry = await importCsv(fixed, true);
  expect(dry.body.errors).toEqual([]);
  const done = await importCsv(fixed, false);
  expect(done.status).toBe(200);
  expect(done.body).toMatchObject({ dryRun: false, rows: 3, valid: 3, clientsCreated: 3, contactsCreated: 1 });
  expect(await clientNames()).toEqual(['Boulangerie Dupont', 'Cabinet Martin', 'Doublon']);

  const dupont = (await api.call('GET', '/api/v1/clients?q=Dupont', { token: admin.token })).body.items[0];
  expect(dupont).toMatchObject({ siren: '380129866', vatNumber: 'FR89380129866', tags: ['tpe', 'artisan'], billingAddress: { city: 'Lyon' } });
  const contacts = await api.call('GET', `/api/v1/clients/${dupont.id}/contacts`, { token: admin.token });
  expect(contacts.body.items[0]).toMatchObject({ name: 'Jean Dupont', email: 'jean@dupont.fr', isPrimary: true });

  // Importing the same file again: every row is now a duplicate of an existing client.
  const again = await importCsv(fixed, true);
  expect(again.body.errors.map((e: { row: number; message: string }) => `${e.row}:${e.message}`)).toEqual([
    '2:client "Boulangerie Dupont" already exists',
    '3:client "Cabinet Martin" already exists',
    '4:client "Doublon" already exists',
  ]);
});

it('refuses unknown columns and files that are not CSV', async () => {
  const unknown = await importCsv('name;shoe size\nA;42', true);
  expect(unknown.status).toBe(400);
  expect(unknown.body.detail).toContain('shoe size');
  const broken = await importCsv('name;siren\n"unterminated;1', true);
  expect(broken.status).toBe(400);
  const noName = await importCsv('siren\n380129866', true);
  expect(noName.status).toBe(400);
});

it('exports the filtered clients as CSV that imports back', async () => {
  const res = await fetch(`${api.url}/api/v1/clients/export?q=Dupont`, { headers: { authorization: `Bearer ${admin.token}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/csv');
  expect(res.headers.get('content-disposition')).toContain('clients.csv');
  const csv = await res.text();
  const lines = csv.replace(/^\ufeff/, '').trim().split(/\r?\n/);
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^name;siren;siret;vatNumber;status/);
  expect(lines[1]).toMatch(/^Boulangerie Dupont;380129866;;FR89380129866;prospect;30;false;EUR;tpe\|artisan/);
  // Round trip into another tenant.
  const other = await api.signup();
  const reimport = await importCsv(csv, false, other.token);
  expect(reimport.body).toMatchObject({ clientsCreated: 1, errors: [] });
});
