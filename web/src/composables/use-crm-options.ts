import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import { CLIENT_STATUSES, DOCUMENT_CATEGORIES, INTERACTION_KINDS, type ClientStatus } from '@vigie/core';
import { useAuthStore } from '@/stores/auth';

/** Colours of the client status chips (the same in the list, the record and the search). */
export const STATUS_COLOR: Record<ClientStatus, string> = { prospect: 'amber-9', active: 'positive', archived: 'grey-6' };

/** Options of the CRM selects, labelled in the interface language, and who may change what. */
export function useCrmOptions() {
  const { t } = useI18n();
  const auth = useAuthStore();
  return {
    statusOptions: computed(() => CLIENT_STATUSES.map((value) => ({ value, label: t(`crm.status.${value}`) }))),
    kindOptions: computed(() => INTERACTION_KINDS.map((value) => ({ value, label: t(`crm.kinds.${value}`) }))),
    categoryOptions: computed(() => DOCUMENT_CATEGORIES.map((value) => ({ value, label: t(`crm.categories.${value}`) }))),
    /** Admins and managers change records; every staff role reads and logs interactions. */
    canWrite: computed(() => auth.role === 'admin' || auth.role === 'manager'),
    /** The forecast is for the people who sell (the API refuses it to technicians). */
    canForecast: computed(() => auth.role === 'admin' || auth.role === 'manager'),
    isAdmin: computed(() => auth.role === 'admin'),
  };
}
