import { Cluster, Redis } from 'ioredis';
import {
  clusterAuthFromEnv,
  clusterCommandOptions,
  clusterNodesProblem,
  clusterUrl,
  createRedis,
  isCluster,
  isClusterUrl,
  masters,
  parseClusterNodes,
  parseClusterUrl,
} from './redis-target';

describe('redis-target', () => {
  it('reads a host:port list, IPv6 in brackets included, and names the bad entry', () => {
    expect(parseClusterNodes(' 10.0.0.1:7000,redis-b.internal:7001,[::1]:7002')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b.internal', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
    expect(clusterNodesProblem('h:1')).toBeNull();
    expect(clusterNodesProblem('')).toContain('entry 1 is empty');
    expect(clusterNodesProblem('h:1,')).toContain('entry 2 is empty');
    expect(clusterNodesProblem('h')).toContain('is not host:port');
    expect(clusterNodesProblem(':7000')).toContain('is not host:port');
    expect(clusterNodesProblem('h:0')).toContain('port must be 1..65535');
    expect(clusterNodesProblem('h:x')).toContain('port must be 1..65535');
    expect(clusterNodesProblem('a b:1')).toContain('not a host name or address');
    expect(clusterNodesProblem('redis://h:1')).toContain('not a host name or address');
    expect(() => parseClusterNodes('h')).toThrow('REDIS_CLUSTER_NODES: entry 1 ("h") is not host:port');
    // a login pasted in (as in a URL) is named without echoing it, a comma in the password too
    for (const nodes of ['u:pw1@h:1', 'u:p,w1@h:1,h:2']) {
      expect(clusterNodesProblem(nodes)).toContain('a login goes in REDIS_CLUSTER_USERNAME / REDIS_CLUSTER_PASSWORD');
      expect(() => parseClusterNodes(nodes)).toThrow(/^(?!.*w1).*holds "@"/);
    }
  });

  it('makes a Cluster of a redis-cluster:// string and a Redis of a redis:// URL, node options under redisOptions', () => {
    const url = clusterUrl('127.0.0.1:7000, 127.0.0.1:7001');
    expect(url).toBe('redis-cluster://127.0.0.1:7000,127.0.0.1:7001');
    expect(isClusterUrl(url)).toBe(true);
    const cluster = createRedis(url, { lazyConnect: true, protocol: 2, maxRetriesPerRequest: null, connectionName: 'x' });
    expect(cluster).toBeInstanceOf(Cluster);
    expect(isCluster(cluster)).toBe(true);
    const options = (cluster as Cluster).options;
    expect(options.lazyConnect).toBe(true);
    expect(options.redisOptions).toMatchObject({ protocol: 2, maxRetriesPerRequest: null, connectionName: 'x' });
    expect(options.redisOptions).not.toHaveProperty('lazyConnect');
    const single = createRedis('redis://127.0.0.1:6379/13', { lazyConnect: true });
    expect(single).toBeInstanceOf(Redis);
    expect(isCluster(single)).toBe(false);
    expect(masters(single)).toEqual([single]);
    cluster.disconnect();
    single.disconnect();
  });

  it("carries a cluster login (user, password, TLS) in its connection string to every node, the caller's own options first", () => {
    const url = clusterUrl('127.0.0.1:7000,127.0.0.1:7001', { username: 'mfa-platform', password: 'p@ss:w,rd/%', tls: true });
    expect(url).toBe('rediss-cluster://mfa-platform:p%40ss%3Aw%2Crd%2F%25@127.0.0.1:7000,127.0.0.1:7001');
    expect(isClusterUrl(url)).toBe(true);
    expect(parseClusterUrl(url)).toEqual({
      nodes: [
        { host: '127.0.0.1', port: 7000 },
        { host: '127.0.0.1', port: 7001 },
      ],
      auth: { username: 'mfa-platform', password: 'p@ss:w,rd/%', tls: true },
    });
    // a password alone logs in as the default user; no login at all is the plain form
    expect(clusterUrl('h:1', { password: 'x' })).toBe('redis-cluster://:x@h:1');
    expect(parseClusterUrl('redis-cluster://:x@h:1').auth).toEqual({ password: 'x' });
    expect(parseClusterUrl('redis-cluster://h:1').auth).toEqual({});
    const cluster = createRedis(url, { lazyConnect: true }) as Cluster;
    expect(cluster.options.redisOptions).toMatchObject({ username: 'mfa-platform', password: 'p@ss:w,rd/%', tls: {} });
    const own = createRedis(url, { lazyConnect: true, username: 'svc-k', password: 'mine' }) as Cluster;
    expect(own.options.redisOptions).toMatchObject({ username: 'svc-k', password: 'mine' });
    expect(clusterAuthFromEnv({ REDIS_CLUSTER_USERNAME: 'u', REDIS_CLUSTER_PASSWORD: 'p', REDIS_CLUSTER_TLS: 'true' })).toEqual({
      username: 'u',
      password: 'p',
      tls: true,
    });
    expect(clusterAuthFromEnv({})).toEqual({ username: undefined, password: undefined, tls: false });
    cluster.disconnect();
    own.disconnect();
  });

  it("auto-pipelines a cluster's command connections (one write per node per tick), not one Redis'", () => {
    const url = clusterUrl('127.0.0.1:1');
    expect(clusterCommandOptions(url)).toEqual({ enableAutoPipelining: true });
    expect(clusterCommandOptions('redis://127.0.0.1:6379/13')).toEqual({});
  });
});
