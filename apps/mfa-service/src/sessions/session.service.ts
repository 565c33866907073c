import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { AppError, ErrorCodes, type IssueSessionReply, type JwksReply } from '@mfa/contracts';
import { SESSION_TOKEN_ALG, SESSION_TOKEN_AUDIENCE, SESSION_TOKEN_ISSUER } from '@mfa/crypto';
import { KeyMaterial } from '../common/key-material';
import { MfaEvents } from '../events/mfa-events';
import type { Proof } from '../methods/device-method';
import { VerificationService } from '../verification/verification.service';

export const DEFAULT_SESSION_SECONDS = 43_200;

/** MFA session tokens (like STS GetSessionToken): a valid code buys an EdDSA JWT. */
@Injectable()
export class SessionService {
  constructor(
    private readonly verification: VerificationService,
    private readonly keys: KeyMaterial,
    private readonly events: MfaEvents,
  ) {}

  async issue(
    accountId: string,
    proof: Proof | string,
    serialNumber: string | undefined,
    durationSeconds = DEFAULT_SESSION_SECONDS,
  ): Promise<IssueSessionReply> {
    const outcome = await this.verification.check(accountId, proof, serialNumber);
    if (!outcome.valid) {
      switch (outcome.reason) {
        case 'locked_out':
          throw new AppError(ErrorCodes.LockedOut, 'too many failed codes; try again later');
        case 'method_not_allowed':
          throw new AppError(ErrorCodes.MethodNotAllowed, "the organization's policy does not allow this device type");
        case 'cloned_authenticator':
          throw new AppError(
            ErrorCodes.InvalidCode,
            'the security key or passkey looks cloned (its sign counter went backwards); the attempt is audited',
          );
        case 'no_active_device':
          // not counted as a failure; the contract's session errors are invalid_code / locked_out
          throw new AppError(ErrorCodes.InvalidCode, 'the account has no active MFA device');
        default:
          throw new AppError(ErrorCodes.InvalidCode, 'invalid code');
      }
    }
    const [signer] = this.keys.signingKeys;
    const at = Math.floor(outcome.at.getTime() / 1000);
    const exp = at + durationSeconds;
    const jti = randomUUID();
    const token = await new SignJWT({
      org: outcome.orgId,
      device: outcome.serialNumber,
      method: outcome.method,
      mfa_at: at,
      iat_ms: outcome.at.getTime(),
    })
      .setProtectedHeader({ alg: SESSION_TOKEN_ALG, kid: signer.kid, typ: 'JWT' })
      .setSubject(accountId)
      .setIssuer(SESSION_TOKEN_ISSUER)
      .setAudience(SESSION_TOKEN_AUDIENCE)
      .setIssuedAt(at)
      .setExpirationTime(exp)
      .setJti(jti)
      .sign(signer.privateKey);
    const expiresAt = new Date(exp * 1000).toISOString();
    await this.events.auditNow({
      orgId: outcome.orgId,
      accountId,
      action: 'session.issued',
      at: outcome.at,
      target: { type: 'session', id: jti },
      details: { serialNumber: outcome.serialNumber, method: outcome.method, expiresAt },
    });
    return { token, expiresAt, mfaAuthenticatedAt: new Date(at * 1000).toISOString() };
  }

  /** Every signing key's public half: tokens signed before a rotation keep verifying. */
  jwks(): JwksReply {
    return { keys: this.keys.jwks.keys.map((k) => ({ ...k })) };
  }
}
