import { z } from 'zod';

/** Every setting a Vigie process reads from its environment, validated once at boot (fail fast). */
const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().min(1, 'DATABASE_URL (app role, no BYPASSRLS) is required'),
  DATABASE_OWNER_URL: z.string().optional(),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).default(10),
  /** How long a request waits for a database connection before answering 503. */
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_CREDS: z.string().optional(),
  /** The NATS keys file (`keys.json` from nats-auth): the API signs agents' user JWTs with its account signing key; unset → enrollment answers 503. */
  NATS_KEYS_FILE: z.string().optional(),
  TEMPORAL_ADDRESS: z.string().default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** Appended to every task queue name, so several deployments (or test processes) can share a namespace. */
  TEMPORAL_TASK_QUEUE_SUFFIX: z.string().regex(/^[A-Za-z0-9_.-]*$/).max(40).default(''),
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters'),
  JWT_ISSUER: z.string().default('vigie'),
  JWT_AUDIENCE: z.string().default('vigie-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).default(900),
  REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).default(30),
  LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(10),
  BODY_LIMIT: z.string().default('1mb'),
  WEB_DIST: z.string().optional(),
  /** Outgoing mail server, e.g. smtp://user:pass@mail.example.com:587; unset → mails wait in the outbox. */
  SMTP_URL: z.string().optional(),
  MAIL_FROM: z.string().default('Vigie <no-reply@vigie.local>'),
  /** Incoming mail (tickets by e-mail): the SMTP server the ingest process runs; 0 turns it off. */
  INBOUND_SMTP_HOST: z.string().default('127.0.0.1'),
  INBOUND_SMTP_PORT: z.coerce.number().int().min(0).max(65535).default(2525),
  /** Where documents are kept: local disk (STORAGE_DIR) or an S3-compatible bucket. */
  STORAGE_BACKEND: z.enum(['local', 's3']).default('local'),
  STORAGE_DIR: z.string().default('.data/documents'),
  S3_ENDPOINT: z.url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().optional(),
  S3_ACCESS_KEY_ID: z.string().optional(),
  S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Path-style URLs (http://host/bucket/key), which most self-hosted S3-compatible servers need. */
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  DOCUMENT_MAX_BYTES: z.coerce.number().int().min(1024).default(20 * 1024 * 1024),
  /** The Temporal Web UI, linked from each invoice's workflow state; unset → no link. */
  TEMPORAL_UI_URL: z.url().optional(),
  /** Online payment of invoices through Stripe; unset → no payment links. */
  STRIPE_SECRET_KEY: z.string().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().optional(),
  /** Another Stripe API server (stripe-mock in tests), e.g. http://127.0.0.1:12111. */
  STRIPE_API_BASE: z.url().optional(),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: Record<string, string | undefined>): Config {
  // An empty variable is an unset one (docker compose writes `${X:-}` as ''), so its default applies.
  const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = configSchema
    .refine((c) => c.STORAGE_BACKEND !== 's3' || c.S3_BUCKET, { path: ['S3_BUCKET'], message: 'S3_BUCKET is required when STORAGE_BACKEND=s3' })
    .refine((c) => !c.STRIPE_SECRET_KEY || c.STRIPE_WEBHOOK_SECRET, { path: ['STRIPE_WEBHOOK_SECRET'], message: 'STRIPE_WEBHOOK_SECRET is required when STRIPE_SECRET_KEY is set' })
    .safeParse(set);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
