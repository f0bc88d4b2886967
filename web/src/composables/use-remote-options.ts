import { ref, watch, type Ref } from 'vue';

export interface RemoteOption {
  value: string;
  label: string;
}

/**
 * The options of a select searched on the server whose model is an id: the chosen option stays among the
 * options after another search, and an id chosen before any search (from the address, a record) is read
 * once so its label shows, not the id.
 */
export function useRemoteOptions<O extends RemoteOption>(model: Ref<string | null>, source: { one(id: string): Promise<O>; search(text: string): Promise<O[]> }) {
  const options = ref([]) as Ref<O[]>;
  const listed = (id: string) => options.value.some((o) => o.value === id);

  watch(
    model,
    async (id) => {
      if (!id || listed(id)) return;
      try {
        const option = await source.one(id);
        if (model.value === id && !listed(id)) options.value = [option, ...options.value];
      } catch {
        // An unknown id stays shown as is.
      }
    },
    { immediate: true },
  );

  async function onFilter(text: string, update: (fn: () => void) => void, abort: () => void): Promise<void> {
    try {
      const found = await source.search(text.trim());
      update(() => {
        const selected = options.value.find((o) => o.value === model.value);
        options.value = selected && !found.some((o) => o.value === selected.value) ? [selected, ...found] : found;
      });
    } catch {
      abort();
    }
  }

  return { options, onFilter };
}
