import type { TenantTx } from '../tenancy';

const PREFIX = { quote: 'DEV', ticket: 'T', invoice: 'FA', credit_note: 'AV' } as const;
export type SequenceKind = keyof typeof PREFIX;

/**
 * Next number of a per-tenant, per-year sequence: `DEV-2026-0001`, `T-2026-0001`, `FA-2026-0001`, `AV-2026-0001`. The row lock orders
 * concurrent calls, and a rolled-back transaction gives its number back, so there are no gaps.
 */
export async function nextNumber(tx: TenantTx, tenantId: string, kind: SequenceKind, year: number): Promise<string> {
  const { rows } = await tx.raw(
    `insert into number_sequences (tenant_id, kind, year, last_value) values (?, ?, ?, 1)
     on conflict (tenant_id, kind, year) do update set last_value = number_sequences.last_value + 1
     returning last_value`,
    [tenantId, kind, year],
  );
  const value = (rows[0] as { last_value: number }).last_value;
  return `${PREFIX[kind]}-${year}-${String(value).padStart(4, '0')}`;
}
