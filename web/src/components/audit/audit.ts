import { getPath, leafPaths } from '@/utils/paths';

/** Actions and entities the API writes today; others still show, under their raw name. */
export const KNOWN_ACTIONS = [
  'tenant.signup',
  'auth.login',
  'auth.logout',
  'auth.refresh_reuse_detected',
  'user.create',
  'user.update',
  'user.delete',
  'settings.update',
  'settings.logo_upload',
  'settings.logo_delete',
];
export const KNOWN_ENTITIES = ['user', 'tenant'];

export interface DiffRow {
  path: string;
  before: unknown;
  after: unknown;
  changed: boolean;
}

/**
 * Field-by-field comparison of an entry's before/after snapshots (nested objects as dotted paths).
 * A creation or deletion has one side only: every field is listed.
 */
export function diffRows(before: Record<string, unknown> | null, after: Record<string, unknown> | null): DiffRow[] {
  const paths = [...new Set([...leafPaths(before ?? {}), ...leafPaths(after ?? {})])].sort();
  const rows = paths.map((path) => {
    const b = getPath(before, path);
    const a = getPath(after, path);
    return { path, before: b, after: a, changed: JSON.stringify(b) !== JSON.stringify(a) };
  });
  return before && after ? rows.filter((r) => r.changed) : rows;
}

/** A date input's day (YYYY-MM-DD) as the instant it starts, in the browser's time zone; `nextDay` for an inclusive end. */
export function dayStart(day: string | null | undefined, nextDay = false): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  if (nextDay) date.setDate(date.getDate() + 1);
  return date.toISOString();
}
