import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from './data-source-options';

/** Blocks this thread, event loop included, for `ms` without using CPU: what a long synchronous task does to a service. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe(serviceDataSourceOptions.name, () => {
  let sut: DataSource;

  beforeAll(async () => {
    sut = new DataSource(serviceDataSourceOptions({ url: process.env.DATABASE_URL!, schema: 'public', entities: [], migrations: [] }));
    await sut.initialize();
  });
  afterAll(() => sut?.destroy());

  // A connect timer fires as soon as the loop is free again, before the socket's answer is read:
  // with a 3 s budget, org-service's audit write after a 10,000-row import failed this way (500
  // `internal`, "Connection terminated due to connection timeout") while the other import's rows were validated.
  it('a connection opened just before the event loop stalls for 4 s still serves its query', async () => {
    const queries = Promise.all([1, 2, 3, 4].map((n) => sut.query<Array<{ n: number }>>('SELECT $1::int AS n FROM pg_sleep(0.05)', [n])));
    stall(4000);
    expect((await queries).map(([row]) => row.n)).toEqual([1, 2, 3, 4]);
  }, 30_000);
});
