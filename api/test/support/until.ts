/**
 * Polls `probe` until it answers something (not undefined, null or false) and returns that, or fails
 * after `timeoutMs` naming `what`: for effects that land asynchronously (workflows, ingest, agents).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
