/** What a chunk of a keyset walk tells the walk: how many rows it read, and the key of the last. */
export interface KeysetChunk<K> {
  scanned: number;
  /** null: the chunk read nothing */
  last: K | null;
}

type KeyOf<C> = C extends KeysetChunk<infer K> ? K : never;

/**
 * THE keyset walk ("the members of an org in id order, N at a time"): asks `next` for the chunk
 * after `first`, then after the last key of each chunk, and stops after a chunk shorter than
 * `size`. Never OFFSET: each chunk is an index range scan however deep the walk is. `next` may
 * answer null to end the walk early (a lock held elsewhere, a shutdown): the caller knows why.
 */
export async function* keysetChunks<C extends KeysetChunk<unknown>>(
  first: KeyOf<C>,
  size: number,
  next: (after: KeyOf<C>) => Promise<C | null>,
): AsyncGenerator<C> {
  let after = first;
  for (;;) {
    const chunk = await next(after);
    if (chunk === null) return;
    yield chunk;
    if (chunk.last === null || chunk.scanned < size) return;
    after = chunk.last as KeyOf<C>;
  }
}
