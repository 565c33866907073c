import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes } from '@mfa/contracts';
import { isSessionRevoked, verifySessionToken } from '@mfa/crypto';
import { Clock } from '../common/clock';
import { KeyMaterial } from '../common/key-material';
import { DeviceRepository } from '../devices/device.repository';
import { SessionRevocationRepository } from './session-revocation.repository';

/** How recent the MFA of the session token must be to change an account's devices or codes. */
export const STEP_UP_MAX_AGE_SECONDS = 300;

/**
 * Enrollment cannot weaken an account: once it has an active device, adding or deactivating a
 * device and new recovery codes need a fresh, unrevoked session of that account. Checked here
 * with the service's own keys and revocations (no bus round trip).
 */
@Injectable()
export class StepUp {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly revocations: SessionRevocationRepository,
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
  ) {}

  async assert(accountId: string, sessionToken: string | undefined): Promise<void> {
    // no active device (new, or after an admin reset of the last one): nothing to protect yet
    if ((await this.devices.countActive(this.dataSource, accountId)) === 0) return;
    if (!sessionToken)
      throw stepUpRequired('this account has an active MFA device: send sessionToken, a session issued within the last 300 s');
    const now = this.clock.now();
    const check = await verifySessionToken(sessionToken, this.keys.jwks, { accountId, now });
    if (!check.ok) throw stepUpRequired('sessionToken is not a valid session of this account');
    if (now.getTime() / 1000 - check.claims.mfa_at > STEP_UP_MAX_AGE_SECONDS) {
      throw stepUpRequired(`sessionToken is older than ${STEP_UP_MAX_AGE_SECONDS} s: authenticate again`);
    }
    const revokedBefore = await this.revocations.revokedBefore(this.dataSource, accountId, check.claims.device ?? null);
    if (isSessionRevoked(check.claims, revokedBefore)) throw stepUpRequired('sessionToken has been revoked');
  }
}

function stepUpRequired(message: string): AppError {
  return new AppError(ErrorCodes.StepUpRequired, message);
}
