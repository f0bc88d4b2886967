import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadConfig, type Config } from '@vigie/core';
import { createStorage, LocalDiskStorage, S3Storage, type DocumentStorage } from '../src';
import { CACHE_BIN } from '../../scripts/src/stack/paths';
import { freePort } from '../../scripts/src/stack/ports';
import { startService, waitForPort, type Service } from '../../scripts/src/stack/process';

/**
 * The storage contract, run against both backends: local disk, and S3Storage against a real S3-compatible
 * server (gofakes3, built by scripts/bin/ensure-tools.sh) started here on a free port.
 */
const GOFAKES3 = path.join(CACHE_BIN, 'gofakes3');
const BUCKET = 'vigie-documents';

let dir: string;
let fakeS3: Service;
let endpoint: string;
let admin: S3Client;

function s3Config(overrides: Record<string, string> = {}): Config {
  return loadConfig({
    DATABASE_URL: 'postgres://unused',
    JWT_SECRET: 'x'.repeat(32),
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: endpoint,
    S3_BUCKET: BUCKET,
    S3_ACCESS_KEY_ID: 'test-key',
    S3_SECRET_ACCESS_KEY: 'test-secret',
    ...overrides,
  });
}

beforeAll(async () => {
  if (!fs.existsSync(GOFAKES3)) throw new Error(`${GOFAKES3} is missing: run VIGIE_TOOLS_TEST=1 sh scripts/bin/ensure-tools.sh`);
  dir = fs.mkdtempSync(path.join(process.env.VIGIE_TEST_DATA_DIR ?? os.tmpdir(), 's3-storage-'));
  const port = await freePort();
  fakeS3 = startService('gofakes3', GOFAKES3, ['-backend', 'memory', '-host', `127.0.0.1:${port}`, '-quiet'], {
    logFile: path.join(dir, 'gofakes3.log'),
  });
  await waitForPort(port, '127.0.0.1', 10_000, fakeS3.child);
  endpoint = `http://127.0.0.1:${port}`;
  admin = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test-key', secretAccessKey: 'test-secret' } });
  await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
});

afterAll(async () => {
  admin?.destroy();
  await fakeS3?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const key = (tenantId: string, documentId: string) => `${tenantId}/${documentId}`;

describe.each([
  ['local disk', () => createStorage({ ...s3Config(), STORAGE_BACKEND: 'local', STORAGE_DIR: path.join(dir, 'documents') })],
  ['S3', () => createStorage(s3Config())],
])('document storage on %s', (name, make) => {
  let storage: DocumentStorage;
  beforeAll(() => {
    storage = make();
    expect(storage).toBeInstanceOf(name === 'S3' ? S3Storage : LocalDiskStorage);
  });
  afterAll(() => {
    if (storage instanceof S3Storage) storage.destroy();
  });

  it('gives back exactly the bytes it was given, whatever they are and however many', async () => {
    const tenant = randomUUID();
    const samples = [
      Buffer.alloc(0),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
      Buffer.from('%PDF-1.4\r\n\u0000\u00ff Contrat d’infogérance\n'),
      randomBytes(3 * 1024 * 1024 + 7),
    ];
    for (const bytes of samples) {
      const k = key(tenant, randomUUID());
      await storage.put(k, bytes);
      const back = await storage.get(k);
      expect(back).toBeInstanceOf(Buffer);
      expect(back!.length).toBe(bytes.length);
      expect(back!.equals(bytes)).toBe(true);
    }
  });

  it('replaces an object whole on a second put', async () => {
    const k = key(randomUUID(), randomUUID());
    await storage.put(k, randomBytes(100_000));
    const second = Buffer.from('short');
    await storage.put(k, second);
    expect((await storage.get(k))!.equals(second)).toBe(true);
  });

  it('answers undefined for a missing key and deletes quietly what is not there', async () => {
    const k = key(randomUUID(), randomUUID());
    await expect(storage.get(k)).resolves.toBeUndefined();
    await expect(storage.delete(k)).resolves.toBeUndefined();
    await storage.put(k, Buffer.from('bientôt supprimé'));
    await storage.delete(k);
    await expect(storage.get(k)).resolves.toBeUndefined();
    await expect(storage.delete(k)).resolves.toBeUndefined();
  });

  it("keeps two tenants' documents apart even under the same document id", async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const documentId = randomUUID();
    await storage.put(key(a, documentId), Buffer.from('tenant A'));
    await storage.put(key(b, documentId), Buffer.from('tenant B'));
    expect((await storage.get(key(a, documentId)))!.toString()).toBe('tenant A');
    expect((await storage.get(key(b, documentId)))!.toString()).toBe('tenant B');
    await storage.delete(key(a, documentId));
    await expect(storage.get(key(a, documentId))).resolves.toBeUndefined();
    expect((await storage.get(key(b, documentId)))!.toString()).toBe('tenant B');
  });

  it('refuses any key that is not <tenantId>/<documentId>, before any I/O', async () => {
    const [t, d] = [randomUUID(), randomUUID()];
    const bad = ['', '../etc/passwd', `${t}/../${d}`, `${t}/${d}/x`, `${t}`, `/${t}/${d}`, `${t}/${d}.pdf`, `${t}\\${d}`, `${t}/${d}\n`];
    for (const k of bad) {
      await expect(storage.put(k, Buffer.from('x'))).rejects.toThrow('invalid storage key');
      await expect(storage.get(k)).rejects.toThrow('invalid storage key');
      await expect(storage.delete(k)).rejects.toThrow('invalid storage key');
    }
  });
});

describe('S3 specifics', () => {
  it('stores one object per document under the same <tenantId>/<documentId> layout as the disk', async () => {
    const storage = createStorage(s3Config());
    const tenant = randomUUID();
    const ids = [randomUUID(), randomUUID()].sort();
    for (const id of ids) await storage.put(key(tenant, id), Buffer.from(id));
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${tenant}/` }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(ids.map((id) => key(tenant, id)));
    (storage as S3Storage).destroy();
  });

  it('treats a missing bucket as an error, not as a missing document; check() tells the two apart', async () => {
    const good = createStorage(s3Config()) as S3Storage;
    const wrong = createStorage(s3Config({ S3_BUCKET: 'no-such-bucket' })) as S3Storage;
    await expect(good.check()).resolves.toBeUndefined();
    await expect(wrong.check()).rejects.toThrow();
    await expect(wrong.get(key(randomUUID(), randomUUID()))).rejects.toThrow();
    await expect(wrong.put(key(randomUUID(), randomUUID()), Buffer.from('x'))).rejects.toThrow();
    good.destroy();
    wrong.destroy();
  });

  it('fails fast on half a pair of credentials', () => {
    expect(() => createStorage(s3Config({ S3_SECRET_ACCESS_KEY: '' }))).toThrow('set together');
  });
});
