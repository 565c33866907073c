import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { openRedis } from '@mfa/bus';
import { SecurityMetrics } from '@mfa/observability';
import { MfaServiceEnv } from '../config/mfa-service.env';

/** One counted subject: a Redis key and how many per window it allows. */
export interface Limit {
  key: string;
  max: number;
  /** what the error message names ("SMS codes to this phone number") */
  what: string;
}

/** A slot taken under some limits; `giveBack` when the work it paid for did not happen. */
export interface Slot {
  keys: string[];
  member: string;
}

// KEYS: one sorted set per limit (members = slots, scores = ms); ARGV now, window ms, member, max per key...
// -> 0 taken under every limit, or the 1-based index of the first limit that is full (nothing taken).
// One script for all keys of a decision: no limit is charged unless every one has room.
const TAKE = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= tonumber(ARGV[3 + i]) then return i end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, window)
end
return 0`;

const HOUR_MS = 3_600_000;

/**
 * Sliding one-hour limits in RedisConnection, shared by every instance (one atomic script per decision).
 * Time is the caller's clock, like the rest of the service. Keys of one decision must share a
 * hash tag (`{...}`) so the script also runs on a Redis Cluster.
 */
@Injectable()
export class RateLimiter implements OnModuleDestroy {
  private readonly logger = new Logger(RateLimiter.name);
  private readonly redis: RedisConnection & { mfaTakeSlot(n: number, ...args: Array<string | number>): Promise<number> };

  constructor(
    @Inject(MfaServiceEnv) env: MfaServiceEnv,
    private readonly metrics: SecurityMetrics,
  ) {
    // not auto-pipelined: the script's key count comes first, and a cluster's auto-pipeline would
    // group calls by the slot of that count instead of their keys (calls of two slots in one tick failed)
    const redis = openRedis(env.REDIS_URL, 'mfa-service:limits', false, this.logger, {
      maxRetriesPerRequest: 2,
      enableAutoPipelining: false,
    });
    redis.defineCommand('mfaTakeSlot', { lua: TAKE });
    this.redis = redis as typeof this.redis;
  }

  /** Takes one slot under every limit, or fails with `rate_limited` naming the full one. */
  async take(limits: Limit[], now: Date): Promise<Slot> {
    const member = `${now.getTime()}:${randomUUID()}`;
    const full = await this.redis.mfaTakeSlot(
      limits.length,
      ...limits.map((l) => l.key),
      now.getTime(),
      HOUR_MS,
      member,
      ...limits.map((l) => l.max),
    );
    if (full > 0) {
      const limit = limits[full - 1];
      this.metrics.rateLimited(/\{([^}]+)\}/.exec(limit.key)?.[1] ?? 'other'); // the key's hash tag names the limit
      throw new AppError(ErrorCodes.RateLimited, `too many ${limit.what}: at most ${limit.max} an hour`);
    }
    return { keys: limits.map((l) => l.key), member };
  }

  async giveBack(slot: Slot): Promise<void> {
    const multi = this.redis.multi();
    for (const key of slot.keys) multi.zrem(key, slot.member);
    await multi.exec();
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
