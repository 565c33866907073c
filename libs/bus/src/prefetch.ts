/**
 * A pure read a pattern's handler will need, started by the bus gate as soon as an entry's
 * signature holds, so it travels while the gate's replay marks are in flight (docs/bus-protocol.md
 * "Prefetch"). It is given the entry's parsed `data` (authenticated, not yet validated) and
 * returns what the handler gets from `ctx.getPrefetched()`, or undefined for nothing. It must
 * change nothing (the entry may still be refused: then its result is dropped unread) and must not
 * leave a rejected promise unhandled.
 */
export type Prefetcher = (data: unknown) => unknown;

/** Injection token: an app that prefetches provides a `ReadonlyMap<pattern, Prefetcher>` under it. */
export const BUS_PREFETCH = Symbol('BUS_PREFETCH');
