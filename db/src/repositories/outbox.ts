import { randomUUID } from 'node:crypto';
import type { TenantTx } from '../tenancy';

export interface OutboxEmail {
  id: string;
  to: string;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
}

/** Queues an e-mail once per idempotency key; returns the outbox id (existing or new). */
export async function enqueueEmail(
  tx: TenantTx,
  mail: { tenantId: string; idempotencyKey: string; to: string; subject: string; text: string },
): Promise<string> {
  await tx('email_outbox')
    .insert({ tenant_id: mail.tenantId, id: randomUUID(), idempotency_key: mail.idempotencyKey, to_address: mail.to, subject: mail.subject, text: mail.text })
    .onConflict(['tenant_id', 'idempotency_key'])
    .ignore();
  const row = await tx('email_outbox').where({ idempotency_key: mail.idempotencyKey }).first('id');
  return (row as { id: string }).id;
}

/** Locks the row: two concurrent attempts cannot both send. */
export async function lockEmail(tx: TenantTx, id: string): Promise<OutboxEmail | undefined> {
  const row = await tx('email_outbox').where({ id }).forUpdate().first();
  if (!row) return undefined;
  return { id: row.id, to: row.to_address, subject: row.subject, text: row.text, status: row.status, attempts: row.attempts };
}

export async function markEmailSent(tx: TenantTx, id: string, messageId: string): Promise<void> {
  await tx('email_outbox').where({ id }).update({ status: 'sent', sent_at: tx.fn.now(), message_id: messageId, attempts: tx.raw('attempts + 1') });
}

export async function markEmailAttemptFailed(tx: TenantTx, id: string, error: string): Promise<void> {
  await tx('email_outbox').where({ id }).update({ attempts: tx.raw('attempts + 1'), last_error: error.slice(0, 2000) });
}
