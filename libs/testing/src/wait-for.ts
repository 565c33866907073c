/** Polls `check` until it answers something truthy (and returns it), or fails after `ms`. */
export async function waitFor<T>(check: () => T | Promise<T>, ms = 5000, everyMs = 20): Promise<NonNullable<T>> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
