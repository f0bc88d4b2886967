/** A random key for Idempotency-Key headers (randomUUID needs a secure context; plain http falls back). */
export function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Idempotency keys for a form that may be submitted several times: resending the same body (a retry after
 * a lost response) reuses its key, so the server applies it once; a changed body is a new request with a
 * new key (the server derives business ids from the key, so two different requests must not share one).
 */
export function retryKeys(): { keyFor: (body: unknown) => string; forget: () => void } {
  let last: { body: string; key: string } | null = null;
  return {
    keyFor(body) {
      const json = JSON.stringify(body);
      if (last?.body !== json) last = { body: json, key: randomKey() };
      return last.key;
    },
    forget: () => void (last = null),
  };
}
