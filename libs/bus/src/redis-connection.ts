import type { LoggerService } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { clusterCommandOptions, createRedis, isCluster, masters, type RedisConnection } from '@mfa-platform/client/redis-target';

export {
  clusterAuthFromEnv,
  clusterNodesProblem,
  clusterUrl,
  createRedis,
  isCluster,
  isClusterUrl,
  masters,
} from '@mfa-platform/client/redis-target';
export type { RedisConnection } from '@mfa-platform/client/redis-target';

/**
 * One ioredis connection for the bus (a `Cluster` when `url` names one: createRedis). RESP2 pinned so stream replies have the nested-array shape
 * this code parses whatever ioredis' default protocol is. Blocking connections queue commands
 * while reconnecting (maxRetriesPerRequest null) so loops wait for Redis instead of spinning;
 * command connections fail requests after ioredis' usual retries, and on a cluster auto-pipeline
 * (clusterCommandOptions). Error events are logged at
 * most once per 5 s per connection (ioredis emits one per reconnect attempt).
 */
export function openRedis(url: string, name: string, blocking: boolean, logger: LoggerService, extra: RedisOptions = {}): RedisConnection {
  const conn = createRedis(url, {
    protocol: 2,
    connectionName: connectionName(name),
    maxRetriesPerRequest: blocking ? null : 20,
    ...(blocking ? {} : clusterCommandOptions(url)),
    ...extra,
  });
  let lastLog = 0;
  conn.on('error', (err: Error) => {
    const now = Date.now();
    if (now - lastLog < 5000) return;
    lastLog = now;
    logger.error(`redis connection ${name}: ${err.message}`);
  });
  return conn;
}

/** CLIENT SETNAME accepts no spaces; hostnames may hold anything. */
export function connectionName(name: string): string {
  return name.replace(/[^A-Za-z0-9:._-]/g, '_');
}

/** Ids of this server's connections named in `names`, from CLIENT LIST. */
export async function clientIdsByName(conn: Redis, names: ReadonlySet<string>): Promise<string[]> {
  const list = String(await conn.client('LIST'));
  const ids: string[] = [];
  for (const line of list.split('\n')) {
    const id = /(?:^| )id=(\d+)/.exec(line)?.[1];
    const name = /(?:^| )name=(\S*)/.exec(line)?.[1];
    if (id && name && names.has(name)) ids.push(id);
  }
  return ids;
}

/**
 * CLIENT UNBLOCK of the connections named in `names`, on every master (a cluster's blocked
 * readers sit on the master of their stream's slot). Ids are looked up now: a reconnect changes them.
 */
export async function unblockByName(conn: RedisConnection, names: ReadonlySet<string>): Promise<void> {
  await Promise.all(
    masters(conn).map(async (node) => {
      const ids = await clientIdsByName(node, names).catch(() => [] as string[]);
      await Promise.all(ids.map((id) => node.client('UNBLOCK', id).catch(() => 0)));
    }),
  );
}

/** Commands queued on a MULTI. */
export type Multi = ReturnType<Redis['multi']>;

/**
 * Runs groups of commands, each group on keys of one slot, as transactions, then `after` (e.g.
 * the XACK of entries whose replies the groups write). One Redis: one MULTI for all of it, as
 * before. A cluster (a MULTI may not span slots): one MULTI per group, all at once, and `after`
 * only once every group is done, so what `after` records never gets ahead of them. Resolves with
 * the first error (null: all done; `after` is skipped after an error); rejects when Redis is
 * unreachable.
 */
export async function execGroups(
  conn: RedisConnection,
  groups: Array<(m: Multi) => unknown>,
  after?: (m: Multi) => unknown,
): Promise<Error | null> {
  const run = async (parts: Array<(m: Multi) => unknown>): Promise<Error | null> => {
    if (parts.length === 0) return null;
    const m = conn.multi();
    for (const part of parts) part(m);
    const results = (await m.exec()) ?? [];
    return results.find(([err]) => err)?.[0] ?? null;
  };
  if (!isCluster(conn)) return run(after ? [...groups, after] : groups);
  const errors = await Promise.all(groups.map((g) => run([g])));
  const failed = errors.find((e) => e);
  if (failed) return failed;
  return after ? run([after]) : null;
}

/** A sleep that close() can cut short. */
export class Sleeper {
  private readonly wakers = new Set<() => void>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.add(done);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.wakers]) wake();
  }
}
