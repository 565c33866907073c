import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AppError, ErrorCodes, type SmsSentReply } from '@mfa/contracts';
import { SecurityMetrics } from '@mfa/observability';
import { phoneAad } from '../../common/aad';
import { KeyMaterial } from '../../common/key-material';
import { MfaServiceEnv } from '../../config/mfa-service.env';
import { DeviceRepository, type DeviceRow } from '../../devices/device.repository';
import { RateLimiter, type Slot } from '../../limits/rate-limiter';
import { SmsLedgerRepository } from '../../sms/sms-ledger.repository';
import { SmsSender } from '../../sms/sms-sender';
import { ActiveDeviceCache } from '../../devices/active-device-cache';

export const SMS_CODE_TTL_SECONDS = 300;

/** One SMS paid for under the limits: its Redis slot and its ledger row. */
export interface SmsSlot {
  limit: Slot;
  ledgerId: string;
}

/** SMS codes: 6 digits, one per send, valid 5 minutes, single use, stored as a keyed hash. */
@Injectable()
export class SmsService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly keys: KeyMaterial,
    private readonly sender: SmsSender,
    private readonly limiter: RateLimiter,
    private readonly ledger: SmsLedgerRepository,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
    private readonly metrics: SecurityMetrics,
    private readonly cache: ActiveDeviceCache,
  ) {}

  /**
   * One SMS under the per-number and per-account hourly limits (`rate_limited` when either is
   * full). These hold across devices, so creating and deactivating devices in a loop gains nothing.
   */
  async takeSlot(accountId: string, phoneNumber: string, now: Date): Promise<SmsSlot> {
    const phoneRef = this.keys.phoneRef(phoneNumber);
    const limit = await this.limiter.take(
      [
        { key: `mfa:limit:{sms}:phone:${phoneRef}`, max: this.env.SMS_MAX_PER_PHONE_PER_HOUR, what: 'SMS codes to this phone number' },
        {
          key: `mfa:limit:{sms}:account:${accountId.toLowerCase()}`,
          max: this.env.SMS_MAX_PER_ACCOUNT_PER_HOUR,
          what: 'SMS codes for this account',
        },
      ],
      now,
    );
    // the ledger in Postgres is the floor: Redis keys deleted by hand do not reopen the limits
    const entry = await this.ledger
      .record(phoneRef, accountId, now, this.env.SMS_MAX_PER_PHONE_PER_HOUR, this.env.SMS_MAX_PER_ACCOUNT_PER_HOUR)
      .catch(async (err) => {
        await this.limiter.giveBack(limit);
        throw err;
      });
    if (entry.id === null) {
      await this.limiter.giveBack(limit);
      const [max, what] =
        entry.byPhone >= this.env.SMS_MAX_PER_PHONE_PER_HOUR
          ? [this.env.SMS_MAX_PER_PHONE_PER_HOUR, 'SMS codes to this phone number']
          : [this.env.SMS_MAX_PER_ACCOUNT_PER_HOUR, 'SMS codes for this account'];
      this.metrics.rateLimited('sms');
      throw new AppError(ErrorCodes.RateLimited, `too many ${what}: at most ${max} an hour`);
    }
    return { limit, ledgerId: entry.id };
  }

  /** A slot whose SMS was not sent after all. */
  async giveBack(slot: SmsSlot): Promise<void> {
    await Promise.all([this.limiter.giveBack(slot.limit), this.ledger.remove(slot.ledgerId)]);
  }

  /** Also used right after an SMS device is created, with the number it was just given and its slot. */
  async sendCode(device: DeviceRow, now: Date, phoneNumber?: string, slot?: SmsSlot): Promise<SmsSentReply> {
    const to = phoneNumber ?? this.keys.envelope.decrypt(device.phone_enc!, phoneAad(device.id)).toString('utf8');
    const taken = slot ?? (await this.takeSlot(device.account_id, to, now));
    try {
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const expiresAt = new Date(now.getTime() + SMS_CODE_TTL_SECONDS * 1000);
      const stored = await this.devices.storeSmsCode(
        device.id,
        this.keys.hashSmsCode(device.id, code),
        expiresAt,
        now,
        this.env.SMS_RESEND_SECONDS,
      );
      if (!stored) {
        this.metrics.rateLimited('sms_resend');
        throw new AppError(ErrorCodes.RateLimited, `an SMS code was sent less than ${this.env.SMS_RESEND_SECONDS} s ago`);
      }
      // the cached verify rows hold the code's hash: before the code can reach the member, the next read loads
      await this.cache.invalidate(device.account_id);
      await this.sender.send({
        to,
        serialNumber: device.serial_number,
        accountId: device.account_id,
        body: `Your verification code is ${code}. It expires in 5 minutes.`,
      });
      return { sent: true, expiresAt: expiresAt.toISOString() };
    } catch (err) {
      await this.giveBack(taken);
      throw err;
    }
  }
}
