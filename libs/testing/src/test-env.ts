import { clusterAuthFromEnv, clusterUrl, createRedis, masters, type RedisConnection } from '@mfa-platform/client/redis-target';
import type { RedisOptions } from 'ioredis';

/**
 * Where tests put their data: a database per test run and a Redis database of their own.
 * TEST_REDIS_DB lets people run suites side by side without flushing each other.
 *
 * With REDIS_CLUSTER_NODES set (`npm run test:cluster`), tests run on that Redis Cluster instead:
 * TEST_REDIS_URL is the cluster's connection string (`redis-cluster://...`), which every
 * `redisUrl` of the platform and `testRedis()` take. A cluster has one database, so
 * `flushTestRedis` empties every master: use a cluster of its own for tests.
 */
export const TEST_PG_ADMIN_URL = process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_DB = Number(process.env.TEST_REDIS_DB ?? 11);
export const TEST_CLUSTER_NODES = process.env.REDIS_CLUSTER_NODES ?? '';
export const TEST_REDIS_URL = TEST_CLUSTER_NODES
  ? clusterUrl(TEST_CLUSTER_NODES, clusterAuthFromEnv())
  : `redis://127.0.0.1:6379/${TEST_REDIS_DB}`;
/** the services' BUS_PARTITIONS in this run (test clients must put entries where the services read) */
export const TEST_BUS_PARTITIONS = Number(process.env.BUS_PARTITIONS || 1);

/** A connection to the tests' Redis (or cluster), RESP2 like the platform's. */
export function testRedis(options: RedisOptions = {}): RedisConnection {
  return createRedis(TEST_REDIS_URL, { protocol: 2, ...options });
}

/** FLUSHDB of the tests' database; on a cluster, of every master (replicas follow). */
export async function flushTestRedis(conn: RedisConnection): Promise<void> {
  if (TEST_CLUSTER_NODES) {
    // masters() knows the nodes once the slots are loaded
    await conn.ping();
    await Promise.all(masters(conn).map((m) => m.flushdb()));
  } else await conn.flushdb();
}

/** Keys matching `pattern` on every master (SCAN; on a cluster each master holds its own slots). */
export async function keysMatching(conn: RedisConnection, pattern: string): Promise<string[]> {
  await conn.ping();
  const found: string[] = [];
  for (const node of masters(conn)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
  return found;
}

/** Deletes the keys matching `pattern`, one DEL each (keys of a cluster's slots cannot share one). */
export async function deleteMatching(conn: RedisConnection, pattern: string): Promise<number> {
  const keys = await keysMatching(conn, pattern);
  await Promise.all(keys.map((k) => conn.del(k)));
  return keys.length;
}
