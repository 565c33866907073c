/**
 * Batches for a DataLoader: the requests of one tick share a query (the bus hands a batch of
 * entries to the handlers at once), and while `maxInFlight` queries run, the next requests wait
 * and go together when one ends. An idle service adds no delay; a busy one sends fewer, larger
 * queries instead of one per request.
 */
export function coalescingBatches(maxInFlight: number) {
  let inFlight = 0;
  const waiting: Array<() => void> = [];
  const release = () => {
    inFlight--;
    const next = waiting.shift();
    if (next) start(next);
  };
  const start = (run: () => void) => {
    inFlight++;
    setImmediate(run);
  };
  return {
    schedule: (run: () => void) => (inFlight < maxInFlight ? start(run) : waiting.push(run)),
    /** wraps the batch function so that its end lets the next batch go */
    track:
      <K, V>(batch: (keys: readonly K[]) => Promise<V[]>) =>
      (keys: readonly K[]) =>
        batch(keys).finally(release),
  };
}
