import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { AppError, ErrorCodes, type Device } from '@mfa/contracts';
import { seedAad } from '../../common/aad';
import { KeyMaterial } from '../../common/key-material';
import { MfaServiceEnv } from '../../config/mfa-service.env';
import { ActiveDeviceCache } from '../../devices/active-device-cache';
import { DeviceRepository, toDevice, type DeviceRow } from '../../devices/device.repository';
import type { Attempt } from '../../verification/lockout.service';
import { VerificationRepository } from '../../verification/verification.repository';
import { type StepOutcome, VerifyState } from '../../verification/verify-state';
import {
  type Activate,
  type ActiveDevice,
  type CodeDiagnosis,
  type DeviceMethod,
  type EnrollInput,
  type Enrollment,
  isCodeProof,
  type Proof,
} from '../device-method';
import { DeviceMethodProvider } from '../method-registry';
import { base32Encode } from './base32';
import { otpauthUri } from './otpauth-uri';
import {
  findConsecutive,
  findLastStep,
  findStep,
  looksLikeOtp,
  MAX_DRIFT_STEPS,
  TOTP_SEED_BYTES,
  timeStep,
  VERIFY_WINDOW_STEPS,
} from './totp';

/** TOTP (RFC 6238): a seed shown once, enabled with two consecutive codes, resync for drift. */
@DeviceMethodProvider('totp')
@Injectable()
export class TotpMethod implements DeviceMethod<number> {
  readonly type = 'totp';
  readonly label = 'totp';

  constructor(
    private readonly devices: DeviceRepository,
    private readonly verifyState: VerifyState,
    private readonly verifyRepo: VerificationRepository,
    private readonly keys: KeyMaterial,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly cache: ActiveDeviceCache,
  ) {}

  async begin({ id, account }: EnrollInput): Promise<Enrollment> {
    const seed = randomBytes(TOTP_SEED_BYTES);
    return {
      secrets: { secret_enc: this.keys.envelope.encrypt(seed, seedAad(id)), phone_enc: null },
      complete: async (row) => {
        // the only moment the seed leaves the service: this reply (never logged, never stored plain)
        const secretBase32 = base32Encode(seed);
        seed.fill(0);
        const uri = otpauthUri(this.env.MFA_ISSUER, account.email || account.id, secretBase32);
        const qrCodePng = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
        return { serialNumber: row.serial_number, status: 'pending', secretBase32, otpauthUri: uri, qrCodePng };
      },
      abandon: async () => {
        seed.fill(0);
      },
    };
  }

  /** code(t-1) = code, code(t) = next, t within one step of now. */
  async enable(device: DeviceRow, proof: Proof, now: Date, activate: Activate): Promise<DeviceRow | null> {
    if (!isCodeProof(proof) || !proof.next)
      throw AppError.validation('code2: required to enable a TOTP device (two consecutive codes)', [
        { field: 'code2', messages: ['required for TOTP'] },
      ]);
    const step = this.withSeed(device, (key) => findConsecutive(key, proof.code, proof.next!, timeStep(now) - 1, timeStep(now) + 1));
    if (step === null) return null;
    const activated = await activate((tx) => this.devices.activate(tx, device.id, now, step));
    if (!activated) throw new AppError(ErrorCodes.Conflict, 'device is no longer pending');
    return activated;
  }

  /** Two consecutive codes within ±10 steps of now set the drift (bounded to ±10 steps). */
  async resync(device: DeviceRow, proof: Proof, now: Date): Promise<DeviceRow | null> {
    if (!isCodeProof(proof) || !proof.next) return null;
    const n = timeStep(now);
    const step = this.withSeed(device, (key) =>
      findConsecutive(key, proof.code, proof.next!, n - MAX_DRIFT_STEPS + 1, n + MAX_DRIFT_STEPS),
    );
    if (step === null) return null;
    // a step at or before the last accepted one is a replayed pair. Redis' compare-and-set first, and
    // it takes the step: a verify of the pair's second code racing this resync wins it or loses it
    // there, never both (a read then a later burn let both through). Then Postgres' CAS on its own
    // step (written behind, up to WRITE_BEHIND_MS late). Never moves Redis' step back.
    if (!(await this.verifyState.burnStep(device.account_id, device.id, step))) return null;
    const updated = await this.devices.setDrift(device.id, step - n, step, now);
    if (updated) await this.cache.changed(device.account_id, now);
    return updated;
  }

  describe(row: DeviceRow): Device {
    return toDevice(row);
  }

  accepts(proof: Proof): boolean {
    return isCodeProof(proof) && looksLikeOtp(proof.code);
  }

  /** The matching step within one step of now + drift and after the last accepted step. */
  match(device: ActiveDevice, proof: Proof, now: Date): number | null {
    if (!isCodeProof(proof)) return null;
    const key = this.keys.envelope.decrypt(device.secret_enc!, seedAad(device.id));
    try {
      const center = timeStep(now) + (device.drift_steps ?? 0);
      const after = device.last_step === null ? -Infinity : Number(device.last_step) + 1;
      return findStep(key, proof.code, Math.max(center - VERIFY_WINDOW_STEPS, after), center + VERIFY_WINDOW_STEPS, center);
    } finally {
      key.fill(0);
    }
  }

  /** One compare-and-set in Redis makes each step count once; the step is written behind to Postgres. */
  async accept(device: ActiveDevice, attempt: Attempt, step: number): Promise<StepOutcome> {
    const matched = { deviceId: device.id, step, floor: device.last_step };
    const { outcome, pgFailures } = await this.verifyState.acceptStep(attempt.accountId, matched, attempt.now, attempt.id);
    if (outcome === 'accepted') {
      await attempt.accepted(pgFailures);
      this.stepAccepted(device, step, attempt.now);
    }
    return outcome;
  }

  /** Its match is a step in memory: VerificationService decides it with the lockout in one script (VerifyState.decide). */
  stepAccepted(device: ActiveDevice, step: number, now: Date): void {
    this.verifyRepo.recordUse(device.id, step, now);
  }

  /**
   * Where the code falls within ±MAX_DRIFT_STEPS of now + drift (resync's window): inside the
   * verify window and after the last accepted step (Redis or Postgres) is ok, at or before it a
   * replay, further out a clock skew of that many steps. An ok code stays usable. A code of a
   * step after the verify window is burned first (Redis and Postgres, as an accepted step):
   * otherwise the finding would tell a guesser their code verifies when its step comes.
   */
  async diagnose(accountId: string, device: ActiveDevice, proof: Proof, now: Date): Promise<CodeDiagnosis> {
    if (!this.accepts(proof) || !isCodeProof(proof)) return { result: 'wrong', hint: 'a TOTP code is 6 digits' };
    const center = timeStep(now) + (device.drift_steps ?? 0);
    const [step, lastFuture] = this.withSeed(device, (key) => [
      findStep(key, proof.code, center - MAX_DRIFT_STEPS, center + MAX_DRIFT_STEPS, center),
      findLastStep(key, proof.code, center + VERIFY_WINDOW_STEPS + 1, center + MAX_DRIFT_STEPS),
    ]);
    if (step === null) return { result: 'wrong' };
    if (step > center + VERIFY_WINDOW_STEPS) {
      // the latest future step the code matches (a 6-digit code may repeat within the window)
      await this.burn(accountId, device, lastFuture!);
      return { result: 'clock_skew', steps: step - center };
    }
    // a past step can never become valid: nothing to burn
    if (step < center - VERIFY_WINDOW_STEPS) return { result: 'clock_skew', steps: step - center };
    const live = await this.verifyState.lastStep(accountId, device.id);
    const last = Math.max(live ?? -Infinity, device.last_step === null ? -Infinity : Number(device.last_step));
    return { result: step <= last ? 'replayed' : 'ok' };
  }

  /** Postgres first: a resync's compare-and-set reads it, so no resync can then move Redis' step back below the burn. */
  private async burn(accountId: string, device: ActiveDevice, step: number): Promise<void> {
    await this.verifyRepo.burnStep(device.id, step);
    await this.verifyState.burnStep(accountId, device.id, step);
  }

  private withSeed<T>(device: { id: string; secret_enc: string | null }, use: (key: Buffer) => T): T {
    const key = this.keys.envelope.decrypt(device.secret_enc!, seedAad(device.id));
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  }
}
