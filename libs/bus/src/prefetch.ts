/**
 * The reads a Prefetcher may make: on the gate's own connection, in the same write as the batch's
 * replay marks (one round trip for both; on a cluster, routed like any command).
 */
export interface PrefetchReads {
  hmget(key: string, ...fields: string[]): Promise<Array<string | null>>;
}

/**
 * A pure read a pattern's handler will need, started by the bus gate once an entry's signature
 * holds, with the replay marks (docs/bus-protocol.md "The gate"). It is given the entry's parsed
 * `data` (authenticated, not yet validated) and returns what the handler gets from
 * `ctx.getPrefetched()`, or undefined for nothing. The entry may still be refused: then its
 * result is dropped unread, so it must not leave a rejected promise unhandled.
 */
export type Prefetcher = (data: unknown, redis: PrefetchReads) => unknown;

/** Injection token: an app that prefetches provides a `ReadonlyMap<pattern, Prefetcher>` under it. */
export const BUS_PREFETCH = Symbol('BUS_PREFETCH');
