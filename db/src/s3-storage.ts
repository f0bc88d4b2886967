import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { checkStorageKey, type DocumentStorage } from './storage';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible server (MinIO, Garage, Ceph, ...); unset → AWS itself. */
  endpoint?: string;
  /** `http://host/bucket/key` rather than `http://bucket.host/key`; most self-hosted servers need it. */
  forcePathStyle: boolean;
  /** Unset → the SDK's default chain (environment, profile, instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** "No such object" as any S3-compatible server says it; a missing bucket is a configuration error, not this. */
function isMissingObject(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  if (err.name === 'NoSuchKey') return true;
  return err.$metadata.httpStatusCode === 404 && err.name !== 'NoSuchBucket';
}

/**
 * Document bytes in an S3-compatible bucket, one object per document under the same `<tenantId>/<documentId>`
 * key as on local disk. A PUT replaces an object whole, so a reader never sees half of one.
 */
export class S3Storage implements DocumentStorage {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.client = new S3Client({
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
      credentials: options.credentials,
      // The SDK's default CRC checksum headers are refused or ignored by several S3-compatible servers;
      // integrity comes from Content-MD5 instead, which all of them check.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
    });
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: checkStorageKey(key),
        Body: bytes,
        ContentLength: bytes.length,
        ContentMD5: createHash('md5').update(bytes).digest('base64'),
        ContentType: 'application/octet-stream',
      }),
    );
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: checkStorageKey(key) }));
      if (!res.Body) return Buffer.alloc(0);
      const bytes = await res.Body.transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      if (isMissingObject(err)) return undefined;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: checkStorageKey(key) }));
    } catch (err) {
      // S3 answers 204 for a missing object; a few compatible servers say 404. Either way it is gone.
      if (!isMissingObject(err)) throw err;
    }
  }

  /** The bucket answers to these credentials (HeadBucket: no object read). */
  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Closes the client's idle connections. */
  destroy(): void {
    this.client.destroy();
  }
}
