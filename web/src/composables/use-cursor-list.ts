import { computed, ref, shallowRef, watch, type Ref } from 'vue';
import type { Page } from '@vigie/core';
import type { QueryValue } from '@/api/http';

/** What every list endpoint takes (keyset pagination, sort, free text) plus the list's own filters. */
export interface ListParams {
  limit: number;
  cursor?: string;
  sort?: string;
  q?: string;
}

export type FetchPage<T, F> = (params: ListParams & Partial<F>) => Promise<Page<T>>;

export interface CursorListState<F> {
  limit: Ref<number>;
  sort: Ref<string | undefined>;
  q: Ref<string>;
  filters: () => F | undefined;
}

/** Drops empty filter values so the API gets only what was chosen. */
function cleanFilters<F>(filters: F | undefined): Partial<F> {
  return Object.fromEntries(
    Object.entries((filters ?? {}) as Record<string, QueryValue>).filter(([, v]) => v !== undefined && v !== null && v !== ''),
  ) as Partial<F>;
}

/**
 * Walks a cursor-paginated endpoint page by page. The API only goes forward (nextCursor), so the cursors of
 * the pages already seen are kept on a stack to go back. Any change of sort, search, filters or page size
 * starts again from the first page (a cursor is only valid for the sort it was made for).
 */
export function useCursorList<T, F>(fetch: FetchPage<T, F>, state: CursorListState<F>) {
  const items = shallowRef<T[]>([]);
  const loading = ref(false);
  const error = ref<unknown>(null);
  const nextCursor = ref<string | null>(null);
  /** Cursor of each page visited; the last one is the current page (undefined = first page). */
  const cursors = ref<(string | undefined)[]>([undefined]);
  let latest = 0;

  /** The query without a cursor: the current filter, as the CSV export also needs it. */
  function baseParams(): ListParams & Partial<F> {
    const q = (state.q.value ?? '').trim(); // a cleared q-input gives null
    return {
      ...cleanFilters(state.filters()),
      limit: state.limit.value,
      ...(state.sort.value ? { sort: state.sort.value } : {}),
      ...(q ? { q } : {}),
    };
  }

  async function load(): Promise<void> {
    const call = ++latest; // a slow answer to an older query must not replace a newer one
    loading.value = true;
    error.value = null;
    const cursor = cursors.value[cursors.value.length - 1];
    try {
      const page = await fetch({ ...baseParams(), ...(cursor ? { cursor } : {}) });
      if (call !== latest) return;
      items.value = page.items;
      nextCursor.value = page.nextCursor;
    } catch (err) {
      if (call === latest) error.value = err;
    } finally {
      if (call === latest) loading.value = false;
    }
  }

  function next(): void {
    if (!nextCursor.value || loading.value) return;
    cursors.value = [...cursors.value, nextCursor.value];
    void load();
  }

  function previous(): void {
    if (cursors.value.length <= 1 || loading.value) return;
    cursors.value = cursors.value.slice(0, -1);
    void load();
  }

  function restart(): void {
    cursors.value = [undefined];
    void load();
  }

  watch([state.limit, state.sort, state.q, () => JSON.stringify(state.filters() ?? {})], restart);

  return {
    items,
    loading,
    error,
    pageNumber: computed(() => cursors.value.length),
    hasPrevious: computed(() => cursors.value.length > 1),
    hasNext: computed(() => nextCursor.value !== null),
    baseParams,
    load,
    next,
    previous,
    restart,
  };
}
