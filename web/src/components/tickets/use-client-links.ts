import { computed, ref, watch, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { Contact, Contract } from '@vigie/core';
import { listContacts } from '@/api/clients';
import { listContracts } from '@/api/contracts';

/**
 * The contacts and contracts of a ticket's client, for its pickers (a ticket links only its own client's),
 * reloaded when the client changes. Ended contracts take no new tickets.
 */
export function useClientLinks(clientId: Ref<string | null | undefined>) {
  const { t } = useI18n();
  const contacts = ref<Contact[]>([]);
  const contracts = ref<Contract[]>([]);
  const loading = ref(false);
  /** The client whose links are loaded (null while loading or after a failure). */
  const loadedFor = ref<string | null>(null);
  let latest = 0;

  async function load(id: string | null | undefined): Promise<void> {
    const call = ++latest;
    contacts.value = [];
    contracts.value = [];
    loadedFor.value = null;
    if (!id) return;
    loading.value = true;
    try {
      const [people, deals] = await Promise.all([listContacts(id, { limit: 200, sort: 'name' }), listContracts({ clientId: id, limit: 100 })]);
      if (call !== latest) return;
      contacts.value = people.items;
      contracts.value = deals.items;
      loadedFor.value = id;
    } catch {
      // The pickers stay empty; the ticket can still be saved without them.
    } finally {
      if (call === latest) loading.value = false;
    }
  }
  watch(clientId, (id) => void load(id), { immediate: true });

  /** The client's default contract (the one the API picks when none is given). */
  const defaultContract = computed(() => contracts.value.find((c) => c.isDefault && c.status !== 'ended') ?? null);
  const contactOptions = computed(() => contacts.value.map((c) => ({ value: c.id, label: c.email ? `${c.name} (${c.email})` : c.name })));
  const contractOptions = computed(() =>
    contracts.value
      .filter((c) => c.status !== 'ended')
      .map((c) => ({ value: c.id, label: c.isDefault ? t('tickets.create.contractDefault', { name: c.name }) : c.name })),
  );
  const contactName = (id: string | null) => contacts.value.find((c) => c.id === id)?.name ?? null;
  const contractName = (id: string | null) => contracts.value.find((c) => c.id === id)?.name ?? null;

  return { contacts, contracts, loading, loadedFor, defaultContract, contactOptions, contractOptions, contactName, contractName, reload: () => load(clientId.value) };
}
