import type { Logger } from '@nestjs/common';

/**
 * A task run every `everyMs` on a timer that does not keep the process alive. Runs never
 * overlap (a call while one is in flight joins it); `stop` waits for the one in flight. Every
 * instance may run its own: the tasks are idempotent.
 */
export class Periodic<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly task: () => Promise<T>,
    private readonly logger: Logger,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.run().catch((err: Error) => this.logger.warn(`${this.what}: ${err.message}`)), this.everyMs);
    this.timer.unref();
  }

  run(): Promise<T> {
    this.running ??= this.task().finally(() => (this.running = undefined));
    return this.running;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}

/** Calls `chunk` until it deletes fewer than `size` rows; answers the total. */
export async function inChunks(size: number, chunk: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await chunk();
    total += n;
    if (n < size) return total;
  }
}
