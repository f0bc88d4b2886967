import fs from 'node:fs';
import path from 'node:path';
import { startTestApi, sessionAs, testConfig, type Session, type TestApi } from './support/harness';

let api: TestApi;
let admin: Session;
let clientId: string;
beforeAll(async () => {
  api = await startTestApi(testConfig({ DOCUMENT_MAX_BYTES: String(64 * 1024) }));
  admin = await api.signup();
  clientId = (await api.call('POST', '/api/v1/clients', { token: admin.token, body: { name: 'Documents SA' } })).body.id;
});
afterAll(() => api.close());

const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

async function upload(bytes: Buffer | string, filename: string, opts: { category?: string; token?: string; type?: string; client?: string } = {}) {
  const qs = new URLSearchParams({ filename, ...(opts.category ? { category: opts.category } : {}) });
  const res = await fetch(`${api.url}/api/v1/clients/${opts.client ?? clientId}/documents?${qs}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${opts.token ?? admin.token}`, 'content-type': opts.type ?? 'application/octet-stream' },
    body: typeof bytes === 'string' ? bytes : new Uint8Array(bytes),
  });
  return { status: res.status, body: (await res.json()) as any };
}

it('stores a document, lists it, serves the same bytes with a safe name, and deletes it', async () => {
  const up = await upload(PDF, '../../Contrat d’infogérance 2027.pdf', { category: 'contract' });
  expect(up.status).toBe(201);
  expect(up.body).toMatchObject({ filename: 'Contrat d’infogérance 2027.pdf', contentType: 'application/pdf', category: 'contract', sizeBytes: PDF.length });

  const list = await api.call('GET', `/api/v1/clients/${clientId}/documents?category=contract`, { token: admin.token });
  expect(list.body.items.map((d: { id: string }) => d.id)).toContain(up.body.id);

  const tech = await sessionAs(api, admin, 'technician');
  const download = await fetch(`${api.url}/api/v1/documents/${up.body.id}/content`, { headers: { authorization: `Bearer ${tech.token}` } });
  expect(download.status).toBe(200);
  expect(download.headers.get('content-type')).toBe('application/pdf');
  expect(download.headers.get('content-disposition')).toBe(
    `attachment; filename="Contrat d_infog_rance 2027.pdf"; filename*=UTF-8''${encodeURIComponent('Contrat d’infogérance 2027.pdf')}`,
  );
  expect(Buffer.from(await download.arrayBuffer()).equals(PDF)).toBe(true);

  const file = path.join(process.env.STORAGE_DIR!, admin.user.tenantId, up.body.id);
  expect(fs.existsSync(file)).toBe(true);
  expect((await api.call('DELETE', `/api/v1/documents/${up.body.id}`, { token: tech.token })).status).toBe(403);
  expect((await api.call('DELETE', `/api/v1/documents/${up.body.id}`, { token: admin.token })).status).toBe(204);
  expect(fs.existsSync(file)).toBe(false);
  expect((await api.call('GET', `/api/v1/documents/${up.body.id}`, { token: admin.token })).status).toBe(404);
});

it('reads the type from the bytes, refuses unknown kinds and oversize files, and writes nothing then', async () => {
  const before = (await api.call('GET', `/api/v1/clients/${clientId}/documents`, { token: admin.token })).body.items.length;
  const exe = await upload(Buffer.from([0x4d, 0x5a, 0x90, 0x00, 0x03]), 'facture.pdf', { type: 'application/pdf' });
  expect(exe.status).toBe(400);
  const big = await upload(Buffer.concat([PDF, Buffer.alloc(70 * 1024, 0x20)]), 'gros.pdf');
  expect(big.status).toBe(413);
  const noName = await upload(PDF, '');
  expect(noName.status).toBe(400);
  const badCategory = await upload(PDF, 'x.pdf', { category: 'secret' });
  expect(badCategory.status).toBe(400);
  const unknownClient = await upload(PDF, 'x.pdf', { client: '00000000-0000-4000-8000-000000000000' });
  expect(unknownClient.status).toBe(404);
  const text = await upload('nom;ville\nDupont;Lyon\n', 'export.csv', { type: 'text/csv' });
  expect(text.body.contentType).toBe('text/csv');
  const after = (await api.call('GET', `/api/v1/clients/${clientId}/documents`, { token: admin.token })).body.items.length;
  expect(after).toBe(before + 1);
  // No orphan files: only the accepted documents have bytes on disk.
  const dir = path.join(process.env.STORAGE_DIR!, admin.user.tenantId);
  expect(fs.readdirSync(dir).filter((f) => !f.endsWith('.tmp'))).toHaveLength(after);
});
