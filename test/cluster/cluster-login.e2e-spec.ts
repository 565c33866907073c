/**
 * A Redis Cluster that requires a login (`npm run test:cluster` starts one with
 * REDIS_CLUSTER_PASSWORD): every connection the platform opens carries it to every node, one
 * without it is refused. The rest of the cluster suites passing on this cluster is the wider proof:
 * a connection anywhere (bus, queues, workers, the web app) that forgot the login would fail them.
 */
import { clusterUrl, createRedis, masters, type RedisConnection } from '@mfa-platform/client/redis-target';
import { TEST_CLUSTER_NODES, TEST_REDIS_URL } from '@mfa/testing';

const run = TEST_CLUSTER_NODES && process.env.REDIS_CLUSTER_PASSWORD ? describe : describe.skip;

run('a Redis Cluster with a password', () => {
  const opened: RedisConnection[] = [];
  const open = (url: string) => {
    const c = createRedis(url, { protocol: 2, maxRetriesPerRequest: 0, retryStrategy: () => null });
    opened.push(c);
    return c;
  };
  afterAll(() => opened.forEach((c) => c.disconnect()));

  it("the platform's connection string logs in to every master", async () => {
    const conn = open(TEST_REDIS_URL);
    // keys of three slots spread over the masters
    for (const k of ['login:{a}', 'login:{b}', 'login:{c}']) await conn.set(k, '1', 'EX', 10);
    expect(await conn.mget('login:{a}')).toEqual(['1']);
    expect(masters(conn).length).toBeGreaterThanOrEqual(3);
    for (const m of masters(conn)) expect(await m.ping()).toBe('PONG');
  });

  it('a connection without the password is refused (NOAUTH), with a wrong one too (WRONGPASS)', async () => {
    const refusal = (url: string) =>
      new Promise<string>((resolve) => {
        const conn = open(url);
        conn.once('error', (err: Error & { lastNodeError?: Error }) => resolve(`${err.message} ${err.lastNodeError?.message ?? ''}`));
        conn.get('login:{a}').catch(() => undefined);
      });
    expect(await refusal(clusterUrl(TEST_CLUSTER_NODES))).toContain('NOAUTH');
    expect(await refusal(clusterUrl(TEST_CLUSTER_NODES, { password: 'not-the-password' }))).toContain('WRONGPASS');
  });
});
