import type { TenantTx } from '../tenancy';

export interface IdempotencyRow {
  key: string;
  method: string;
  path: string;
  request_hash: string;
  status_code: number | null;
  response_body: unknown;
}

/** Claims a key; returns the existing row instead when the key was seen before. */
export async function claimIdempotencyKey(
  tx: TenantTx,
  claim: { tenantId: string; key: string; method: string; path: string; requestHash: string },
): Promise<IdempotencyRow | 'claimed'> {
  const inserted = await tx('idempotency_keys')
    .insert({
      tenant_id: claim.tenantId,
      key: claim.key,
      method: claim.method,
      path: claim.path,
      request_hash: claim.requestHash,
    })
    .onConflict(['tenant_id', 'key'])
    .ignore()
    .returning('key');
  if (inserted.length > 0) return 'claimed';
  return (await tx('idempotency_keys').where({ key: claim.key }).first()) as IdempotencyRow;
}

export async function completeIdempotencyKey(tx: TenantTx, key: string, statusCode: number, body: unknown): Promise<void> {
  await tx('idempotency_keys')
    .where({ key })
    .update({ status_code: statusCode, response_body: JSON.stringify(body ?? null), completed_at: tx.fn.now() });
}

export async function releaseIdempotencyKey(tx: TenantTx, key: string): Promise<void> {
  await tx('idempotency_keys').where({ key }).whereNull('completed_at').delete();
}
