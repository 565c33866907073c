import { Cluster, Redis } from 'ioredis';
import { clusterCommandOptions, clusterNodesProblem, clusterUrl, createRedis, isCluster, isClusterUrl, masters, parseClusterNodes } from './redis-target';

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

  it("auto-pipelines a cluster's command connections (one write per node per tick), not one Redis'", () => {
    const url = clusterUrl('127.0.0.1:1');
    expect(clusterCommandOptions(url)).toEqual({ enableAutoPipelining: true });
    expect(clusterCommandOptions('redis://127.0.0.1:6379/13')).toEqual({});
  });
});
