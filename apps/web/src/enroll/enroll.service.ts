import { Injectable } from '@nestjs/common';
import { Bus } from '@mfa/bus';
import {
  AppError,
  ErrorCodes,
  InternalPatterns,
  Patterns,
  type CreateTotpDeviceReply,
  type CreateWebAuthnDeviceReply,
  type WebAuthnJson,
} from '@mfa/contracts';
import type { EnrollData, EnrollSession } from './enroll-sessions';

/** The member's enrollment, over the bus with the platform's key, for exactly the account the link named. */
@Injectable()
export class EnrollService {
  constructor(private readonly bus: Bus) {}

  redeem(token: string) {
    return this.bus.send(InternalPatterns.MfaEnrollmentLinksRedeem, { token });
  }

  /** What the page needs to know about the member once: email, allowed methods, whether a current factor is asked first. */
  async describe(accountId: string, orgId: string): Promise<Pick<EnrollData, 'email' | 'allowedMethods' | 'needsStepUp' | 'hasPasskey'>> {
    const [member, policy, devices] = await Promise.all([
      this.bus.send(Patterns.AccountsGet, { accountId }),
      this.bus.send(InternalPatterns.AccountsPolicyGet, { orgId }),
      this.bus.send(Patterns.MfaDevicesList, { accountId }),
    ]);
    const active = devices.items.filter((d) => d.status === 'active');
    return {
      email: member.email,
      allowedMethods: policy.allowedMethods,
      needsStepUp: active.length > 0,
      hasPasskey: active.some((d) => d.type === 'webauthn'),
    };
  }

  /** A one-use challenge (5 minutes) for a step-up with one of the account's passkeys. */
  async stepUpChallenge(s: EnrollSession): Promise<void> {
    const challenge = await this.bus.send(Patterns.MfaChallengesCreate, { accountId: s.data.accountId });
    s.secret.challengeId = challenge.challengeId;
    s.secret.authenticationOptions = JSON.stringify(challenge.authenticationOptions);
  }

  /** The step-up answered with a passkey: the browser's assertion for the challenge made above. */
  async stepUpWithPasskey(s: EnrollSession, assertionText: string): Promise<void> {
    const challengeId = s.secret.challengeId;
    delete s.secret.challengeId;
    delete s.secret.authenticationOptions;
    if (!challengeId) throw browserFailed('assertion', 'Press "Use a passkey" first.');
    const session = await this.bus
      .send(Patterns.MfaSessionsIssue, {
        accountId: s.data.accountId,
        challengeId,
        assertion: parseWebAuthnJson(assertionText, 'assertion'),
        durationSeconds: 900,
      })
      .catch(plainWebAuthnRefusal('assertion'));
    s.secret.sessionToken = session.token;
  }

  async stepUp(s: EnrollSession, code: string): Promise<void> {
    const session = await this.bus.send(Patterns.MfaSessionsIssue, { accountId: s.data.accountId, code, durationSeconds: 900 });
    s.secret.sessionToken = session.token;
  }

  /**
   * Recovery codes are made before the first device is enabled: then the account has no active
   * device and needs no step-up token (after enabling it would need one, and the member's codes
   * were just spent). They are shown once, after the device works.
   */
  private async ensureRecoveryCodes(s: EnrollSession): Promise<void> {
    if (s.secret.recoveryCodes) return;
    const { codes } = await this.bus.send(Patterns.MfaRecoveryCodesGenerate, {
      accountId: s.data.accountId,
      sessionToken: s.secret.sessionToken,
    });
    s.secret.recoveryCodes = codes;
  }

  async startTotp(s: EnrollSession): Promise<void> {
    await this.ensureRecoveryCodes(s);
    const device = (await this.bus.send(Patterns.MfaDevicesCreate, {
      accountId: s.data.accountId,
      type: 'totp',
      name: 'Authenticator app',
      sessionToken: s.secret.sessionToken,
    })) as CreateTotpDeviceReply;
    Object.assign(s.secret, { secretBase32: device.secretBase32, qrCodePng: device.qrCodePng });
    Object.assign(s.data, { step: 'totp', serialNumber: device.serialNumber });
  }

  async startSms(s: EnrollSession, phoneNumber: string): Promise<void> {
    await this.ensureRecoveryCodes(s);
    const device = await this.bus.send(Patterns.MfaDevicesCreate, {
      accountId: s.data.accountId,
      type: 'sms',
      name: 'Phone',
      phoneNumber,
      sessionToken: s.secret.sessionToken,
    });
    Object.assign(s.data, { step: 'sms', serialNumber: device.serialNumber });
  }

  /**
   * A passkey or security key: mfa-service makes the registration options (RP id, challenge,
   * the account's credentials excluded); the page's script hands them to
   * navigator.credentials.create and posts the answer back to enable().
   */
  async startWebAuthn(s: EnrollSession): Promise<void> {
    await this.ensureRecoveryCodes(s);
    const device = (await this.bus.send(Patterns.MfaDevicesCreate, {
      accountId: s.data.accountId,
      type: 'webauthn',
      name: 'Passkey',
      sessionToken: s.secret.sessionToken,
    })) as CreateWebAuthnDeviceReply;
    s.secret.registrationOptions = JSON.stringify(device.registrationOptions);
    Object.assign(s.data, { step: 'webauthn', serialNumber: device.serialNumber });
  }

  /** TOTP: two codes; SMS: one; a passkey: the browser's registration response (JSON text from the page's script). */
  async enable(s: EnrollSession, proof: { code1: string; code2?: string } | { registrationResponse: string }): Promise<void> {
    await this.bus
      .send(Patterns.MfaDevicesEnable, {
        accountId: s.data.accountId,
        serialNumber: s.data.serialNumber!,
        ...('registrationResponse' in proof
          ? { registrationResponse: parseWebAuthnJson(proof.registrationResponse, 'registrationResponse') }
          : proof),
      })
      .catch('registrationResponse' in proof ? plainWebAuthnRefusal('registrationResponse') : rethrow);
    delete s.secret.secretBase32;
    delete s.secret.qrCodePng;
    delete s.secret.registrationOptions;
    s.data.step = 'recovery';
  }
}

function browserFailed(field: string, message = 'Your browser did not answer with a passkey. Try again, or use a code.'): AppError {
  return AppError.validation(message, [{ field }]);
}

const rethrow = (err: unknown): never => {
  throw err;
};

/** mfa-service's field-by-field refusal of a malformed WebAuthn answer, said as the member can act on it. */
function plainWebAuthnRefusal(field: 'registrationResponse' | 'assertion') {
  return (err: unknown): never => {
    if (err instanceof AppError && err.code === ErrorCodes.ValidationFailed)
      throw field === 'assertion'
        ? browserFailed(field)
        : browserFailed(field, 'Your browser did not create a passkey. Try again, or choose another method.');
    throw err;
  };
}

/** The page's script posts the credential's toJSON() as text; anything else is the member's browser failing, said on the page. */
function parseWebAuthnJson(text: string, field: 'registrationResponse' | 'assertion'): WebAuthnJson {
  const refused =
    field === 'assertion'
      ? browserFailed(field)
      : browserFailed(field, 'Your browser did not create a passkey. Try again, or choose another method.');
  if (!text) throw refused;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw refused;
    return parsed as WebAuthnJson;
  } catch {
    throw refused;
  }
}
