import type { AlertScope } from '@vigie/core';

/**
 * A machine scope (all, client, site, machine, tag) as alert rules and agent policies store it: three columns,
 * `scope_kind`, `scope_id` (client, site or machine) and `scope_tag`.
 */
export interface ScopeRow {
  scope_kind: AlertScope['kind'];
  scope_id: string | null;
  scope_tag: string | null;
}

export function scopeOf(r: ScopeRow): AlertScope {
  switch (r.scope_kind) {
    case 'all':
      return { kind: 'all' };
    case 'tag':
      return { kind: 'tag', tag: r.scope_tag! };
    default:
      return { kind: r.scope_kind, id: r.scope_id! };
  }
}

export const scopeColumns = (scope: AlertScope): ScopeRow => ({
  scope_kind: scope.kind,
  scope_id: 'id' in scope ? scope.id : null,
  scope_tag: scope.kind === 'tag' ? scope.tag : null,
});
