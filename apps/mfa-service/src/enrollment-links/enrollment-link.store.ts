import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { openRedis } from '@mfa/bus';
import type { RedeemEnrollmentLinkReply } from '@mfa/contracts';
import { MfaServiceEnv } from '../config/mfa-service.env';

/** A link's record is kept this long past its expiry, so a late click reads "expired" or "used", not "unknown". */
const TOMBSTONE_SECONDS = 86_400;

export interface EnrollmentLinkRecord {
  accountId: string;
  orgId: string;
  returnUrl: string | null;
  expiresAtMs: number;
}

// KEYS[1] the link's hash; ARGV[1] now (ms) -> {state, accountId, orgId, returnUrl, expiresAtMs}.
// One script: two tabs redeeming the same link at once cannot both get `redeemed`.
const REDEEM = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown'} end
if redis.call('HEXISTS', KEYS[1], 'usedAt') == 1 then return {'used'} end
local v = redis.call('HMGET', KEYS[1], 'accountId', 'orgId', 'returnUrl', 'expiresAtMs')
if tonumber(v[4]) <= tonumber(ARGV[1]) then return {'expired'} end
redis.call('HSET', KEYS[1], 'usedAt', ARGV[1])
return {'redeemed', v[1], v[2], v[3], v[4]}`;

/**
 * One-time enrollment links in Redis (in REDIS_URL's database): only the token's SHA-256 is a
 * key, never the token. The record lives 15 minutes plus a day of tombstone (see above).
 */
@Injectable()
export class EnrollmentLinkStore implements OnModuleDestroy {
  private readonly logger = new Logger(EnrollmentLinkStore.name);
  private readonly redis: RedisConnection & { mfaRedeemLink(key: string, now: number): Promise<string[]> };

  constructor(@Inject(MfaServiceEnv) env: MfaServiceEnv) {
    const redis = openRedis(env.REDIS_URL, 'mfa-service:enrollment-links', false, this.logger, { maxRetriesPerRequest: 2 });
    // numberOfKeys: on a cluster the auto-pipeline routes by the first argument, which must be the key
    redis.defineCommand('mfaRedeemLink', { numberOfKeys: 1, lua: REDEEM });
    this.redis = redis as typeof this.redis;
  }

  async save(tokenHash: string, link: EnrollmentLinkRecord, now: number): Promise<void> {
    const key = keyOf(tokenHash);
    const ttl = Math.ceil((link.expiresAtMs - now) / 1000) + TOMBSTONE_SECONDS;
    await this.redis
      .multi()
      .hset(key, { accountId: link.accountId, orgId: link.orgId, returnUrl: link.returnUrl ?? '', expiresAtMs: String(link.expiresAtMs) })
      .expire(key, ttl)
      .exec();
  }

  async redeem(tokenHash: string, now: number): Promise<RedeemEnrollmentLinkReply> {
    const [state, accountId, orgId, returnUrl, expiresAtMs] = await this.redis.mfaRedeemLink(keyOf(tokenHash), now);
    if (state !== 'redeemed') return { state: state as 'used' | 'expired' | 'unknown' };
    return { state, accountId, orgId, returnUrl: returnUrl || null, expiresAt: new Date(Number(expiresAtMs)).toISOString() };
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

const keyOf = (tokenHash: string) => `mfa:enrollment-link:${tokenHash}`;
