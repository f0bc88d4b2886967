import { computed, onBeforeUnmount, onMounted, ref, watch } from 'vue';
import type { Document, Ticket, TicketEvent } from '@vigie/core';
import { ApiError } from '@/api/http';
import { allTicketEvents, getTicket, listAttachments } from '@/api/tickets';
import { errorMessage } from '@/i18n/problems';

/**
 * One ticket as a page shows it (staff or portal): the ticket, its timeline and attachments, loaded when
 * the id changes, refreshed after a change and when the tab comes back (someone may have answered
 * meanwhile). A failed refresh is reported through `onRefreshError`; a failed load through `loadError`.
 */
export function useTicketRecord(id: () => string, onRefreshError: (message: string) => void) {
  const ticket = ref<Ticket | null>(null);
  const events = ref<TicketEvent[]>([]);
  const attachments = ref<Document[]>([]);
  const loading = ref(false);
  const loadError = ref<unknown>(null);
  const notFound = computed(() => loadError.value instanceof ApiError && (loadError.value.status === 404 || loadError.value.status === 400));

  function show(next: Ticket): void {
    ticket.value = next;
    document.title = `${next.number} · ${next.subject} · Vigie`;
  }

  async function loadHistory(): Promise<void> {
    const [evts, docs] = await Promise.all([allTicketEvents(id()), listAttachments(id())]);
    events.value = evts;
    attachments.value = docs.items;
  }

  async function load(): Promise<void> {
    loading.value = true;
    loadError.value = null;
    try {
      show(await getTicket(id()));
      await loadHistory();
    } catch (err) {
      if (ticket.value?.id !== id()) ticket.value = null;
      loadError.value = err;
    } finally {
      loading.value = false;
    }
  }
  watch(
    id,
    () => {
      ticket.value = null;
      events.value = [];
      void load();
    },
    { immediate: true },
  );

  /** After any change: the ticket (SLA, status) and its history again. */
  async function refresh(): Promise<void> {
    try {
      show(await getTicket(id()));
      await loadHistory();
    } catch (err) {
      onRefreshError(errorMessage(err));
    }
  }
  const onVisible = () => document.visibilityState === 'visible' && ticket.value && void refresh();
  onMounted(() => document.addEventListener('visibilitychange', onVisible));
  onBeforeUnmount(() => document.removeEventListener('visibilitychange', onVisible));

  return { ticket, events, attachments, loading, loadError, notFound, show, loadHistory, load, refresh };
}
