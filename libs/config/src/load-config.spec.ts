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
});
