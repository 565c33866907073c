import { Logger } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { openRedis } from '@mfa/bus';
import { WebEnv } from '../config/web.env';

/** The web app's one Redis connection (sessions, rate limits), in REDIS_URL's database. */
export const WEB_REDIS = Symbol('WEB_REDIS');

export const webRedisProvider = {
  provide: WEB_REDIS,
  inject: [WebEnv],
  useFactory: (env: WebEnv): RedisConnection => openRedis(env.REDIS_URL, 'web', false, new Logger('WebRedis'), { maxRetriesPerRequest: 2 }),
};
