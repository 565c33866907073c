import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import QRCode from 'qrcode';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes, type CreateDeviceRequest, type CreateSmsDeviceReply, type CreateTotpDeviceReply, type Device } from '@mfa/contracts';
import { AccountDirectory } from '../accounts/account-directory';
import { phoneAad, seedAad } from '../common/aad';
import { Clock } from '../common/clock';
import type { Db } from '../common/db';
import { KeyMaterial } from '../common/key-material';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { OrgPolicyService } from '../policies/org-policy.service';
import { StepUp } from '../sessions/step-up';
import { SmsService } from '../sms/sms.service';
import { base32Encode } from '../totp/base32';
import { otpauthUri } from '../totp/otpauth-uri';
import { findConsecutive, MAX_DRIFT_STEPS, TOTP_SEED_BYTES, timeStep } from '../totp/totp';
import { type Attempt, LockoutService, lockedOut } from '../verification/lockout.service';
import { VerifyState } from '../verification/verify-state';
import { DeviceChanges } from './device-changes';
import { DeviceRepository, toDevice, type DeviceRow } from './device.repository';
import { newSerialNumber } from './serial-number';

export const MAX_DEVICES_PER_ACCOUNT = 8;

/** Create (seed shown once), enable with two consecutive codes, resync (AWS IAM virtual MFA). */
@Injectable()
export class DeviceEnrollmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly changes: DeviceChanges,
    private readonly accounts: AccountDirectory,
    private readonly policies: OrgPolicyService,
    private readonly lockout: LockoutService,
    private readonly verifyState: VerifyState,
    private readonly sms: SmsService,
    private readonly stepUp: StepUp,
    private readonly keys: KeyMaterial,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async create(req: CreateDeviceRequest): Promise<CreateTotpDeviceReply | CreateSmsDeviceReply> {
    const account = await this.accounts.get(req.accountId);
    await this.stepUp.assert(req.accountId, req.sessionToken);
    await this.policies.assertAllows(account.orgId, req.type);

    const now = this.clock.now();
    const id = randomUUID();
    const seed = req.type === 'totp' ? randomBytes(TOTP_SEED_BYTES) : null;
    // the SMS limits are checked before the device exists: a refused create leaves nothing behind
    const smsSlot = req.type === 'sms' ? await this.sms.takeSlot(req.accountId, req.phoneNumber!, now) : undefined;
    const row = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, req.accountId);
      // pending and active devices count toward the limit (docs/admin-api.md, "Errors": device_limit_reached)
      if ((await this.devices.countLive(tx, req.accountId, now)) >= MAX_DEVICES_PER_ACCOUNT) {
        throw new AppError(ErrorCodes.DeviceLimitReached, `an account has at most ${MAX_DEVICES_PER_ACCOUNT} devices (pending and active)`);
      }
      return this.devices.insert(tx, {
        id,
        serial_number: newSerialNumber(req.type),
        account_id: req.accountId,
        org_id: account.orgId,
        type: req.type,
        name: req.name,
        secret_enc: seed ? this.keys.envelope.encrypt(seed, seedAad(id)) : null,
        phone_enc: req.type === 'sms' ? this.keys.envelope.encrypt(Buffer.from(req.phoneNumber!, 'utf8'), phoneAad(id)) : null,
        created_at: now,
        pending_expires_at: new Date(now.getTime() + this.env.DEVICE_PENDING_TTL_SECONDS * 1000),
      });
    }).catch(async (err: unknown) => {
      if (smsSlot) await this.sms.giveBack(smsSlot);
      throw err;
    });

    if (!seed) {
      await this.sms.sendCode(row, now, req.phoneNumber, smsSlot);
      return { serialNumber: row.serial_number, status: 'pending' };
    }
    // the only moment the seed leaves the service: this reply (never logged, never stored plain)
    const secretBase32 = base32Encode(seed);
    seed.fill(0);
    const uri = otpauthUri(this.env.MFA_ISSUER, account.email || account.id, secretBase32);
    const qrCodePng = await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 256 });
    return { serialNumber: row.serial_number, status: 'pending', secretBase32, otpauthUri: uri, qrCodePng };
  }

  /** TOTP: code(t-1) = code1, code(t) = code2, t within one step of now. SMS: code1 only. */
  async enable(accountId: string, serialNumber: string, code1: string, code2?: string): Promise<Device> {
    const now = this.clock.now();
    const attempt = await this.lockout.attemptOrThrow(accountId, now);
    try {
      const device = await this.pendingDevice(accountId, serialNumber, now);
      let activated: DeviceRow | null;
      if (device.type === 'totp') {
        if (!code2) throw AppError.validation('code2: required to enable a TOTP device (two consecutive codes)', [{ field: 'code2', messages: ['required for TOTP'] }]);
        const step = this.withSeed(device, (key) => findConsecutive(key, code1, code2, timeStep(now) - 1, timeStep(now) + 1));
        if (step === null) return await this.rejectCode(attempt, device.org_id);
        activated = await this.activateInTx(device, now, (tx) => this.devices.activate(tx, device.id, now, step));
        if (!activated) throw new AppError(ErrorCodes.Conflict, 'device is no longer pending');
      } else {
        const hash = this.keys.hashSmsCode(device.id, code1);
        activated = await this.activateInTx(device, now, (tx) => this.devices.activateWithSmsCode(tx, device.id, now, hash));
        if (!activated) return await this.rejectCode(attempt, device.org_id);
      }
      await attempt.succeed();
      return toDevice(activated);
    } finally {
      await attempt.release();
    }
  }

  /** Two consecutive codes within ±10 steps of now set the drift (bounded to ±10 steps). */
  async resync(accountId: string, serialNumber: string, code1: string, code2: string): Promise<Device> {
    const now = this.clock.now();
    const attempt = await this.lockout.attemptOrThrow(accountId, now);
    try {
      const device = await this.devices.findBySerial(accountId, serialNumber, now);
      if (!device || device.status === 'deactivated') throw AppError.notFound('device');
      if (device.status !== 'active') throw new AppError(ErrorCodes.Conflict, 'only an active device can be resynchronized; enable it first');
      if (device.type !== 'totp') throw new AppError(ErrorCodes.Conflict, 'only a TOTP device can be resynchronized');

      const n = timeStep(now);
      const step = this.withSeed(device, (key) => findConsecutive(key, code1, code2, n - MAX_DRIFT_STEPS + 1, n + MAX_DRIFT_STEPS));
      // the CAS refuses a step at or before the last accepted one (a replayed pair)
      const updated = step === null ? null : await this.devices.setDrift(device.id, step - n, step, now);
      if (!updated) return await this.rejectCode(attempt, device.org_id);
      // the live replay state follows the new drift (a slow clock moves the device's steps back)
      await this.verifyState.setStep(accountId, device.id, step!);
      await attempt.succeed();
      return toDevice(updated);
    } finally {
      await attempt.release();
    }
  }

  private async pendingDevice(accountId: string, serialNumber: string, now: Date): Promise<DeviceRow> {
    const device = await this.devices.findBySerial(accountId, serialNumber, now);
    if (!device || device.status === 'deactivated') throw AppError.notFound('device');
    if (device.status === 'active') throw new AppError(ErrorCodes.Conflict, 'device is already enabled');
    await this.policies.assertAllows(device.org_id, device.type);
    return device;
  }

  private async activateInTx(device: DeviceRow, now: Date, activate: (tx: Db) => Promise<DeviceRow | null>): Promise<DeviceRow | null> {
    const activated = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, device.account_id);
      const row = await activate(tx);
      if (row) await this.changes.record(tx, row, 'enabled', now);
      return row;
    });
    if (activated) this.changes.flush();
    return activated;
  }

  private withSeed<T>(device: DeviceRow, use: (key: Buffer) => T): T {
    const key = this.keys.envelope.decrypt(device.secret_enc!, seedAad(device.id));
    try {
      return use(key);
    } finally {
      key.fill(0);
    }
  }

  private async rejectCode(attempt: Attempt, orgId: string): Promise<never> {
    // a failure that met a lockout already in force answers locked_out, as on verify
    if (await attempt.fail(orgId)) throw lockedOut(null);
    throw new AppError(ErrorCodes.InvalidCode, 'invalid code');
  }
}
