import { computed, ref } from 'vue';
import { listTeams, type Team } from '@/api/teams';
import { useAuthStore } from '@/stores/auth';

/** The teams, loaded once per signed-in staff member; the teams page reloads them after each change. */
const loaded = ref<{ userId: string; teams: Team[] } | null>(null);
let pending: Promise<void> | null = null;
let generation = 0;

export function useTeams() {
  const auth = useAuthStore();

  /** `force`: read them again (after a change, or to pick up another admin's); the latest answer wins. */
  async function load(force = false): Promise<void> {
    const me = auth.user;
    if (!me || me.role === 'client') return;
    if (!force && loaded.value?.userId === me.id) return;
    if (!force && pending) return pending;
    const mine = ++generation;
    const request = listTeams().then((page) => {
      if (mine === generation) loaded.value = { userId: me.id, teams: page.items };
    });
    pending = request;
    try {
      await request;
    } finally {
      if (pending === request) pending = null;
    }
  }

  /** Pickers and filters: a failure leaves them with "no team" only (the page that manages teams shows it). */
  function ensure(): void {
    load().catch(() => undefined);
  }
  ensure();

  const teams = computed(() => (loaded.value?.userId === auth.user?.id ? loaded.value!.teams : []));
  /** The teams the signed-in user belongs to. */
  const myTeams = computed(() => teams.value.filter((team) => team.members.some((m) => m.id === auth.user?.id)));
  /** Whether the teams have arrived (until then an id cannot be named). */
  const ready = computed(() => loaded.value?.userId === auth.user?.id);
  return { teams, myTeams, ready, load };
}
