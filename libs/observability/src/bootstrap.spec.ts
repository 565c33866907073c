import type { IncomingMessage, ServerResponse } from 'node:http';
import { IsInt, MinLength } from 'class-validator';
import { BaseEnv, ConfigError, loadConfig } from '@mfa/config';
import { Injectable, Module } from '@nestjs/common';
import { BusModule } from '@mfa/bus';
import { MetricsModule } from './metrics';
import { describeConfigProblems, loadEnvOrExit, requestIdOf, type ServiceDefinition, startService } from './bootstrap';

class DemoEnv extends BaseEnv {
  @IsInt()
  DEMO_PORT: number = 1;

  @MinLength(32)
  DEMO_API_KEY: string = 'x'.repeat(32);
}

const def: ServiceDefinition<DemoEnv> = { name: 'demo-service', env: DemoEnv, module: () => class {}, port: (e) => e.DEMO_PORT };

describe(describeConfigProblems.name, () => {
  it('lists every bad variable in one line and hides the values of secrets', () => {
    let error!: ConfigError;
    try {
      loadConfig(DemoEnv, { DEMO_PORT: 'abc', DEMO_API_KEY: 'short-secret', DATABASE_URL: 'mysql://u:pw@h/db' });
    } catch (e) {
      error = e as ConfigError;
    }
    const sut = describeConfigProblems('demo-service', error);
    expect(sut.split('\n')).toHaveLength(1);
    expect(sut).toContain('DEMO_PORT=');
    expect(sut).toContain('DEMO_API_KEY=[redacted]');
    expect(sut).toContain('DATABASE_URL=[redacted]');
    expect(sut).not.toContain('short-secret');
    expect(sut).not.toContain('pw@');
  });
});

describe(loadEnvOrExit.name, () => {
  it('prints one message and exits 1 on a bad environment', () => {
    const exit = jest.spyOn(process, 'exit').mockImplementation(() => {
      throw new Error('exit');
    });
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(() => loadEnvOrExit(def, { DEMO_PORT: 'x', LOG_LEVEL: 'loud' })).toThrow('exit');
      expect(exit).toHaveBeenCalledWith(1);
      expect(write).toHaveBeenCalledTimes(1);
      expect(String(write.mock.calls[0][0])).toMatch(/^demo-service: invalid environment.*DEMO_PORT.*LOG_LEVEL/);
    } finally {
      exit.mockRestore();
      write.mockRestore();
    }
  });

  it('returns the validated env otherwise', () => {
    expect(loadEnvOrExit(def, { DEMO_PORT: '7' }).DEMO_PORT).toBe(7);
  });
});

describe(requestIdOf.name, () => {
  const res = () => ({ setHeader: jest.fn() }) as unknown as ServerResponse & { setHeader: jest.Mock };

  it("keeps a sane caller's id and echoes it", () => {
    const r = res();
    expect(requestIdOf({ headers: { 'x-request-id': 'abc-123' } } as unknown as IncomingMessage, r)).toBe('abc-123');
    expect(r.setHeader).toHaveBeenCalledWith('x-request-id', 'abc-123');
  });

  it('makes a uuid for a missing or unsafe id', () => {
    expect(requestIdOf({ headers: {} } as unknown as IncomingMessage, res())).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestIdOf({ headers: { 'x-request-id': 'x'.repeat(500) } } as unknown as IncomingMessage, res())).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe(startService.name, () => {
  it('runs each lifecycle hook once in a service with both a bus side and HTTP', async () => {
    const calls = { init: 0, bootstrap: 0 };
    @Injectable()
    class HookCounter {
      onModuleInit() {
        calls.init++;
      }
      onApplicationBootstrap() {
        calls.bootstrap++;
      }
    }
    const env = loadConfig(DemoEnv, { ...process.env, DEMO_PORT: '0', LOG_LEVEL: 'silent' });
    @Module({ imports: [MetricsModule.forRoot('hook-demo'), BusModule.forPlatform('hook-demo', env)], providers: [HookCounter] })
    class HookModule {}
    const running = await startService({ ...def, module: () => HookModule, bus: 'accounts' }, env);
    try {
      expect(calls).toEqual({ init: 1, bootstrap: 1 });
    } finally {
      await running.app.close();
    }
  });
});
