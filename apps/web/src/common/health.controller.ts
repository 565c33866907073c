import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { RedisConnection } from '@mfa/bus';
import { WEB_REDIS } from './web-redis';

/** 200 when Redis answers (the web app keeps no Postgres connection of its own). */
@Controller()
export class HealthController {
  constructor(@Inject(WEB_REDIS) private readonly redis: RedisConnection) {}

  @Get('health')
  async health(@Res({ passthrough: true }) res: Response) {
    const redis = await Promise.race([
      this.redis.ping().then(
        () => 'up',
        () => 'down',
      ),
      new Promise<string>((r) => setTimeout(() => r('down'), 1000).unref()),
    ]);
    res.status(redis === 'up' ? 200 : 503);
    return { status: redis === 'up' ? 'ok' : 'unavailable', checks: { redis } };
  }

  @Get()
  root(@Res() res: Response) {
    res.redirect(303, '/console');
  }
}
