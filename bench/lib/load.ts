import { summarize, type LatencySummary } from './stats';

export interface LoadResult extends LatencySummary {
  perSecond: number;
  errors: number;
}

/**
 * Sends `total` requests keeping `inFlight` outstanding at all times; `send(i)` makes request i.
 * A rejected request counts as an error, not a latency.
 */
export async function closedLoop(total: number, inFlight: number, send: (i: number) => Promise<unknown>): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const started = process.hrtime.bigint();
  async function worker(): Promise<void> {
    while (next < total) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await send(i);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch {
        errors++;
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { ...summarize(latencies), perSecond: latencies.length / seconds, errors };
}
