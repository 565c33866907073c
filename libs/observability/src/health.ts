import { Controller, Get, Inject, Module, type DynamicModule, type OnModuleDestroy, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { ping } from '@mfa/database';

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

@Controller()
export class HealthController implements OnModuleDestroy {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(HEALTH_REDIS) private readonly redis: Redis,
  ) {}

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

/** GET /health. Needs TypeORM's DataSource in the app; keeps its own small Redis connection. */
@Module({})
export class HealthModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        {
          provide: HEALTH_REDIS,
          // offline queue off: a down Redis answers "down" at once instead of waiting
          useFactory: () => new Redis(redisUrl, { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        },
      ],
    };
  }
}
