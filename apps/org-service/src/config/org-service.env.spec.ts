import { ConfigError, loadConfig } from '@mfa/config';
import { OrgServiceEnv } from './org-service.env';

describe(OrgServiceEnv.name, () => {
  it('has working development defaults', () => {
    expect(loadConfig(OrgServiceEnv, {})).toMatchObject({ ORG_API_PORT: 3000, PLATFORM_API_KEY: '' });
  });

  it('refuses the generated platform key in production', () => {
    expect(() => loadConfig(OrgServiceEnv, { NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(
      loadConfig(OrgServiceEnv, {
        NODE_ENV: 'production',
        REDIS_URL: 'redis://redis:6379/5', // production names its Redis (or REDIS_CLUSTER_NODES)
        PLATFORM_API_KEY: 'p'.repeat(40),
        BUS_INTERNAL_KEY: 'k'.repeat(44),
      }).PLATFORM_API_KEY,
    ).toBe('p'.repeat(40));
  });

  it('lists every bad variable at once', () => {
    try {
      loadConfig(OrgServiceEnv, { ORG_API_PORT: 'x', PLATFORM_API_KEY: 'short' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.split('=')[0]).sort()).toEqual(['ORG_API_PORT', 'PLATFORM_API_KEY']);
    }
  });
});
