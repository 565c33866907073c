import { Inject, Injectable } from '@nestjs/common';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { AppError, ErrorCodes, type CreateChallengeReply, type Device, type WebAuthnJson } from '@mfa/contracts';
import { Clock } from '../../common/clock';
import { MfaServiceEnv } from '../../config/mfa-service.env';
import { DeviceRepository, toDevice, type DeviceRow } from '../../devices/device.repository';
import { MfaEvents } from '../../events/mfa-events';
import type { Attempt } from '../../verification/lockout.service';
import type { AcceptOutcome, Activate, ActiveDevice, DeviceMethod, EnrollInput, Enrollment, Proof } from '../device-method';
import { DeviceMethodProvider } from '../method-registry';
import { authenticatorName, NO_AAGUID } from './aaguids';
import { WebAuthnChallenges } from './webauthn-challenges';
import { type CredentialRow, WebAuthnCredentialRepository } from './webauthn-credential.repository';
import { isAssertionProof, isRegistrationProof } from './webauthn-proof';

/** COSE ids: EdDSA, ES256, RS256 (in the order a browser should prefer them). */
export const WEBAUTHN_ALGORITHMS = [-8, -7, -257];
const TIMEOUT_MS = 300_000;

interface Matched {
  credential: CredentialRow;
  newCounter: number;
  backedUp: boolean;
}

/** A UUID's 16 bytes: the WebAuthn user handle (opaque, no personal data). */
const userHandle = (accountId: string) => Buffer.from(accountId.replace(/-/g, ''), 'hex');

/**
 * Passkeys and security keys (WebAuthn, @simplewebauthn/server). A device is one credential:
 * create answers registration options whose challenge the pending row keeps; enable verifies the
 * registration against it, the configured origins and RP id; verify takes an assertion answering
 * a one-use challenge (mfa.challenges.create) and moves the sign counter by compare-and-set.
 */
@DeviceMethodProvider('webauthn')
@Injectable()
export class WebAuthnMethod implements DeviceMethod<Matched> {
  readonly type = 'webauthn';
  readonly label = 'WebAuthn';

  constructor(
    private readonly credentials: WebAuthnCredentialRepository,
    private readonly challenges: WebAuthnChallenges,
    private readonly devices: DeviceRepository,
    private readonly events: MfaEvents,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async begin({ account, now }: EnrollInput): Promise<Enrollment> {
    // the account's credentials are excluded: an authenticator registers once per account
    const existing = await this.credentials.ofAccount(account.id, false);
    const options = await generateRegistrationOptions({
      rpName: this.env.WEBAUTHN_RP_NAME,
      rpID: this.env.WEBAUTHN_RP_ID,
      userName: account.email || account.id,
      userID: userHandle(account.id),
      userDisplayName: account.displayName ?? account.email ?? '',
      attestationType: 'none',
      excludeCredentials: existing.map((c) => ({ id: c.credential_id, transports: c.transports })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
      supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS,
      timeout: TIMEOUT_MS,
    });
    return {
      secrets: { secret_enc: null, phone_enc: null },
      persist: (tx, row) =>
        this.credentials.insertPending(tx, {
          deviceId: row.id,
          accountId: row.account_id,
          orgId: row.org_id,
          challenge: options.challenge,
          at: now,
        }),
      complete: async (row) => ({
        serialNumber: row.serial_number,
        status: 'pending',
        registrationOptions: options as unknown as WebAuthnJson,
      }),
      abandon: async () => undefined,
    };
  }

  /** The registration must answer this device's challenge, from an allowed origin, for our RP id. */
  async enable(device: DeviceRow, proof: Proof, now: Date, activate: Activate): Promise<DeviceRow | null> {
    if (!isRegistrationProof(proof)) {
      throw AppError.validation('registrationResponse: required to enable a WebAuthn device', [
        { field: 'registrationResponse', messages: ['required for WebAuthn'] },
      ]);
    }
    const pending = await this.credentials.ofDevice(device.account_id, device.id);
    if (!pending?.registration_challenge) throw new AppError(ErrorCodes.Conflict, 'device is no longer pending');
    let info;
    try {
      const verified = await verifyRegistrationResponse({
        response: proof.response,
        expectedChallenge: pending.registration_challenge,
        expectedOrigin: this.env.webauthnOrigins,
        expectedRPID: this.env.WEBAUTHN_RP_ID,
        requireUserVerification: false,
        supportedAlgorithmIDs: WEBAUTHN_ALGORITHMS,
      });
      if (!verified.verified) return null;
      info = verified.registrationInfo;
    } catch {
      // a wrong challenge, origin or RP id, a bad signature: a failed proof, counted by the caller
      return null;
    }
    const activated = await activate(async (tx) => {
      const registered = await this.credentials
        .register(tx, device.id, {
          credentialId: info.credential.id,
          publicKey: info.credential.publicKey,
          signCount: info.credential.counter,
          transports: info.credential.transports ?? proof.response.response.transports ?? [],
          aaguid: info.aaguid || NO_AAGUID,
          backupEligible: info.credentialDeviceType === 'multiDevice',
          backupState: info.credentialBackedUp,
        })
        .catch((err: { code?: string }) => {
          if (err.code === '23505') throw new AppError(ErrorCodes.Conflict, 'this credential is already registered');
          throw err;
        });
      return registered ? this.devices.activate(tx, device.id, now, null) : null;
    });
    if (!activated) throw new AppError(ErrorCodes.Conflict, 'device is no longer pending');
    return activated;
  }

  async describe(row: DeviceRow): Promise<Device> {
    const c = await this.credentials.ofDevice(row.account_id, row.id);
    const aaguid = c?.aaguid ?? null;
    return {
      ...toDevice(row),
      aaguid: aaguid ?? NO_AAGUID,
      authenticatorName: authenticatorName(aaguid),
      backedUp: c?.backup_state ?? false,
    };
  }

  accepts(proof: Proof): boolean {
    return isAssertionProof(proof);
  }

  /**
   * The device's credential named by the assertion; its challenge taken (once: GETDEL, whatever
   * the outcome) and the signature checked. Async, with I/O: see DeviceMethod.match.
   */
  async match(device: ActiveDevice, proof: Proof, now: Date): Promise<Matched | null> {
    if (!isAssertionProof(proof)) return null;
    const credential = await this.credentials.byCredentialId(device.id, proof.response.id);
    if (!credential?.public_key) return null;
    const issued = await this.challenges.take(proof.challengeId, credential.account_id, now);
    if (!issued) return null;
    try {
      const { verified, authenticationInfo } = await verifyAuthenticationResponse({
        response: proof.response,
        expectedChallenge: issued.challenge,
        expectedOrigin: this.env.webauthnOrigins,
        expectedRPID: this.env.WEBAUTHN_RP_ID,
        // the counter rule is ours (accept): a clone is told apart from a bad signature
        credential: {
          id: credential.credential_id!,
          publicKey: new Uint8Array(credential.public_key),
          counter: 0,
          transports: credential.transports,
        },
        requireUserVerification: false,
      });
      return verified ? { credential, newCounter: authenticationInfo.newCounter, backedUp: authenticationInfo.credentialBackedUp } : null;
    } catch {
      return null;
    }
  }

  /**
   * The sign counter must grow where the authenticator keeps one (either value non-zero): one
   * that does not is a cloned authenticator, refused and audited. The compare-and-set makes a
   * counter value count once.
   */
  async accept(device: ActiveDevice, attempt: Attempt, m: Matched): Promise<AcceptOutcome> {
    const stored = Number(m.credential.sign_count);
    if ((m.newCounter > 0 || stored > 0) && m.newCounter <= stored) {
      await this.events.auditNow({
        orgId: device.org_id,
        accountId: attempt.accountId,
        action: 'device.clone_detected',
        at: attempt.now,
        target: { type: 'device', id: device.serial_number },
        details: { storedCounter: stored, presentedCounter: m.newCounter },
      });
      return 'cloned';
    }
    if (!(await this.credentials.recordUse(device.id, stored, m.newCounter, m.backedUp, attempt.now))) return 'replayed';
    await attempt.succeed();
    return 'accepted';
  }

  /** mfa.challenges.create: options listing the account's active credentials, the challenge kept once for 5 minutes. */
  async challenge(accountId: string): Promise<CreateChallengeReply> {
    const now = this.clock.now();
    const allow = await this.credentials.ofAccount(accountId, true);
    if (allow.length === 0) throw new AppError(ErrorCodes.Conflict, 'the account has no active WebAuthn device');
    const options = await generateAuthenticationOptions({
      rpID: this.env.WEBAUTHN_RP_ID,
      allowCredentials: allow.map((c) => ({ id: c.credential_id, transports: c.transports })),
      userVerification: 'preferred',
      timeout: TIMEOUT_MS,
    });
    const { challengeId, expiresAt } = await this.challenges.issue(accountId, options.challenge, now);
    return { challengeId, authenticationOptions: options as unknown as WebAuthnJson, expiresAt: expiresAt.toISOString() };
  }
}
