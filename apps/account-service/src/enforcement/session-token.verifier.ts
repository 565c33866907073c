import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { Bus } from '@mfa/bus';
import { Patterns } from '@mfa/contracts';
import { isSessionRevoked, verifySessionToken } from '@mfa/crypto';
import type { TokenCheck } from './authorize-decision';
import { ENFORCEMENT_OPTIONS, type EnforcementOptions } from './enforcement.options';

/**
 * Checks MFA session tokens offline. The JWKS comes from mfa-service (`mfa.sessions.jwks`)
 * once and is cached; a token signed with a key id the cache does not know (a key rotation)
 * refetches it, at most once per JWKS_REFETCH_MIN_SECONDS so junk tokens cannot flood the bus.
 */
@Injectable()
export class SessionTokenVerifier {
  private readonly logger = new Logger(SessionTokenVerifier.name);
  private jwks: JSONWebKeySet | null = null;
  private fetchedAt = 0;
  private inFlight: Promise<JSONWebKeySet | null> | null = null;

  constructor(
    private readonly bus: Bus,
    @Inject(ENFORCEMENT_OPTIONS) private readonly options: EnforcementOptions,
  ) {}

  /**
   * The device a token claims to stand on, unverified: only picks which revocations to read
   * with the account; `check` verifies the token afterwards.
   */
  deviceOf(token: string | undefined): string | null {
    if (!token) return null;
    try {
      const device = decodeJwt(token).device;
      return typeof device === 'string' ? device : null;
    } catch {
      return null;
    }
  }

  /** A token issued at or before `revokedBefore` (its device's or the account's) is refused. */
  async check(token: string | undefined, accountId: string, now: Date, revokedBefore: Date | null = null): Promise<TokenCheck> {
    if (!token) return { valid: false };
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { valid: false };
    }
    const jwks = await this.keysFor(kid);
    if (!jwks) return { valid: false };
    const result = await verifySessionToken(token, jwks, { accountId, now });
    if (!result.ok || isSessionRevoked(result.claims, revokedBefore)) return { valid: false };
    return { valid: true, mfaAt: result.claims.mfa_at };
  }

  private async keysFor(kid: string | undefined): Promise<JSONWebKeySet | null> {
    const known = this.jwks && (kid === undefined || this.jwks.keys.some((k) => k.kid === kid));
    if (known) return this.jwks;
    const mayFetch = this.fetchedAt === 0 || Date.now() - this.fetchedAt >= this.options.jwksRefetchMinMs;
    if (!mayFetch) return this.jwks;
    return this.fetch();
  }

  /** One fetch at a time; a failed fetch keeps the old keys (and is retried no sooner than allowed). */
  private fetch(): Promise<JSONWebKeySet | null> {
    this.inFlight ??= this.bus
      .send(Patterns.MfaSessionsJwks, {})
      .then((reply) => {
        this.jwks = { keys: reply.keys as unknown as JSONWebKeySet['keys'] };
        return this.jwks;
      })
      .catch((err: Error) => {
        this.logger.warn(`could not fetch the session JWKS: ${err.message}`);
        return this.jwks;
      })
      .finally(() => {
        this.fetchedAt = Date.now();
        this.inFlight = null;
      });
    return this.inFlight;
  }
}
