import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { clusterUrl, openRedis } from './redis-connection';

describe('openRedis', () => {
  it("auto-pipelines a cluster's command connection, never a blocking one (a pipeline behind a BLPOP would wait for it)", () => {
    const url = clusterUrl('127.0.0.1:7100');
    const logger = new Logger('test');
    const cmd = openRedis(url, 'cmd', false, logger, { lazyConnect: true }) as Cluster;
    const blocking = openRedis(url, 'blocking', true, logger, { lazyConnect: true }) as Cluster;
    const single = openRedis('redis://127.0.0.1:6379/15', 'single', false, logger, { lazyConnect: true }) as Redis;
    expect(cmd.options.enableAutoPipelining).toBe(true);
    expect(blocking.options.enableAutoPipelining).toBeFalsy();
    expect(single.options.enableAutoPipelining).toBeFalsy(); // the bus pipelines by hand on one Redis
    [cmd, blocking, single].forEach((c) => c.disconnect());
  });
});
