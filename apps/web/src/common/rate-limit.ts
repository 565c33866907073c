import { Inject, Injectable } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { WEB_REDIS } from './web-redis';

export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('too many attempts; wait a minute and try again');
  }
}

/** Fixed one-minute windows in RedisConnection, shared by every web instance: INCR, and EXPIRE on the first hit. */
@Injectable()
export class RateLimit {
  constructor(@Inject(WEB_REDIS) private readonly redis: RedisConnection) {}

  /** Counts one attempt of `what` by `who`; throws RateLimited past `max` in the current minute. */
  async hit(what: string, who: string, max: number): Promise<void> {
    const window = Math.floor(Date.now() / 60_000);
    const key = `web:limit:${what}:${who}:${window}`;
    const [[, count]] = (await this.redis.multi().incr(key).expire(key, 61).exec()) as [[null, number], unknown];
    if (count > max) throw new RateLimited(60 - (Math.floor(Date.now() / 1000) % 60));
  }
}
