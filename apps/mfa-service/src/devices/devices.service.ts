import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AppError, ErrorCodes, type Device, type DeviceResetReply, type DevicesSummaryReply, type DevicesSummaryRequest } from '@mfa/contracts';
import { Clock } from '../common/clock';
import { OrgPolicyService } from '../policies/org-policy.service';
import { DeviceChanges } from './device-changes';
import { DeviceSummaryRepository } from './device-summary.repository';
import { DeviceRepository, toDevice } from './device.repository';

/** Listing, deactivation by the member, admin reset, and the figures other services ask for. */
@Injectable()
export class DevicesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly devices: DeviceRepository,
    private readonly summaries: DeviceSummaryRepository,
    private readonly changes: DeviceChanges,
    private readonly policies: OrgPolicyService,
    private readonly clock: Clock,
  ) {}

  async list(accountId: string): Promise<{ items: Device[] }> {
    return { items: (await this.devices.listForAccount(accountId, this.clock.now())).map(toDevice) };
  }

  /** A member may not remove their last active device while the org requires MFA. */
  async deactivate(accountId: string, serialNumber: string): Promise<Device> {
    const now = this.clock.now();
    const result = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const device = await this.devices.findBySerial(accountId, serialNumber, now, tx);
      if (!device) throw AppError.notFound('device');
      if (device.status === 'deactivated') return { device, changed: false };
      if (device.status === 'active') {
        const rules = await this.policies.rulesOf(device.org_id, tx);
        if (rules.requireMfa && (await this.devices.countActive(tx, accountId)) <= 1) {
          throw new AppError(ErrorCodes.Conflict, 'cannot deactivate the last active device while the organization requires MFA');
        }
      }
      const updated = (await this.devices.deactivate(tx, device.id, now))!;
      if (device.status === 'active') await this.changes.record(tx, updated, 'member_deactivated', now);
      return { device: updated, changed: device.status === 'active' };
    });
    if (result.changed) this.changes.flush();
    return toDevice(result.device);
  }

  /** Admin reset of a lost device: must belong to that account and org; even the last one goes. */
  async reset(orgId: string, accountId: string, serialNumber: string): Promise<DeviceResetReply> {
    const now = this.clock.now();
    const result = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const device = await this.devices.findBySerial(accountId, serialNumber, now, tx, orgId);
      if (!device) throw AppError.notFound('device');
      if (device.status === 'deactivated') return { device, activeDeviceCount: await this.devices.countActive(tx, accountId), changed: false };
      const updated = (await this.devices.deactivate(tx, device.id, now))!;
      const activeDeviceCount =
        device.status === 'active' ? await this.changes.record(tx, updated, 'admin_reset', now) : await this.devices.countActive(tx, accountId);
      return { device: updated, activeDeviceCount, changed: device.status === 'active' };
    });
    if (result.changed) this.changes.flush();
    return { device: toDevice(result.device), activeDeviceCount: result.activeDeviceCount };
  }

  /** A removed member can no longer verify: devices retired, recovery codes gone. */
  async retireAccount(orgId: string, accountId: string): Promise<{ devicesRetired: number }> {
    const now = this.clock.now();
    const retired = await this.dataSource.transaction(async (tx) => {
      await this.devices.lockAccount(tx, accountId);
      const rows = await this.devices.retireAccount(tx, orgId, accountId, now);
      const wasActive = rows.find((r) => r.enabled_at !== null);
      // one event brings account-service's count to 0 should the account outlive this call
      if (wasActive) await this.changes.record(tx, wasActive, 'account_removed', now);
      return rows;
    });
    if (retired.length) this.changes.flush();
    return { devicesRetired: retired.length };
  }

  async summary(req: DevicesSummaryRequest): Promise<DevicesSummaryReply> {
    const devicesByType = { totp: 0, sms: 0 };
    if (req.orgId) for (const r of await this.summaries.activeByType(req.orgId)) devicesByType[r.type] = r.n;
    const accounts: DevicesSummaryReply['accounts'] = {};
    if (req.accountIds?.length) {
      for (const id of req.accountIds) accounts[id] = { activeCount: 0, deviceCount: 0, lastUsedAt: null };
      for (const r of await this.summaries.perAccount(req.accountIds, req.orgId ?? null, this.clock.now())) {
        accounts[r.account_id] = { activeCount: r.active_count, deviceCount: r.device_count, lastUsedAt: r.last_used_at ? new Date(r.last_used_at).toISOString() : null };
      }
    }
    return { devicesByType, accounts };
  }
}
