import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { BusServices, InternalPatterns } from '@mfa/contracts';
import { platformCredentialsFromEnv, replyPrefixOf, requestFields } from '@mfa/bus';
import { ServiceProcess } from '../../bench/lib/service-process';
import { PgProxy } from './pg-proxy';
import { PLATFORM_API_KEY } from './deployment';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await wait(100);
  }
}

async function ready(port: number): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await fetch(`http://127.0.0.1:${port}/health/ready`);
  return { status: res.status, body: (await res.json()) as never };
}

/** Operators' view of one instance: readiness apart from liveness, and a SIGTERM that loses nothing (docs/operations.md). */
describe('drain and readiness (real processes)', () => {
  const redisUrl = process.env.REDIS_URL!;
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    NODE_ENV: 'development',
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: redisUrl,
    PLATFORM_API_KEY,
    LOG_LEVEL: 'error',
    KEYS_DIR: keysDir,
    ...extra,
  });
  const keysDir = mkdtempSync(join(tmpdir(), 'mfa-drain-keys-'));
  const started: ServiceProcess[] = [];
  let redis: Redis;

  beforeAll(() => {
    redis = new Redis(redisUrl);
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop(true)));
    redis.disconnect();
  });

  it('SIGTERM with entries in work: every one the instance took is answered before it exits, none left pending', async () => {
    const first = await ServiceProcess.start('mfa-service', env());
    started.push(first);
    expect((await ready(first.port)).status).toBe(200);
    const live = await fetch(`http://127.0.0.1:${first.port}/health/live`);
    expect(live.status).toBe(200);

    const credentials = platformCredentialsFromEnv('drain', env());
    const total = 5000;
    const list = `${replyPrefixOf(credentials.keyId)}drain:${Date.now()}`;
    const deadline = Date.now() + 120_000;
    const p = redis.pipeline();
    for (let i = 0; i < total; i++)
      p.xadd(
        BusServices.mfa.stream,
        '*',
        ...requestFields(credentials, `drain-${deadline}-${i}`, InternalPatterns.MfaPing, {}, list, deadline),
      );
    await p.exec();
    // the instance is answering: stop it mid-stream
    await until(async () => ((await redis.llen(list)) > 0 ? true : undefined), 30_000, 'the first reply');
    await first.stop();
    expect(first.running).toBe(false);

    // nothing it read is left delivered-but-unanswered: no entry waits for another instance to claim it
    const [pending] = (await redis.xpending(BusServices.mfa.stream, BusServices.mfa.group)) as [number];
    expect(pending).toBe(0);
    const answeredByFirst = await redis.llen(list);
    expect(answeredByFirst).toBeGreaterThan(0);

    // what it had not read yet is served by the next instance: each request answered exactly once
    const second = await ServiceProcess.start('mfa-service', env());
    started.push(second);
    await until(async () => ((await redis.llen(list)) >= total ? true : undefined), 60_000, 'every reply');
    await wait(300);
    const replies = (await redis.lrange(list, 0, -1)).map((j) => JSON.parse(j) as { id: string; ok: boolean });
    expect(replies).toHaveLength(total);
    expect(new Set(replies.map((r) => r.id)).size).toBe(total);
    expect(replies.every((r) => r.ok)).toBe(true);
    await redis.del(list);
    await second.stop();
  });

  it('/health/ready goes 503 while Redis is unreachable (the bus consumer down too) and 200 when it returns; /health/live stays 200', async () => {
    const proxy = new PgProxy({ host: '127.0.0.1', port: 6379 });
    const port = await proxy.start();
    const url = new URL(redisUrl);
    url.host = `127.0.0.1:${port}`;
    const svc = await ServiceProcess.start('mfa-service', env({ REDIS_URL: url.toString() }));
    started.push(svc);
    let cut = false;
    try {
      await until(async () => ((await ready(svc.port)).status === 200 ? true : undefined), 20_000, 'ready');
      expect((await ready(svc.port)).body.checks).toEqual({ postgres: 'up', redis: 'up', bus: 'up' });

      await proxy.cut();
      cut = true;
      const down = await until(
        async () => {
          const r = await ready(svc.port);
          return r.status === 503 && r.body.checks.bus === 'down' ? r : undefined;
        },
        20_000,
        'not ready',
      );
      expect(down.body.checks.redis).toBe('down');
      expect((await fetch(`http://127.0.0.1:${svc.port}/health/live`)).status).toBe(200);

      await proxy.restore();
      cut = false;
      const back = await until(
        async () => {
          const r = await ready(svc.port);
          return r.status === 200 ? r : undefined;
        },
        30_000,
        'ready again',
      );
      expect(back.body.checks).toEqual({ postgres: 'up', redis: 'up', bus: 'up' });
    } finally {
      if (cut) await proxy.restore();
      await svc.stop();
      await proxy.stop();
    }
  });
});
