/**
 * Runs expensive bus work (scrypt, QR rendering) beside the read loop, a few at a time, taking
 * turns between orgs: one org's flood waits in its own queue and delays others by at most its
 * share. A full queue refuses at once (the caller is told `rate_limited`).
 */
export class FairScheduler {
  private readonly queues = new Map<string, Array<() => Promise<void>>>();
  private running = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly concurrency: number,
    private readonly maxQueuedPerKey: number,
  ) {}

  get size(): number {
    let n = this.running;
    for (const q of this.queues.values()) n += q.length;
    return n;
  }

  /** false: this key already has maxQueuedPerKey tasks waiting. */
  submit(key: string, task: () => Promise<void>): boolean {
    const q = this.queues.get(key);
    if (q && q.length >= this.maxQueuedPerKey) return false;
    if (q) q.push(task);
    else this.queues.set(key, [task]);
    this.pump();
    return true;
  }

  /** Resolves when nothing runs or waits. */
  drained(): Promise<void> {
    return this.size === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queues.size > 0) {
      // the first key in insertion order goes next, then moves to the back: round robin
      const [key, q] = this.queues.entries().next().value as [string, Array<() => Promise<void>>];
      const task = q.shift()!;
      this.queues.delete(key);
      if (q.length > 0) this.queues.set(key, q);
      this.running++;
      void task()
        .catch(() => undefined)
        .finally(() => {
          this.running--;
          this.pump();
          if (this.size === 0) this.idle.splice(0).forEach((r) => r());
        });
    }
  }
}
