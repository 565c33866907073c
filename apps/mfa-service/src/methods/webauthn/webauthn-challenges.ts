import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { openRedis } from '@mfa/bus';
import { MfaServiceEnv } from '../../config/mfa-service.env';

/** A challenge works once, for this long (docs/mfa.md "WebAuthn devices"). */
export const CHALLENGE_TTL_MS = 5 * 60_000;
const KEY_PREFIX = 'mfa:webauthn:challenge:';

export interface IssuedChallenge {
  accountId: string;
  /** base64url, as in the options and in the client data the authenticator signs */
  challenge: string;
  /** ms; checked against the service's clock (tests move it), Redis' PX only cleans up */
  expiresAt: number;
}

/**
 * Authentication challenges in Redis, so whichever instance receives the assertion finds the
 * challenge another issued; `take` is GETDEL, so a challenge is redeemed at most once however
 * many requests carry it.
 */
@Injectable()
export class WebAuthnChallenges implements OnModuleDestroy {
  private readonly logger = new Logger(WebAuthnChallenges.name);
  private readonly redis: Redis;

  constructor(@Inject(MfaServiceEnv) env: MfaServiceEnv) {
    this.redis = openRedis(env.REDIS_URL, 'mfa-service:webauthn', false, this.logger, { maxRetriesPerRequest: 2 });
  }

  async issue(accountId: string, challenge: string, now: Date): Promise<{ challengeId: string; expiresAt: Date }> {
    const challengeId = randomUUID();
    const expiresAt = now.getTime() + CHALLENGE_TTL_MS;
    const value: IssuedChallenge = { accountId, challenge, expiresAt };
    await this.redis.set(KEY_PREFIX + challengeId, JSON.stringify(value), 'PX', CHALLENGE_TTL_MS);
    return { challengeId, expiresAt: new Date(expiresAt) };
  }

  /** The challenge, once: null when unknown, already taken, expired, or another account's. */
  async take(challengeId: string, accountId: string, now: Date): Promise<IssuedChallenge | null> {
    const raw = await this.redis.getdel(KEY_PREFIX + challengeId);
    if (!raw) return null;
    const issued = JSON.parse(raw) as IssuedChallenge;
    return issued.accountId === accountId && issued.expiresAt > now.getTime() ? issued : null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
