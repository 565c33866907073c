import type { LoggerService } from '@nestjs/common';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { Tracing } from '../tracing';

/**
 * The platform's one local timer, for work that cannot be a BullMQ job scheduler (docs/jobs.md):
 * runs `task` every `everyMs` on a timer that does not keep the process alive. Runs never
 * overlap (a `run` while one is in flight joins it; a `kick` runs once more after it); `stop`
 * waits for the one in flight. Every instance may run its own: the tasks are idempotent.
 */
export class Periodic<T> {
  private timer?: NodeJS.Timeout;
  private running?: Promise<T>;
  private again = false;
  private stopped = false;

  constructor(
    private readonly what: string,
    private readonly everyMs: number,
    private readonly task: () => Promise<T>,
    private readonly logger: LoggerService,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.everyMs);
    this.timer.unref();
  }

  /** Runs the task now, or joins the run in flight. */
  run(): Promise<T> {
    // outside any trace: a kick comes from a request's context, but a pass serves many requests' rows
    this.running ??= (Tracing.enabled ? context.with(ROOT_CONTEXT, this.task) : this.task()).finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
    return this.running;
  }

  /** Runs the task now, or once more after the run in flight (work arrived while it ran); errors are logged. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.run().catch((err: Error) => {
      this.logger.warn(`${this.what}: ${err.message}`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
