import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { RedisConnection } from '@mfa/bus';
import { openRedis } from '@mfa/bus';
import { constantTimeEqual, InternalKey } from '@mfa/crypto';
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

/** What a record's MAC covers: everything that decides whether an assertion is taken, and the id it is stored under. */
const macInput = (challengeId: string, c: IssuedChallenge) => `${challengeId}\n${c.accountId}\n${c.challenge}\n${c.expiresAt}`;

/**
 * Authentication challenges in RedisConnection, so whichever instance receives the assertion finds the
 * challenge another issued; `take` is GETDEL, so a challenge is redeemed at most once however
 * many requests carry it. Each record carries a MAC under a key derived from BUS_INTERNAL_KEY:
 * whoever can write to Redis could otherwise store the challenge of an assertion it saw once
 * (the bus streams carry assertions) under a fresh id and have that assertion accepted again,
 * forever for an authenticator without a sign counter. A copied record is still good until its
 * own expiry (5 minutes): the id is in the MAC, the expiry too.
 */
@Injectable()
export class WebAuthnChallenges implements OnModuleDestroy {
  private readonly logger = new Logger(WebAuthnChallenges.name);
  private readonly redis: RedisConnection;

  constructor(
    @Inject(MfaServiceEnv) env: MfaServiceEnv,
    private readonly internalKey: InternalKey,
  ) {
    this.redis = openRedis(env.REDIS_URL, 'mfa-service:webauthn', false, this.logger, { maxRetriesPerRequest: 2 });
  }

  async issue(accountId: string, challenge: string, now: Date): Promise<{ challengeId: string; expiresAt: Date }> {
    const challengeId = randomUUID();
    const expiresAt = now.getTime() + CHALLENGE_TTL_MS;
    const value: IssuedChallenge = { accountId, challenge, expiresAt };
    const mac = this.internalKey.macWebAuthnChallenge(macInput(challengeId, value));
    await this.redis.set(KEY_PREFIX + challengeId, JSON.stringify({ ...value, mac }), 'PX', CHALLENGE_TTL_MS);
    return { challengeId, expiresAt: new Date(expiresAt) };
  }

  /** The challenge, once: null when unknown, already taken, expired, another account's, or not one this platform stored. */
  async take(challengeId: string, accountId: string, now: Date): Promise<IssuedChallenge | null> {
    const raw = await this.redis.getdel(KEY_PREFIX + challengeId);
    if (!raw) return null;
    let stored: Partial<IssuedChallenge> & { mac?: unknown };
    try {
      stored = JSON.parse(raw) as typeof stored;
    } catch {
      stored = {};
    }
    const issued: IssuedChallenge = {
      accountId: String(stored.accountId),
      challenge: String(stored.challenge),
      expiresAt: Number(stored.expiresAt),
    };
    const expected = this.internalKey.macWebAuthnChallenge(macInput(challengeId, issued));
    if (typeof stored.mac !== 'string' || !constantTimeEqual(stored.mac, expected)) {
      this.logger.warn(`a WebAuthn challenge record without a valid MAC was refused (challenge id ${challengeId})`);
      return null;
    }
    return issued.accountId === accountId && issued.expiresAt > now.getTime() ? issued : null;
  }

  async onModuleDestroy(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
