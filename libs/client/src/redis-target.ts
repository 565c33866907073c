/**
 * Where the bus lives: one Redis (a `redis://` URL) or a Redis Cluster. Inside the platform a
 * cluster is named by one connection string, `redis-cluster://[user:password@]host:port,...`
 * (`rediss-cluster://` for TLS), made from REDIS_CLUSTER_NODES (and REDIS_CLUSTER_USERNAME,
 * REDIS_CLUSTER_PASSWORD, REDIS_CLUSTER_TLS) at boot, so every `redisUrl` option takes either and
 * `createRedis` is the one place that decides between ioredis' `Redis` and `Cluster`.
 */
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';

/** A single Redis or a cluster: the commands this code uses exist on both with the same types. */
export type RedisConnection = Redis | Cluster;

export const CLUSTER_URL_SCHEME = 'redis-cluster://';
/** A cluster whose nodes speak TLS (each node's connection gets `tls: {}`: the system's CAs, NODE_EXTRA_CA_CERTS). */
export const CLUSTER_TLS_URL_SCHEME = 'rediss-cluster://';

/** How the platform's connections log in to each node of a cluster (its nodes share ACL users). */
export interface ClusterAuth {
  /** an ACL user (default: Redis' `default` user) */
  username?: string;
  password?: string;
  tls?: boolean;
}

export interface ClusterNodeAddress {
  host: string;
  port: number;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;

/** What is wrong with a `host:port,host:port` list (null: fine). Names the bad entry by position. */
export function clusterNodesProblem(value: string): string | null {
  // a login pasted into the list (`user:password@host:port`, as in a URL) is named, never echoed
  if (value.includes('@'))
    return 'holds "@": a login goes in REDIS_CLUSTER_USERNAME / REDIS_CLUSTER_PASSWORD (MfaClient: redisOptions), not in the node list';
  const entries = value.split(',').map((e) => e.trim());
  if (entries.length > 64) return 'at most 64 nodes';
  for (const [i, entry] of entries.entries()) {
    if (!entry) return `entry ${i + 1} is empty (expected host:port,host:port,...)`;
    const at = entry.lastIndexOf(':');
    const host = at > 0 ? entry.slice(0, at) : '';
    const port = at > 0 ? entry.slice(at + 1) : '';
    if (!host || !port) return `entry ${i + 1} ("${entry}") is not host:port`;
    if (!HOST.test(host)) return `entry ${i + 1} ("${entry}"): "${host}" is not a host name or address`;
    if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `entry ${i + 1} ("${entry}"): port must be 1..65535`;
  }
  return null;
}

/** The nodes of a `host:port,...` list; throws naming the problem. */
export function parseClusterNodes(value: string): ClusterNodeAddress[] {
  const problem = clusterNodesProblem(value);
  if (problem) throw new Error(`REDIS_CLUSTER_NODES: ${problem}`);
  return value.split(',').map((e) => {
    const entry = e.trim();
    const at = entry.lastIndexOf(':');
    return { host: entry.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(entry.slice(at + 1)) };
  });
}

/** The connection string of a cluster: `redis-cluster://` (or `rediss-cluster://`), its login, its node list. */
export function clusterUrl(nodes: string, auth: ClusterAuth = {}): string {
  parseClusterNodes(nodes);
  // percent-encoded: a password may hold '@', ':' or ','
  const login = auth.password
    ? `${encodeURIComponent(auth.username ?? '')}:${encodeURIComponent(auth.password)}@`
    : auth.username
      ? `${encodeURIComponent(auth.username)}@`
      : '';
  return `${auth.tls ? CLUSTER_TLS_URL_SCHEME : CLUSTER_URL_SCHEME}${login}${nodes
    .split(',')
    .map((n) => n.trim())
    .join(',')}`;
}

/** The cluster login the environment (or a validated env class) names: REDIS_CLUSTER_USERNAME, REDIS_CLUSTER_PASSWORD, REDIS_CLUSTER_TLS=true. */
export function clusterAuthFromEnv(
  env: Partial<Record<'REDIS_CLUSTER_USERNAME' | 'REDIS_CLUSTER_PASSWORD' | 'REDIS_CLUSTER_TLS', string>> = process.env,
): ClusterAuth {
  return {
    username: env.REDIS_CLUSTER_USERNAME || undefined,
    password: env.REDIS_CLUSTER_PASSWORD || undefined,
    tls: env.REDIS_CLUSTER_TLS === 'true',
  };
}

export function isClusterUrl(url: string): boolean {
  return url.startsWith(CLUSTER_URL_SCHEME) || url.startsWith(CLUSTER_TLS_URL_SCHEME);
}

/** The nodes and login of a cluster's connection string. */
export function parseClusterUrl(url: string): { nodes: ClusterNodeAddress[]; auth: ClusterAuth } {
  const tls = url.startsWith(CLUSTER_TLS_URL_SCHEME);
  const rest = url.slice((tls ? CLUSTER_TLS_URL_SCHEME : CLUSTER_URL_SCHEME).length);
  // the last '@': node lists hold none, an unencoded password might
  const at = rest.lastIndexOf('@');
  const auth: ClusterAuth = tls ? { tls } : {};
  if (at >= 0) {
    const login = rest.slice(0, at);
    const colon = login.indexOf(':');
    const username = decodeURIComponent(colon >= 0 ? login.slice(0, colon) : login);
    if (username) auth.username = username;
    if (colon >= 0) auth.password = decodeURIComponent(login.slice(colon + 1));
  }
  return { nodes: parseClusterNodes(rest.slice(at + 1)), auth };
}

export function isCluster(conn: RedisConnection): conn is Cluster {
  return (conn as { isCluster?: boolean }).isCluster === true;
}

/** Options that belong to the cluster client itself; the rest go to each node's connection. */
const CLUSTER_LEVEL = ['lazyConnect', 'enableOfflineQueue', 'enableReadyCheck', 'enableAutoPipelining'] as const;

/**
 * A connection to `url`: `Redis` for a `redis://` URL, `Cluster` for `redis-cluster://...` (node
 * options under `redisOptions`). A command to a master that died is retried while the cluster
 * fails over (up to about 5 s: 16 redirections, 300 ms apart), then fails like any Redis error.
 */
export function createRedis(url: string, options: RedisOptions = {}): RedisConnection {
  if (!isClusterUrl(url)) return blankingLogins(new Redis(url, options));
  const { nodes, auth } = parseClusterUrl(url);
  // the caller's own options win (MfaClient's redisOptions for a member service's ACL user)
  const node: RedisOptions = {
    ...(auth.username ? { username: auth.username } : {}),
    ...(auth.password ? { password: auth.password } : {}),
    ...(auth.tls ? { tls: {} } : {}),
    ...options,
  };
  const cluster: ClusterOptions = { retryDelayOnFailover: 300, retryDelayOnClusterDown: 300, retryDelayOnTryAgain: 300 };
  for (const k of CLUSTER_LEVEL) {
    if (k in node) {
      (cluster as Record<string, unknown>)[k] = node[k];
      delete node[k];
    }
  }
  return blankingLogins(new Cluster(nodes, { ...cluster, redisOptions: node }));
}

/**
 * A refused login (a wrong password, or the right one on a node without the ACL user) fails the
 * connection's commands with ioredis' error, whose `command.args` are AUTH's or HELLO's: user and
 * password, which pino's error serializer and util.inspect print. The error event comes before any
 * command's rejection is seen (ioredis emits it synchronously after rejecting them), so blanking the
 * args there reaches every holder of that error object; a cluster's also come as `node error`, and
 * its slots lookup's as `lastNodeError`.
 */
function blankingLogins<T extends RedisConnection>(conn: T): T {
  const blank = (err: unknown, depth = 0): void => {
    if (typeof err !== 'object' || err === null || depth > 2) return;
    const e = err as { command?: { name?: unknown; args?: unknown }; lastNodeError?: unknown };
    const name = typeof e.command?.name === 'string' ? e.command.name.toLowerCase() : '';
    if (name === 'auth' || name === 'hello') e.command = { name, args: ['[redacted]'] };
    blank(e.lastNodeError, depth + 1);
  };
  conn.on('error', (err: unknown) => {
    blank(err);
    // ioredis prints an error nobody listens for; this listener alone must not silence that
    if (conn.listenerCount('error') === 1) console.error('[ioredis] Unhandled error event:', (err as Error | undefined)?.stack);
  });
  if (isCluster(conn)) conn.on('node error', (err: unknown) => blank(err));
  return conn;
}

/**
 * Options of a cluster's command connection (never a blocking one): without auto-pipelining the
 * commands a cluster cannot put in one pipeline (each XADD, each replay mark: their keys lie on
 * different nodes) go out as one write each; with it, those of one tick go as one write per node.
 * Measured on the loopback cluster: a third less Redis CPU per no-op bus request, 5-10% less per
 * verify (docs/benchmarks.md, "Redis Cluster (P3)"). One Redis: nothing (the bus pipelines by hand
 * there). Never `call()` on such a connection: auto-pipelined, it sends its key as the command name.
 * Its scripts need `numberOfKeys` (the key first): ioredis routes a tick's commands by their first
 * argument, so a key count first grouped calls of any slots together and they failed as one.
 */
export function clusterCommandOptions(url: string): RedisOptions {
  return isClusterUrl(url) ? { enableAutoPipelining: true } : {};
}

/**
 * The masters a command about the whole keyspace must visit (SCAN, FLUSHDB, CLIENT LIST): every
 * master of a cluster, or the one Redis.
 */
export function masters(conn: RedisConnection): Redis[] {
  return isCluster(conn) ? conn.nodes('master') : [conn];
}
