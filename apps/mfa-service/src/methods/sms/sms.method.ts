import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes, type Device, type SmsSentReply } from '@mfa/contracts';
import { constantTimeEqual } from '@mfa/crypto';
import { phoneAad } from '../../common/aad';
import { Clock } from '../../common/clock';
import { KeyMaterial } from '../../common/key-material';
import { DeviceRepository, toDevice, type DeviceRow } from '../../devices/device.repository';
import { OrgPolicyService } from '../../policies/org-policy.service';
import type { Attempt } from '../../verification/lockout.service';
import { VerificationRepository } from '../../verification/verification.repository';
import type { StepOutcome } from '../../verification/verify-state';
import { looksLikeOtp } from '../totp/totp';
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
import { SmsService } from './sms.service';

/** SMS: a phone number sealed on the device, a 6-digit code per send, single use, 5 minutes. */
@DeviceMethodProvider('sms')
@Injectable()
export class SmsMethod implements DeviceMethod<true> {
  readonly type = 'sms';
  readonly label = 'SMS';

  constructor(
    private readonly dataSource: DataSource,
    private readonly sms: SmsService,
    private readonly devices: DeviceRepository,
    private readonly verifyRepo: VerificationRepository,
    private readonly policies: OrgPolicyService,
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
  ) {}

  /** The SMS limits are checked before the device exists: a refused create leaves nothing behind. */
  async begin({ id, request, now }: EnrollInput): Promise<Enrollment> {
    const phoneNumber = request.phoneNumber!;
    const slot = await this.sms.takeSlot(request.accountId, phoneNumber, now);
    return {
      secrets: { secret_enc: null, phone_enc: this.keys.envelope.encrypt(Buffer.from(phoneNumber, 'utf8'), phoneAad(id)) },
      complete: async (row) => {
        await this.sms.sendCode(row, now, phoneNumber, slot);
        return { serialNumber: row.serial_number, status: 'pending' };
      },
      abandon: () => this.sms.giveBack(slot),
    };
  }

  /** The code hash must match and is consumed in the activating statement (single use). */
  async enable(device: DeviceRow, proof: Proof, now: Date, activate: Activate): Promise<DeviceRow | null> {
    if (!isCodeProof(proof)) return null;
    const hash = this.keys.hashSmsCode(device.id, proof.code);
    return activate((tx) => this.devices.activateWithSmsCode(tx, device.id, now, hash));
  }

  /** mfa.sms.send: a fresh code to the device's number. */
  async send(accountId: string, serialNumber: string): Promise<SmsSentReply> {
    const now = this.clock.now();
    const device = await this.devices.findBySerial(this.dataSource, accountId, serialNumber, now);
    if (!device || device.status === 'deactivated') throw AppError.notFound('device');
    if (device.type !== this.type) throw new AppError(ErrorCodes.Conflict, 'serialNumber: not an SMS device');
    await this.policies.assertAllows(device.org_id, this);
    return this.sms.sendCode(device, now);
  }

  describe(row: DeviceRow): Device {
    return toDevice(row);
  }

  accepts(proof: Proof): boolean {
    return isCodeProof(proof) && looksLikeOtp(proof.code);
  }

  match(device: ActiveDevice, proof: Proof, now: Date): true | null {
    if (!isCodeProof(proof) || !device.sms_code_hash || !device.sms_code_expires_at || device.sms_code_expires_at <= now) return null;
    return constantTimeEqual(this.keys.hashSmsCode(device.id, proof.code), device.sms_code_hash) ? true : null;
  }

  /** An SMS code is single use and gone once used or expired: a used one cannot be told from a wrong one. */
  async diagnose(_accountId: string, device: ActiveDevice, proof: Proof, now: Date): Promise<CodeDiagnosis> {
    if (this.match(device, proof, now)) return { result: 'ok' };
    if (!device.sms_code_hash || !device.sms_code_expires_at || device.sms_code_expires_at <= now) {
      return { result: 'wrong', hint: 'no SMS code is live for this device (used, expired or never sent): send a new one (mfa.sms.send)' };
    }
    return { result: 'wrong' };
  }

  /** The reservation held means no lockout can start meanwhile: the single-use statement decides. */
  async accept(device: ActiveDevice, attempt: Attempt): Promise<StepOutcome> {
    if (!(await this.verifyRepo.consumeSmsCode(attempt.accountId, device.id, device.sms_code_hash!, attempt.now))) return 'replayed';
    await attempt.succeed();
    return 'accepted';
  }
}
