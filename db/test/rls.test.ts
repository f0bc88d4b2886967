import { randomUUID } from 'node:crypto';
import { createDb, withTenant, currentTenant, type Db } from '../src';

/**
 * Structural guard for tenant isolation: every table with a tenant_id (and `tenants` itself) must have
 * row-level security enabled AND forced, with a policy; the app role must be unable to bypass it.
 */
let app: Db;
let owner: Db;
beforeAll(() => {
  app = createDb(process.env.DATABASE_URL!, 4);
  owner = createDb(process.env.DATABASE_OWNER_URL!, 2);
});
afterAll(async () => {
  await app.destroy();
  await owner.destroy();
});

interface TableSecurity {
  table: string;
  rls: boolean;
  forced: boolean;
  policies: number;
  policy_text: string | null;
}

async function tenantTables(): Promise<TableSecurity[]> {
  const { rows } = await owner.raw(`
    select c.relname as table, c.relrowsecurity as rls, c.relforcerowsecurity as forced,
           (select count(*) from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname)::int as policies,
           (select string_agg(coalesce(p.qual, '') || ' / ' || coalesce(p.with_check, ''), '; ')
              from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname) as policy_text
    from pg_class c
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
      and (c.relname = 'tenants' or exists (
        select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped))
    order by 1`);
  return rows as TableSecurity[];
}

it('finds the foundation tables (so the check below is not vacuous)', async () => {
  const names = (await tenantTables()).map((t) => t.table);
  expect(names).toEqual(expect.arrayContaining(['tenants', 'tenant_settings', 'users', 'refresh_tokens', 'audit_log', 'idempotency_keys']));
});

it('has RLS enabled and forced, with a tenant policy using and checking app.tenant_id, on every tenant table', async () => {
  const bad = (await tenantTables()).filter(
    (t) => !t.rls || !t.forced || t.policies === 0 || !/app\.tenant_id/.test(t.policy_text ?? '') || !t.policy_text?.includes(' / ('),
  );
  expect(bad.map((t) => `${t.table}: rls=${t.rls} forced=${t.forced} policies=${t.policies}`)).toEqual([]);
});

it('connects the app as a role that owns nothing and cannot bypass RLS', async () => {
  const { rows } = await app.raw(`
    select r.rolbypassrls, r.rolsuper,
      (select count(*) from pg_class c where c.relowner = r.oid)::int as owned
    from pg_roles r where r.rolname = current_user`);
  expect(rows[0]).toEqual({ rolbypassrls: false, rolsuper: false, owned: 0 });
});

it('shows nothing outside a tenant transaction and only the bound tenant inside one', async () => {
  const a = randomUUID();
  const b = randomUUID();
  for (const id of [a, b]) await withTenant(app, id, (tx) => tx('tenants').insert({ id, name: `t-${id.slice(0, 4)}` }));
  expect(await app('tenants').whereIn('id', [a, b])).toEqual([]);
  const seen = await withTenant(app, a, async (tx) => {
    expect(await currentTenant(tx)).toBe(a);
    return (await tx('tenants').whereIn('id', [a, b])).map((r: { id: string }) => r.id);
  });
  expect(seen).toEqual([a]);
  // The setting dies with the transaction: the pooled connection does not keep tenant A.
  const leaked = await app.transaction(async (tx) => currentTenant(tx));
  expect(leaked).toBeNull();
});

it('refuses to write a row for another tenant than the bound one', async () => {
  const a = randomUUID();
  const b = randomUUID();
  await withTenant(app, a, (tx) => tx('tenants').insert({ id: a, name: 'A' }));
  await withTenant(app, b, (tx) => tx('tenants').insert({ id: b, name: 'B' }));
  await expect(
    withTenant(app, a, (tx) => tx('tenant_settings').insert({ tenant_id: b })),
  ).rejects.toThrow(/row-level security/);
});

it('keeps the audit log append-only for the app role', async () => {
  const t = randomUUID();
  await withTenant(app, t, async (tx) => {
    await tx('tenants').insert({ id: t, name: 'Audit' });
    await tx('audit_log').insert({ tenant_id: t, id: randomUUID(), action: 'x', entity: 'y' });
  });
  await expect(withTenant(app, t, (tx) => tx('audit_log').update({ action: 'changed' }))).rejects.toThrow(/permission denied/);
  await expect(withTenant(app, t, (tx) => tx('audit_log').delete())).rejects.toThrow(/permission denied/);
  // Even the owner cannot rewrite history (trigger).
  await expect(owner('audit_log').where({ tenant_id: t }).update({ action: 'changed' })).rejects.toThrow(/append-only/);
});
