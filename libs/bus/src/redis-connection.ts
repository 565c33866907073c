import type { LoggerService } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * One ioredis connection for the bus. RESP2 pinned so stream replies have the nested-array shape
 * this code parses whatever ioredis' default protocol is. Blocking connections queue commands
 * while reconnecting (maxRetriesPerRequest null) so loops wait for Redis instead of spinning;
 * command connections fail requests after ioredis' usual retries. Error events are logged at
 * most once per 5 s per connection (ioredis emits one per reconnect attempt).
 */
export function openRedis(url: string, name: string, blocking: boolean, logger: LoggerService, extra: RedisOptions = {}): Redis {
  const conn = new Redis(url, {
    protocol: 2,
    connectionName: connectionName(name),
    maxRetriesPerRequest: blocking ? null : 20,
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
