import { onBeforeUnmount, onMounted, ref } from 'vue';

/** The current time, refreshed every `everyMs` while the component lives (relative times: "il y a 2 min"). */
export function useNow(everyMs = 15_000) {
  const now = ref(Date.now());
  let timer: ReturnType<typeof setInterval> | undefined;
  onMounted(() => {
    timer = setInterval(() => (now.value = Date.now()), everyMs);
  });
  onBeforeUnmount(() => clearInterval(timer));
  return now;
}
