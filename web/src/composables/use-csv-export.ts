import { ref } from 'vue';
import type { Page } from '@vigie/core';
import { csvSeparator, downloadText, toCsv } from '@/utils/csv';
import type { ListParams } from './use-cursor-list';

export const EXPORT_PAGE_SIZE = 200; // the API's maximum

export interface CsvColumn<T> {
  header: string;
  value: (row: T) => unknown;
}

/** Exports everything the current filter matches: every page at the largest size, with progress and cancel. */
export function useCsvExport() {
  const exporting = ref(false);
  const exported = ref(0);
  /** Number of the export in progress; cancelling or restarting makes older loops stop at their next page. */
  let current = 0;

  async function run<T, P extends ListParams>(opts: {
    fetch: (params: P) => Promise<Page<T>>;
    params: P;
    columns: CsvColumn<T>[];
    filename: string;
    locale: string;
  }): Promise<number | undefined> {
    const mine = ++current;
    exporting.value = true;
    exported.value = 0;
    const rows: unknown[][] = [];
    try {
      let cursor: string | null | undefined;
      do {
        const page = await opts.fetch({ ...opts.params, limit: EXPORT_PAGE_SIZE, ...(cursor ? { cursor } : {}) });
        if (mine !== current) return undefined;
        for (const item of page.items) rows.push(opts.columns.map((c) => c.value(item)));
        exported.value = rows.length;
        cursor = page.nextCursor;
      } while (cursor);
      const separator = csvSeparator(opts.locale);
      downloadText(opts.filename, toCsv(opts.columns.map((c) => c.header), rows, separator));
      return rows.length;
    } finally {
      if (mine === current) exporting.value = false;
    }
  }

  function cancel(): void {
    current++;
    exporting.value = false;
  }

  return { exporting, exported, run, cancel };
}
