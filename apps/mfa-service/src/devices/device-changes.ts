import { Injectable } from '@nestjs/common';
import type { DeviceEventJob } from '@mfa/contracts';
import type { Db } from '../common/db';
import { MfaEvents } from '../events/mfa-events';
import { ActiveDeviceCache } from './active-device-cache';
import { type ActiveDeviceCounts, DeviceRepository, type DeviceRow } from './device.repository';

/**
 * Inside the transaction that activated or deactivated a device: counts the account's active
 * (and secure active) devices after the change and writes the device event (and the audit event) with it.
 */
@Injectable()
export class DeviceChanges {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly events: MfaEvents,
    private readonly cache: ActiveDeviceCache,
  ) {}

  async record(tx: Db, device: DeviceRow, cause: DeviceEventJob['cause'], at: Date): Promise<ActiveDeviceCounts> {
    const counts = await this.devices.countActiveByKind(tx, device.account_id);
    const activeDeviceCount = counts.active;
    await this.events.deviceChanged(tx, {
      accountId: device.account_id,
      orgId: device.org_id,
      serialNumber: device.serial_number,
      type: device.type,
      activeDeviceCount,
      secureActiveDeviceCount: counts.secure,
      cause,
      at: at.toISOString(),
    });
    // an admin reset (device.reset) and a member's removal (member.removed) are audited by
    // org-service, with the admin as actor
    if (cause !== 'admin_reset' && cause !== 'account_removed') {
      await this.events.audit(tx, {
        orgId: device.org_id,
        accountId: device.account_id,
        action: cause === 'enabled' ? 'device.enabled' : 'device.deactivated',
        at,
        target: { type: 'device', id: device.serial_number },
        details: { type: device.type, activeDeviceCount },
      });
    }
    return counts;
  }

  /**
   * After the commit: move the written jobs to Redis now, and write the account's active devices
   * through to the verify cache (any instance's next verify sees the change).
   */
  async flush(accountId: string, at: Date): Promise<void> {
    this.events.flush();
    await this.cache.changed(accountId, at);
  }
}
