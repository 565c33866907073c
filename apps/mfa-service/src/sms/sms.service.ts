import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCodes, type SmsSentReply } from '@mfa/contracts';
import { Clock } from '../common/clock';
import { phoneAad } from '../common/aad';
import { KeyMaterial } from '../common/key-material';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { DeviceRepository, type DeviceRow } from '../devices/device.repository';
import { RateLimiter, type Slot } from '../limits/rate-limiter';
import { OrgPolicyService } from '../policies/org-policy.service';
import { SmsSender } from './sms-sender';

export const SMS_CODE_TTL_SECONDS = 300;

/** SMS codes: 6 digits, one per send, valid 5 minutes, single use, stored as a keyed hash. */
@Injectable()
export class SmsService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly policies: OrgPolicyService,
    private readonly keys: KeyMaterial,
    private readonly sender: SmsSender,
    private readonly limiter: RateLimiter,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async send(accountId: string, serialNumber: string): Promise<SmsSentReply> {
    const now = this.clock.now();
    const device = await this.devices.findBySerial(accountId, serialNumber, now);
    if (!device || device.status === 'deactivated') throw AppError.notFound('device');
    if (device.type !== 'sms') throw new AppError(ErrorCodes.Conflict, 'serialNumber: not an SMS device');
    await this.policies.assertAllows(device.org_id, 'sms');
    return this.sendCode(device, now);
  }

  /**
   * One SMS under the per-number and per-account hourly limits (`rate_limited` when either is
   * full). These hold across devices, so creating and deactivating devices in a loop gains nothing.
   */
  takeSlot(accountId: string, phoneNumber: string, now: Date): Promise<Slot> {
    return this.limiter.take(
      [
        { key: `mfa:limit:{sms}:phone:${this.keys.phoneRef(phoneNumber)}`, max: this.env.SMS_MAX_PER_PHONE_PER_HOUR, what: 'SMS codes to this phone number' },
        { key: `mfa:limit:{sms}:account:${accountId}`, max: this.env.SMS_MAX_PER_ACCOUNT_PER_HOUR, what: 'SMS codes for this account' },
      ],
      now,
    );
  }

  /** A slot whose SMS was not sent after all. */
  giveBack(slot: Slot): Promise<void> {
    return this.limiter.giveBack(slot);
  }

  /** Also used right after an SMS device is created, with the number it was just given and its slot. */
  async sendCode(device: DeviceRow, now: Date, phoneNumber?: string, slot?: Slot): Promise<SmsSentReply> {
    const to = phoneNumber ?? this.keys.envelope.decrypt(device.phone_enc!, phoneAad(device.id)).toString('utf8');
    const taken = slot ?? (await this.takeSlot(device.account_id, to, now));
    try {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const expiresAt = new Date(now.getTime() + SMS_CODE_TTL_SECONDS * 1000);
      const stored = await this.devices.storeSmsCode(device.id, this.keys.hashSmsCode(device.id, code), expiresAt, now, this.env.SMS_RESEND_SECONDS);
      if (!stored) throw new AppError(ErrorCodes.RateLimited, `an SMS code was sent less than ${this.env.SMS_RESEND_SECONDS} s ago`);
      await this.sender.send({ to, serialNumber: device.serial_number, accountId: device.account_id, body: `Your verification code is ${code}. It expires in 5 minutes.` });
      return { sent: true, expiresAt: expiresAt.toISOString() };
    } catch (err) {
      await this.giveBack(taken);
      throw err;
    }
  }
}
