import type { Knex } from 'knex';
import { AppError, type Page } from '@vigie/core';

export interface PaginateOptions {
  /** API sort key → column; sortable columns must be NOT NULL so the keyset stays total. */
  sortable: Record<string, string>;
  /** e.g. `-createdAt` (descending) */
  defaultSort: string;
  idColumn?: string;
  limit: number;
  cursor?: string | undefined;
  sort?: string | undefined;
}

interface Cursor {
  s: string; // sort it was made for
  v: unknown; // sort value of the last row
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string, sort: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Cursor;
    if (c.s === sort && typeof c.id === 'string') return c;
  } catch {
    // fall through
  }
  throw AppError.invalid('cursor is invalid or was made for another sort', [{ path: 'cursor', message: 'invalid cursor' }]);
}

/**
 * Keyset pagination: `order by <col>, id` and `where (<col>, id) > (last)`; stable under inserts, unlike
 * offsets. `toItem` maps a row to its API shape and the row must expose the sort column under its name.
 */
export async function paginate<Row extends object, Item>(
  query: Knex.QueryBuilder,
  opts: PaginateOptions,
  toItem: (row: Row) => Item,
): Promise<Page<Item>> {
  const sort = opts.sort ?? opts.defaultSort;
  const desc = sort.startsWith('-');
  const key = desc ? sort.slice(1) : sort;
  const column = opts.sortable[key];
  if (!column) {
    throw AppError.invalid(`cannot sort by "${key}"`, [
      { path: 'sort', message: `one of: ${Object.keys(opts.sortable).map((k) => `${k}, -${k}`).join(', ')}` },
    ]);
  }
  const idColumn = opts.idColumn ?? 'id';
  const dir = desc ? 'desc' : 'asc';
  if (opts.cursor) {
    const c = decodeCursor(opts.cursor, sort);
    query.whereRaw(`(??, ??) ${desc ? '<' : '>'} (?, ?)`, [column, idColumn, c.v as Knex.Value, c.id]);
  }
  const rows = (await query.orderBy([
    { column, order: dir },
    { column: idColumn, order: dir },
  ]).limit(opts.limit + 1)) as Row[];
  const hasMore = rows.length > opts.limit;
  const pageRows = hasMore ? rows.slice(0, opts.limit) : rows;
  const last = pageRows[pageRows.length - 1] as Record<string, unknown> | undefined;
  const columnName = column.includes('.') ? column.split('.').pop()! : column;
  const idName = idColumn.includes('.') ? idColumn.split('.').pop()! : idColumn;
  const lastValue = last?.[columnName];
  return {
    items: pageRows.map(toItem),
    nextCursor:
      hasMore && last
        ? encodeCursor({ s: sort, v: lastValue instanceof Date ? lastValue.toISOString() : lastValue, id: String(last[idName]) })
        : null,
  };
}
