import { computed, ref } from 'vue';
import type { User } from '@vigie/core';
import { listUsers } from '@/api/users';
import { useAuthStore } from '@/stores/auth';

/** The team, loaded once per signed-in admin (only admins may list users; others see themselves). */
const loaded = ref<{ userId: string; staff: User[] } | null>(null);
let pending: Promise<void> | null = null;

export function useStaff() {
  const auth = useAuthStore();

  async function load(): Promise<void> {
    const me = auth.user;
    if (!me || me.role !== 'admin' || loaded.value?.userId === me.id) return;
    pending ??= listUsers({ limit: 200, sort: 'name' })
      .then((page) => {
        loaded.value = { userId: me.id, staff: page.items.filter((u) => u.role !== 'client' && !u.disabled) };
      })
      .catch(() => undefined) // pickers still offer "me"
      .finally(() => {
        pending = null;
      });
    await pending;
  }
  void load();

  /** The other staff members (the signed-in user is offered as "me"). */
  const others = computed(() => (loaded.value?.userId === auth.user?.id ? loaded.value!.staff.filter((u) => u.id !== auth.user?.id) : []));
  return { others, load };
}
