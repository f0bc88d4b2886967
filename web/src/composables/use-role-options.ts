import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import { LOCALES, ROLES, STAFF_ROLES, type Role } from '@vigie/core';

/** Options of the role and language selects, labelled in the interface language. */
export function useRoleOptions() {
  const { t } = useI18n();
  const option = (value: Role) => ({ value, label: t(`roles.${value}`) });
  return {
    roleOptions: computed(() => ROLES.map(option)),
    staffRoleOptions: computed(() => STAFF_ROLES.map(option)),
    localeOptions: computed(() => LOCALES.map((value) => ({ value, label: t(`locales.${value}`) }))),
  };
}
