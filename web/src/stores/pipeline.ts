import { computed, ref, watch } from 'vue';
import { defineStore } from 'pinia';
import type { PipelineStage } from '@vigie/core';
import { listStages } from '@/api/pipeline';
import { useAuthStore } from './auth';

/** The tenant's pipeline stages, read once per session and shared by the board, the forms and the lists. */
export const usePipelineStore = defineStore('pipeline', () => {
  const auth = useAuthStore();
  const stages = ref<PipelineStage[]>([]);
  let loading: Promise<void> | null = null;

  /** Open stages in their order, then won, then lost: the columns of the board. */
  const boardStages = computed(() => [
    ...stages.value.filter((s) => s.kind === 'open').sort((a, b) => a.position - b.position),
    ...stages.value.filter((s) => s.kind === 'won'),
    ...stages.value.filter((s) => s.kind === 'lost'),
  ]);
  const openStages = computed(() => boardStages.value.filter((s) => s.kind === 'open'));

  function ensureLoaded(): Promise<void> {
    loading ??= reload().catch((err: unknown) => {
      loading = null; // a later call retries
      throw err;
    });
    return loading;
  }

  async function reload(): Promise<void> {
    stages.value = await listStages();
  }

  const stageById = (id: string) => stages.value.find((s) => s.id === id);

  // Another user (another tenant) must not see these stages.
  watch(
    () => auth.user?.id,
    () => {
      stages.value = [];
      loading = null;
    },
  );

  return { stages, boardStages, openStages, ensureLoaded, reload, stageById };
});
