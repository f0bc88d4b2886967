import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '@vigie/core';
import { S3Storage } from './s3-storage';

/**
 * Where document bytes live. The database keeps the metadata and the key; the bytes go here. Local disk
 * is the default; an S3-compatible backend (./s3-storage) implements the same calls. `createStorage` picks one.
 */
export interface DocumentStorage {
  put(key: string, bytes: Buffer): Promise<void>;
  get(key: string): Promise<Buffer | undefined>;
  delete(key: string): Promise<void>;
  /** A cheap probe that a remote backend answers, for readiness checks; local disk has none. */
  check?(): Promise<void>;
}

const KEY = /^[0-9a-f-]{36}\/[0-9a-f-]{36}$/;

/**
 * Keys are `<tenantId>/<documentId>`, both UUIDs: nothing a user typed reaches a path or an object name,
 * and one tenant's keys cannot name another's. Every backend checks this before any I/O.
 */
export function checkStorageKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid storage key ${key}`);
  return key;
}

export class LocalDiskStorage implements DocumentStorage {
  constructor(private readonly root: string) {}

  private file(key: string): string {
    return path.join(this.root, checkStorageKey(key));
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const file = this.file(key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Write then rename: a reader never sees half a file.
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, bytes, { mode: 0o600 });
    await fs.rename(tmp, file);
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await fs.readFile(this.file(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await fs.rm(this.file(key), { force: true });
  }
}

type StorageConfig = Pick<
  Config,
  'STORAGE_BACKEND' | 'STORAGE_DIR' | 'S3_ENDPOINT' | 'S3_REGION' | 'S3_BUCKET' | 'S3_ACCESS_KEY_ID' | 'S3_SECRET_ACCESS_KEY' | 'S3_FORCE_PATH_STYLE'
>;

/** The backend the configuration names (STORAGE_BACKEND); every process builds its storage here. */
export function createStorage(config: StorageConfig): DocumentStorage {
  if (config.STORAGE_BACKEND === 'local') return new LocalDiskStorage(config.STORAGE_DIR);
  if (!config.S3_BUCKET) throw new Error('S3_BUCKET is required when STORAGE_BACKEND=s3');
  const keyId = config.S3_ACCESS_KEY_ID;
  const secret = config.S3_SECRET_ACCESS_KEY;
  if (!keyId !== !secret) throw new Error('S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are set together or not at all');
  return new S3Storage({
    bucket: config.S3_BUCKET,
    region: config.S3_REGION,
    endpoint: config.S3_ENDPOINT,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    // Neither set: the SDK's own chain (AWS_* variables, shared profile, instance or task role).
    credentials: keyId && secret ? { accessKeyId: keyId, secretAccessKey: secret } : undefined,
  });
}
