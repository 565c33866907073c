import { IsInt, Max, Min } from 'class-validator';
import { BaseEnv } from './base-env';
import { ConfigError, loadConfig } from './load-config';

class TestEnv extends BaseEnv {
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;
}

describe(loadConfig.name, () => {
  it('applies every default with an empty environment', () => {
    const sut = loadConfig(TestEnv, {});
    expect(sut.PORT).toBe(3000);
    expect(sut.REDIS_URL).toBe('redis://127.0.0.1:6379/5');
  });

  it('converts numbers and keeps given values', () => {
    expect(loadConfig(TestEnv, { PORT: '0', REDIS_URL: 'redis://localhost:6380/7' })).toMatchObject({
      PORT: 0,
      REDIS_URL: 'redis://localhost:6380/7',
    });
  });

  it('lists every bad variable in one error', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig(TestEnv, { PORT: 'abc', REDIS_URL: 'http://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.problems.map((p) => p.split('=')[0]).sort()).toEqual(['LOG_LEVEL', 'PORT', 'REDIS_URL']);
  });

  describe('REDIS_CLUSTER_NODES and BUS_PARTITIONS', () => {
    const problems = (env: NodeJS.ProcessEnv): string[] => {
      try {
        loadConfig(TestEnv, env);
        return [];
      } catch (e) {
        return (e as ConfigError).problems;
      }
    };

    it('turns the node list into the connection string every service opens', () => {
      const sut = loadConfig(TestEnv, { REDIS_CLUSTER_NODES: '10.0.0.1:7000, redis-b.internal:7001,[::1]:7002', BUS_PARTITIONS: '3' });
      expect(sut.REDIS_URL).toBe('redis-cluster://10.0.0.1:7000,redis-b.internal:7001,[::1]:7002');
      expect(sut.BUS_PARTITIONS).toBe(3);
      expect(loadConfig(TestEnv, {}).BUS_PARTITIONS).toBe(1);
    });

    it('names the problem: both set, a bad host:port, neither in production, partitions out of range', () => {
      expect(problems({ REDIS_URL: 'redis://h:6379/5', REDIS_CLUSTER_NODES: 'h:7000' })).toEqual([
        expect.stringContaining('REDIS_URL and REDIS_CLUSTER_NODES: both set'),
      ]);
      expect(problems({ REDIS_CLUSTER_NODES: 'h:7000,h' })).toEqual([
        expect.stringMatching(/^REDIS_CLUSTER_NODES=.*entry 2 \("h"\) is not host:port/),
      ]);
      expect(problems({ REDIS_CLUSTER_NODES: 'h:70000' })).toEqual([expect.stringContaining('port must be 1..65535')]);
      expect(problems({ REDIS_CLUSTER_NODES: 'h:7000,,h:7001' })).toEqual([expect.stringContaining('entry 2 is empty')]);
      expect(problems({ REDIS_CLUSTER_NODES: 'bad host:7000' })).toEqual([expect.stringContaining('is not a host name or address')]);
      expect(problems({ REDIS_URL: 'redis-cluster://h:7000' })).toContainEqual(
        expect.stringContaining('name a cluster with REDIS_CLUSTER_NODES'),
      );
      expect(problems({ NODE_ENV: 'production', BUS_INTERNAL_KEY: Buffer.alloc(32, 1).toString('base64') })).toEqual([
        expect.stringContaining('REDIS_URL or REDIS_CLUSTER_NODES: neither is set'),
      ]);
      for (const n of ['0', '65', '2.5']) expect(problems({ BUS_PARTITIONS: n })).toEqual([expect.stringMatching(/^BUS_PARTITIONS=/)]);
    });

    it("puts the cluster's login into the connection string; refuses it without a cluster and never echoes the password", () => {
      const sut = loadConfig(TestEnv, {
        REDIS_CLUSTER_NODES: 'h:7000',
        REDIS_CLUSTER_USERNAME: 'mfa-platform',
        REDIS_CLUSTER_PASSWORD: 's3cret@x',
        REDIS_CLUSTER_TLS: 'true',
      });
      expect(sut.REDIS_URL).toBe('rediss-cluster://mfa-platform:s3cret%40x@h:7000');
      expect(loadConfig(TestEnv, { REDIS_CLUSTER_NODES: 'h:7000', REDIS_CLUSTER_TLS: 'false' }).REDIS_URL).toBe('redis-cluster://h:7000');
      expect(problems({ REDIS_URL: 'redis://h:6379/5', REDIS_CLUSTER_PASSWORD: 's3cret' })).toEqual([
        expect.stringContaining('REDIS_CLUSTER_PASSWORD: only with REDIS_CLUSTER_NODES; for one Redis put them in REDIS_URL'),
      ]);
      const bad = problems({ REDIS_CLUSTER_NODES: 'h:7000', REDIS_CLUSTER_TLS: 'yes', REDIS_CLUSTER_PASSWORD: 'x'.repeat(600) });
      expect(bad).toEqual([
        expect.stringMatching(/^REDIS_CLUSTER_PASSWORD=\[redacted\]/),
        expect.stringMatching(/^REDIS_CLUSTER_TLS="yes"/),
      ]);
      expect(bad.join()).not.toContain('xxxx');
    });

    it('never echoes a login pasted into the node list (as in a URL), with or without a comma in the password', () => {
      for (const nodes of ['mfa-platform:hunter2@h:7000', 'mfa-platform:hun,ter2@h:7000,h:7001', ':hunter2@h:7000']) {
        const bad = problems({ REDIS_CLUSTER_NODES: nodes });
        expect(bad).toEqual([
          expect.stringMatching(/^REDIS_CLUSTER_NODES=\[redacted\]: holds "@": a login goes in REDIS_CLUSTER_USERNAME/),
        ]);
        expect(bad.join()).not.toMatch(/hunter2|hun,ter2|ter2/);
      }
    });
  });
});
