// Polling with a deadline, for every test suite: a condition is awaited, never slept on. The last
// error the probe threw is kept for the timeout message.
export interface WaitOptions { timeoutMs?: number; intervalMs?: number; what?: string }

export async function waitFor<T>(fn: () => Promise<T | undefined | false>, o: WaitOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${o.what ?? 'a condition'}${last instanceof Error ? ` (last error: ${last.message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 100));
  }
}
