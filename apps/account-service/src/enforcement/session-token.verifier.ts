import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { Bus } from '@mfa/bus';
import { Patterns } from '@mfa/contracts';
import { verifySessionToken } from '@mfa/crypto';
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

  async check(token: string | undefined, accountId: string, now: Date): Promise<TokenCheck> {
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
    return result.ok ? { valid: true, mfaAt: result.claims.mfa_at } : { valid: false };
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
