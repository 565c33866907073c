import DataLoader from 'dataloader';
import { setImmediate as tick } from 'node:timers/promises';
import { coalescingBatches } from './coalescing-batches';

describe('coalescingBatches', () => {
  function loader(maxInFlight: number) {
    const batches: string[][] = [];
    const finish: Array<() => void> = [];
    const sched = coalescingBatches(maxInFlight);
    const dl = new DataLoader<string, string>(
      sched.track(async (keys: readonly string[]) => {
        batches.push([...keys]);
        await new Promise<void>((resolve) => finish.push(resolve));
        return keys.map((k) => k.toUpperCase());
      }),
      { cache: false, batchScheduleFn: sched.schedule },
    );
    return { dl, batches, finish };
  }

  it('sends the loads of one tick together', async () => {
    const { dl, batches, finish } = loader(2);
    const all = Promise.all(['a', 'b', 'c'].map((k) => dl.load(k)));
    await tick();
    expect(batches).toEqual([['a', 'b', 'c']]);
    finish[0]();
    await expect(all).resolves.toEqual(['A', 'B', 'C']);
  });

  it('holds the loads that come while the limit of queries runs, and sends them as one', async () => {
    const { dl, batches, finish } = loader(1);
    const first = dl.load('a');
    await tick();
    const later = [dl.load('b')];
    await tick();
    later.push(dl.load('c'));
    await tick();
    expect(batches).toEqual([['a']]);
    finish[0]();
    await expect(first).resolves.toBe('A');
    await tick();
    expect(batches).toEqual([['a'], ['b', 'c']]);
    finish[1]();
    await expect(Promise.all(later)).resolves.toEqual(['B', 'C']);
  });

  it('lets the next batch go when a query fails', async () => {
    const sched = coalescingBatches(1);
    let calls = 0;
    const dl = new DataLoader<string, string>(
      sched.track(async (keys: readonly string[]) => {
        if (calls++ === 0) throw new Error('database down');
        return [...keys];
      }),
      { cache: false, batchScheduleFn: sched.schedule },
    );
    await expect(dl.load('a')).rejects.toThrow('database down');
    await expect(dl.load('b')).resolves.toBe('b');
  });
});
