import type { VerificationMethod } from '@mfa/contracts';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { SESSION_TOKEN_ALG } from './signing-keys';

/** `iss` and `aud` of MFA session tokens. */
export const SESSION_TOKEN_ISSUER = 'mfa-service';
export const SESSION_TOKEN_AUDIENCE = 'mfa-session';

/** The claims of an MFA session token (like STS GetSessionToken, with the MFA time in it). */
export interface SessionClaims {
  /** account id */
  sub: string;
  org: string;
  /** serial number of the device that was used; null for a recovery code */
  device: string | null;
  method: VerificationMethod;
  /** Unix seconds of the MFA authentication */
  mfa_at: number;
  iat: number;
  /** Unix milliseconds of issue (tokens from before it was added have only `iat`) */
  iat_ms?: number;
  exp: number;
  jti: string;
}

/** When the token was issued, in Unix ms; an old token without `iat_ms` counts from the start of its second. */
export function sessionIssuedAtMs(claims: Pick<SessionClaims, 'iat' | 'iat_ms'>): number {
  if (typeof claims.iat_ms === 'number') return claims.iat_ms;
  return typeof claims.iat === 'number' ? claims.iat * 1000 : 0; // no iat: any revocation kills it
}

/** A revocation kills every token issued at or before its time (a tie is revoked: safer). */
export function isSessionRevoked(claims: Pick<SessionClaims, 'iat' | 'iat_ms'>, revokedBefore: Date | null): boolean {
  return revokedBefore !== null && sessionIssuedAtMs(claims) <= revokedBefore.getTime();
}

export interface VerifySessionOptions {
  /** the time to check `exp` against (tests, or a caller that injects a clock) */
  now?: Date;
  /** when given, the token's `sub` must be this account */
  accountId?: string;
}

export type SessionCheck = { ok: true; claims: SessionClaims } | { ok: false; reason: 'invalid' | 'expired' | 'wrong_account' };

/**
 * Checks an MFA session token offline against a JWKS (`mfa.sessions.jwks`): signature, alg,
 * issuer, audience, expiry and, optionally, the account. Never throws on a bad token.
 */
export async function verifySessionToken(token: string, jwks: JSONWebKeySet, options: VerifySessionOptions = {}): Promise<SessionCheck> {
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: [SESSION_TOKEN_ALG],
      issuer: SESSION_TOKEN_ISSUER,
      audience: SESSION_TOKEN_AUDIENCE,
      currentDate: options.now,
      requiredClaims: ['sub', 'exp', 'mfa_at'],
    });
    if (typeof payload.mfa_at !== 'number') return { ok: false, reason: 'invalid' };
    if (options.accountId !== undefined && payload.sub !== options.accountId) return { ok: false, reason: 'wrong_account' };
    return { ok: true, claims: payload as unknown as SessionClaims };
  } catch (err) {
    return { ok: false, reason: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'expired' : 'invalid' };
  }
}
