/** Postgres SQLSTATEs we turn into meaningful errors. */
export function pgErrorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}

export const isUniqueViolation = (err: unknown): boolean => pgErrorCode(err) === '23505';
export const isForeignKeyViolation = (err: unknown): boolean => pgErrorCode(err) === '23503';
export const isCheckViolation = (err: unknown): boolean => pgErrorCode(err) === '23514';

/** Connection-level failures: the database is down or unreachable. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgErrorCode(err);
  if (code && (code.startsWith('08') || code === '57P01' || code === '57P03')) return true;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ETIMEDOUT') return true;
  const message = err instanceof Error ? err.message : '';
  return /Timeout acquiring a connection|Connection terminated|ECONNREFUSED/.test(message);
}
