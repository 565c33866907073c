import { keysetChunks } from './keyset';

describe('keysetChunks', () => {
  const table = Array.from({ length: 7 }, (_, i) => i + 1);
  const chunkOf = (size: number, asked: number[]) => async (after: number) => {
    asked.push(after);
    const rows = table.filter((k) => k > after).slice(0, size);
    return { rows, scanned: rows.length, last: rows.at(-1) ?? null };
  };

  it('walks every key once, in order, each chunk after the last key of the one before', async () => {
    const asked: number[] = [];
    const seen: number[] = [];
    for await (const c of keysetChunks(0, 3, chunkOf(3, asked))) seen.push(...c.rows);
    expect(seen).toEqual(table);
    expect(asked).toEqual([0, 3, 6]);
  });

  it('stops after a full last chunk with one more (empty) read, and never after a short one', async () => {
    const asked: number[] = [];
    for await (const _ of keysetChunks(0, 7, chunkOf(7, asked)));
    expect(asked).toEqual([0, 7]);
  });

  it('ends when the chunk function answers null', async () => {
    let calls = 0;
    const chunks = [];
    for await (const c of keysetChunks(0, 1, async () => (++calls > 2 ? null : { scanned: 1, last: calls }))) chunks.push(c);
    expect(chunks).toHaveLength(2);
  });
});
