import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes, type CreateDeviceRequest, type Device } from '@mfa/contracts';
import { AccountDirectory } from '../accounts/account-directory';
import { Clock } from '../common/clock';
import type { Db } from '../common/db';
import { MfaServiceEnv } from '../config/mfa-service.env';
import { OrgPolicyService } from '../policies/org-policy.service';
import { StepUp } from '../tokens/step-up';
import { type Attempt, LockoutService, lockedOut } from '../verification/lockout.service';
import { DeviceChanges } from '../devices/device-changes';
import { DeviceRepository, type DeviceRow } from '../devices/device.repository';
import { codeProof, type CreateDeviceReply, type Proof } from '../methods/device-method';
import { MethodRegistry } from '../methods/method-registry';
import { asProof } from '../methods/proof-of-request';
import { newSerialNumber } from '../devices/serial-number';

export const MAX_DEVICES_PER_ACCOUNT = 8;

/** Create, enable and resync a device; what differs by type is the device method's (MethodRegistry). */
@Injectable()
export class DeviceEnrollmentService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly changes: DeviceChanges,
    private readonly accounts: AccountDirectory,
    private readonly policies: OrgPolicyService,
    private readonly lockout: LockoutService,
    private readonly stepUp: StepUp,
    private readonly methods: MethodRegistry,
    private readonly clock: Clock,
    @Inject(MfaServiceEnv) private readonly env: MfaServiceEnv,
  ) {}

  async create(req: CreateDeviceRequest): Promise<CreateDeviceReply> {
    const method = this.methods.get(req.type);
    const account = await this.accounts.get(req.accountId);
    await this.stepUp.assert(req.accountId, req.sessionToken);
    await this.policies.assertEnrollable(account.orgId, method);

    const now = this.clock.now();
    const id = randomUUID();
    const enrollment = await method.begin({ id, request: req, account, now });
    const row = await this.dataSource
      .transaction(async (tx) => {
        await this.devices.lockAccount(tx, req.accountId);
        // pending and active devices count toward the limit (docs/admin-api.md, "Errors": device_limit_reached)
        if ((await this.devices.countLive(tx, req.accountId, now)) >= MAX_DEVICES_PER_ACCOUNT) {
          throw new AppError(
            ErrorCodes.DeviceLimitReached,
            `an account has at most ${MAX_DEVICES_PER_ACCOUNT} devices (pending and active)`,
          );
        }
        const inserted = await this.devices.insert(tx, {
          id,
          serial_number: newSerialNumber(req.type),
          account_id: req.accountId,
          org_id: account.orgId,
          type: req.type,
          name: req.name,
          ...enrollment.secrets,
          created_at: now,
          pending_expires_at: new Date(now.getTime() + this.env.DEVICE_PENDING_TTL_SECONDS * 1000),
        });
        await enrollment.persist?.(tx, inserted);
        return inserted;
      })
      .catch(async (err: unknown) => {
        await enrollment.abandon();
        throw err;
      });
    return enrollment.complete(row);
  }

  /** Activates a pending device with the method's proof (TOTP: two consecutive codes; SMS: the code sent; WebAuthn: the registration). */
  async enable(accountId: string, serialNumber: string, proof: Proof | string, code2?: string): Promise<Device> {
    const now = this.clock.now();
    const attempt = await this.lockout.attemptOrThrow(accountId, now);
    try {
      const device = await this.pendingDevice(accountId, serialNumber, now);
      const method = this.methods.get(device.type);
      const activated = await method.enable(device, asProof(proof, code2), now, (write) => this.activateInTx(device, now, write));
      if (!activated) return await this.rejectCode(attempt, device.org_id);
      await attempt.succeed();
      return await method.describe(activated);
    } finally {
      await attempt.release();
    }
  }

  /** Re-aligns an active device whose method can (TOTP: two consecutive codes set the drift). */
  async resync(accountId: string, serialNumber: string, code1: string, code2: string): Promise<Device> {
    const now = this.clock.now();
    const attempt = await this.lockout.attemptOrThrow(accountId, now);
    try {
      const device = await this.devices.findBySerial(this.dataSource, accountId, serialNumber, now);
      if (!device || device.status === 'deactivated') throw AppError.notFound('device');
      if (device.status !== 'active')
        throw new AppError(ErrorCodes.Conflict, 'only an active device can be resynchronized; enable it first');
      const method = this.methods.get(device.type);
      if (!method.resync) throw new AppError(ErrorCodes.Conflict, 'only a TOTP device can be resynchronized');

      const updated = await method.resync(device, codeProof(code1, code2), now);
      if (!updated) return await this.rejectCode(attempt, device.org_id);
      await attempt.succeed();
      return await method.describe(updated);
    } finally {
      await attempt.release();
    }
  }

  private async pendingDevice(accountId: string, serialNumber: string, now: Date): Promise<DeviceRow> {
    const device = await this.devices.findBySerial(this.dataSource, accountId, serialNumber, now);
    if (!device || device.status === 'deactivated') throw AppError.notFound('device');
    if (device.status === 'active') throw new AppError(ErrorCodes.Conflict, 'device is already enabled');
    await this.policies.assertEnrollable(device.org_id, this.methods.get(device.type));
    return device;
  }

  private async activateInTx(device: DeviceRow, now: Date, activate: (tx: Db) => Promise<DeviceRow | null>): Promise<DeviceRow | null> {
    const activated = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, device.account_id);
      const row = await activate(tx);
      if (row) await this.changes.record(tx, row, 'enabled', now);
      return row;
    });
    if (activated) await this.changes.flush(device.account_id, now);
    return activated;
  }

  private async rejectCode(attempt: Attempt, orgId: string): Promise<never> {
    // a failure that met a lockout already in force answers locked_out, as on verify
    if (await attempt.fail(orgId)) throw lockedOut(null);
    throw new AppError(ErrorCodes.InvalidCode, 'invalid code');
  }
}
