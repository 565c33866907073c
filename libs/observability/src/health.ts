import { Controller, Get, Inject, Injectable, Module, Optional, type DynamicModule, type OnModuleDestroy, Res } from '@nestjs/common';
import type { Response } from 'express';
import { createRedis, type RedisConnection } from '@mfa/bus';
import { Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { ping } from '@mfa/database';
import { Metrics } from './metrics';

const HEALTH_REDIS = Symbol('HEALTH_REDIS');

async function probe(check: () => Promise<unknown>, timeoutMs = 1000): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs)))]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What /health/ready knows besides Postgres and Redis: whether the bus consumer reads its stream
 * (startService hands it the server) and whether the process is draining after SIGTERM.
 */
@Injectable()
export class Readiness {
  private draining = false;
  private consuming?: () => boolean;

  /** The service has a bus side: ready only while `consuming()` holds. */
  watchBus(consuming: () => boolean): void {
    this.consuming = consuming;
  }

  /** SIGTERM: not ready from now on, so no new work is routed here while in-flight work finishes. */
  drain(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** undefined: the service has no bus consumer */
  bus(): 'up' | 'down' | undefined {
    return this.consuming ? (this.consuming() ? 'up' : 'down') : undefined;
  }
}

@Controller()
export class HealthController implements OnModuleDestroy {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(HEALTH_REDIS) private readonly redis: RedisConnection,
    private readonly readiness: Readiness,
    @Optional() metrics?: Metrics,
  ) {
    const check = () => this.check();
    // the same checks as /health/ready, on scrape: the "service not ready" alert needs no prober
    if (metrics && !metrics.registry.getSingleMetric('service_ready'))
      new Gauge({
        name: 'service_ready',
        help: '1 when /health/ready would answer 200 (Postgres, Redis, bus consumer up, not draining)',
        registers: [metrics.registry],
        async collect() {
          this.set((await check()).ok ? 1 : 0);
        },
      });
  }

  /** 200 while the process runs and its event loop answers: a failing liveness probe means restart it. */
  @Get('health/live')
  live() {
    return { status: 'ok' };
  }

  /**
   * 200 when Postgres, Redis and (in a service with a bus side) the bus consumer are up and the
   * process is not draining; 503 otherwise: take it out of rotation, do not restart it.
   */
  @Get('health/ready')
  async ready(@Res({ passthrough: true }) res: Response) {
    const { ok, draining, checks } = await this.check();
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : draining ? 'draining' : 'unavailable', checks };
  }

  private async check() {
    const [postgres, redis] = await Promise.all([probe(() => ping(this.dataSource)), probe(() => this.redis.ping())]);
    const bus = this.readiness.bus();
    const draining = this.readiness.isDraining;
    const ok = postgres === 'up' && redis === 'up' && bus !== 'down' && !draining;
    return { ok, draining, checks: { postgres, redis, ...(bus ? { bus } : {}) } };
  }

  /** 200 when Postgres and Redis answer, 503 otherwise (docs/admin-api.md, "Routes"). */
  @Get('health')
  async health(@Res({ passthrough: true }) res: Response) {
    const [postgres, redis] = await Promise.all([probe(() => ping(this.dataSource)), probe(() => this.redis.ping())]);
    const ok = postgres === 'up' && redis === 'up';
    res.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks: { postgres, redis } };
  }

  onModuleDestroy(): void {
    this.redis.disconnect();
  }
}

/** GET /health, /health/live, /health/ready. Needs TypeORM's DataSource in the app; keeps its own small Redis connection. */
@Module({})
export class HealthModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      exports: [Readiness],
      providers: [
        Readiness,
        {
          provide: HEALTH_REDIS,
          // offline queue off: a down Redis answers "down" at once instead of waiting
          useFactory: () => createRedis(redisUrl, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        },
      ],
    };
  }
}
