import { computed, ref } from 'vue';
import { listStaff, type StaffMember } from '@/api/staff';
import { useAuthStore } from '@/stores/auth';

/** The team, loaded once per signed-in staff member from the staff directory. */
const loaded = ref<{ userId: string; staff: StaffMember[] } | null>(null);
let pending: Promise<void> | null = null;

export function useStaff() {
  const auth = useAuthStore();

  async function load(): Promise<void> {
    const me = auth.user;
    if (!me || me.role === 'client' || loaded.value?.userId === me.id) return;
    pending ??= listStaff()
      .then((page) => {
        loaded.value = { userId: me.id, staff: page.items };
      })
      .catch(() => undefined) // pickers still offer "me"
      .finally(() => {
        pending = null;
      });
    await pending;
  }
  void load();

  /** Every active staff member, the signed-in user included (team members). */
  const all = computed(() => (loaded.value?.userId === auth.user?.id ? loaded.value!.staff : []));
  /** The other staff members (the signed-in user is offered as "me"). */
  const others = computed(() => all.value.filter((u) => u.id !== auth.user?.id));
  /** Whether the directory has arrived (pickers show a spinner until then). */
  const ready = computed(() => loaded.value?.userId === auth.user?.id);
  return { all, others, ready, load };
}
